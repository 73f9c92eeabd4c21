"""Schema step 007: campaigns."""

from __future__ import annotations

from ..schema import Schema


def m007_campaigns(db: Schema) -> None:
    # A campaign is a job of the work engine (kind "campaign"): claimed, paced, released.
    db.execute(
        """CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            message TEXT NOT NULL,
            tag TEXT,
            status TEXT NOT NULL,
            send_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            recipients INTEGER NOT NULL,
            rejected INTEGER NOT NULL,
            segments INTEGER NOT NULL,
            credits INTEGER NOT NULL,
            refunded INTEGER NOT NULL DEFAULT 0,
            cancelled_at TEXT,
            finished_at TEXT,
            error TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL DEFAULT 0,
            lease_until REAL
        )"""
    )
    db.execute(
        "CREATE INDEX campaigns_due ON campaigns (next_attempt_at) "
        "WHERE status IN ('queued', 'sending')"
    )
    db.execute(
        """CREATE TABLE campaign_recipients (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            line INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            message TEXT NOT NULL,
            encoding TEXT NOT NULL,
            segments INTEGER NOT NULL,
            credits INTEGER NOT NULL,
            status TEXT NOT NULL,
            conversation_id INTEGER REFERENCES conversations(id),
            UNIQUE (campaign_id, recipient)
        )"""
    )
    db.execute(
        "CREATE INDEX campaign_recipients_pending ON campaign_recipients (campaign_id, id) "
        "WHERE status = 'pending'"
    )
    db.execute(
        "CREATE INDEX campaign_recipients_conversation ON campaign_recipients (conversation_id)"
    )
    db.execute(
        """CREATE TABLE campaign_rejections (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
            line INTEGER NOT NULL,
            recipient TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX campaign_rejections_campaign ON campaign_rejections (campaign_id)")
    # The next free send slot (epoch seconds), shared by every campaign and process, so
    # that sms.rate_per_second caps the account's campaign throughput as a whole.
    db.execute("CREATE TABLE campaign_pace (id INTEGER PRIMARY KEY, next_slot REAL NOT NULL)")
    db.execute("INSERT INTO campaign_pace (id, next_slot) VALUES (1, 0)")
