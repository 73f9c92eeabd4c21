"""Schema step 008: request keys."""

from __future__ import annotations

from ..schema import Schema


def m008_request_keys(db: Schema) -> None:
    # One request, one effect: a manager's confirm token or an API Idempotency-Key makes
    # at most one campaign (the unique key inserted with it, in its transaction), and the
    # API's first answer to a key is kept for 24 h, to be given again (web/idempotency.py).
    db.execute("ALTER TABLE campaigns ADD COLUMN request_key TEXT")
    db.execute("CREATE UNIQUE INDEX campaigns_request_key ON campaigns (request_key)")
    db.execute(
        """CREATE TABLE idempotency_keys (
            id INTEGER PRIMARY KEY,
            scope TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            status INTEGER,
            body TEXT,
            created_at REAL NOT NULL,
            UNIQUE (scope, key)
        )"""
    )
    db.execute("CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)")
