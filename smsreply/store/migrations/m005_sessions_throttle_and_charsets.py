"""Schema step 005: sessions throttle and charsets."""

from __future__ import annotations

from ..schema import Schema


def m005_sessions_throttle_and_charsets(db: Schema) -> None:
    # Manager sessions kept on the server, so logout and a password change end them in
    # every worker and host; only a hash of the cookie's token is stored.
    db.execute(
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            username TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL
        )"""
    )
    db.execute("CREATE INDEX sessions_username ON sessions (username)")
    db.execute("CREATE INDEX sessions_expires ON sessions (expires_at)")
    # Failed logins per (address, user) and per address, shared by all workers.
    db.execute(
        """CREATE TABLE login_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_failure_at REAL NOT NULL,
            blocked_until REAL NOT NULL
        )"""
    )
    # How a reply's bytes were read: utf-8, or windows-1252 when they were not UTF-8 (then
    # the raw request is kept too, percent-escaped, so no guess loses the original).
    db.execute("ALTER TABLE replies ADD COLUMN charset TEXT")
    db.execute("ALTER TABLE replies ADD COLUMN raw_request TEXT")
