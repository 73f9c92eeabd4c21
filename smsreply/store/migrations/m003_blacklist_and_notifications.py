"""Schema step 003: blacklist and notifications."""

from __future__ import annotations

from ..schema import Schema


def m003_blacklist_and_notifications(db: Schema) -> None:
    db.execute(
        """CREATE TABLE blacklist (
            number TEXT PRIMARY KEY,
            added_at TEXT NOT NULL,
            reply_id INTEGER,
            message TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            reply_id INTEGER NOT NULL REFERENCES replies(id),
            media TEXT NOT NULL,
            sender TEXT NOT NULL,
            target TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            lease_until REAL,
            error TEXT,
            outgoing_id INTEGER,
            created_at TEXT NOT NULL,
            sent_at TEXT
        )"""
    )
    db.execute(
        "CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'queued'"
    )
    db.execute("CREATE INDEX notifications_reply ON notifications (reply_id)")
    db.execute("ALTER TABLE outgoing ADD COLUMN first_attempt_at REAL")
