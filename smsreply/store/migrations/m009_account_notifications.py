"""Schema step 009: account notifications."""

from __future__ import annotations

from ..schema import Schema

_NOTIFICATIONS_COLUMNS = (
    "id, reply_id, media, sender, target, status, attempts, next_attempt_at, lease_until, "
    "error, outgoing_id, created_at, sent_at"
)


def m009_account_notifications(db: Schema) -> None:
    # Notifications about the account (the balance fell below credits.alert_below) belong
    # to no reply: reply_id may be NULL, and ``about`` says what they tell (JSON).
    if db.dialect == "postgresql":
        db.execute("ALTER TABLE notifications ALTER COLUMN reply_id DROP NOT NULL")
    else:  # SQLite cannot drop a NOT NULL: the table is copied into its new shape
        db.execute(
            """CREATE TABLE notifications_new (
                id INTEGER PRIMARY KEY,
                reply_id INTEGER REFERENCES replies(id),
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
            f"INSERT INTO notifications_new ({_NOTIFICATIONS_COLUMNS}) "
            f"SELECT {_NOTIFICATIONS_COLUMNS} FROM notifications"
        )
        db.execute("DROP TABLE notifications")
        db.execute("ALTER TABLE notifications_new RENAME TO notifications")
        db.execute(
            "CREATE INDEX notifications_due ON notifications (next_attempt_at) "
            "WHERE status = 'queued'"
        )
        db.execute("CREATE INDEX notifications_reply ON notifications (reply_id)")
        db.execute(
            "CREATE INDEX notifications_queued ON notifications (id) WHERE status = 'queued'"
        )
    db.execute("ALTER TABLE notifications ADD COLUMN about TEXT")
