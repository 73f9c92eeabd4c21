"""Schema step 002: users."""

from __future__ import annotations

from ..schema import Schema


def m002_users(db: Schema) -> None:
    db.execute(
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
