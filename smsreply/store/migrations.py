"""The database schema, as ordered migration steps, for SQLite and PostgreSQL alike.

Applied by ``smsreply init`` and at every start (``schema.py`` runs them: each once, in a
transaction). Steps are written in SQLite's words (``id INTEGER PRIMARY KEY``,
INTEGER/TEXT/REAL) and translated for PostgreSQL. Add a new function at the end to change
the schema; never edit an applied one.
"""

from __future__ import annotations

from .schema import Migrations, Schema

migrations = Migrations()

_INITIAL = [
    """CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        tag TEXT,
        provider_tag TEXT NOT NULL,
        recipient TEXT NOT NULL,
        shortcode TEXT,
        message TEXT NOT NULL,
        encoding TEXT NOT NULL,
        segments INTEGER NOT NULL,
        credits INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        reply_count INTEGER NOT NULL DEFAULT 0,
        state TEXT,
        outgoing_id INTEGER
    )""",
    "CREATE INDEX conversations_open ON conversations (recipient, shortcode, expires_at)",
    "CREATE INDEX conversations_provider_tag ON conversations (provider_tag, recipient)",
    "CREATE INDEX conversations_tag ON conversations (tag)",
    """CREATE TABLE replies (
        id INTEGER PRIMARY KEY,
        provider TEXT NOT NULL,
        provider_id TEXT NOT NULL,
        received_at TEXT NOT NULL,
        sender TEXT NOT NULL,
        message TEXT NOT NULL,
        shortcode TEXT,
        tag TEXT,
        conversation_id INTEGER REFERENCES conversations(id),
        reply_number INTEGER,
        status TEXT NOT NULL,
        reason TEXT,
        credits INTEGER NOT NULL DEFAULT 0,
        action TEXT,
        outcome TEXT,
        answer_id INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        lease_until REAL,
        remote_addr TEXT,
        headers TEXT,
        UNIQUE (provider, provider_id)
    )""",
    "CREATE INDEX replies_pending ON replies (status) WHERE status = 'pending'",
    "CREATE INDEX replies_conversation ON replies (conversation_id)",
    "CREATE INDEX replies_sender ON replies (sender)",
    """CREATE TABLE outgoing (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        conversation_id INTEGER REFERENCES conversations(id),
        reply_id INTEGER REFERENCES replies(id),
        recipient TEXT NOT NULL,
        shortcode TEXT,
        message TEXT NOT NULL,
        encoding TEXT NOT NULL,
        segments INTEGER NOT NULL,
        credits INTEGER NOT NULL,
        tag TEXT,
        status TEXT NOT NULL,
        provider TEXT,
        provider_id TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        lease_until REAL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        delivery_status TEXT,
        delivered_at TEXT
    )""",
    "CREATE INDEX outgoing_due ON outgoing (next_attempt_at) WHERE status IN ('queued', 'sending')",
    "CREATE INDEX outgoing_conversation ON outgoing (conversation_id)",
    "CREATE INDEX outgoing_reply ON outgoing (reply_id)",
    "CREATE INDEX outgoing_provider_id ON outgoing (provider, provider_id)",
    """CREATE TABLE account (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        balance INTEGER NOT NULL CHECK (balance >= 0)
    )""",
    "INSERT INTO account (id, balance) VALUES (1, 0)",
    """CREATE TABLE ledger (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        delta INTEGER NOT NULL,
        balance INTEGER NOT NULL,
        reason TEXT NOT NULL,
        conversation_id INTEGER,
        reply_id INTEGER,
        outgoing_id INTEGER
    )""",
    "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE options (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE simulator_outbox (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        recipient TEXT NOT NULL,
        shortcode TEXT,
        message TEXT NOT NULL,
        tag TEXT,
        segments INTEGER NOT NULL
    )""",
]


@migrations()
def m001_initial(db: Schema) -> None:
    for statement in _INITIAL:
        db.execute(statement)


@migrations()
def m002_users(db: Schema) -> None:
    db.execute(
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )


@migrations()
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


@migrations()
def m004_unsent_indexes(db: Schema) -> None:
    # The sweeper asks for unsent SMS and e-mails "ORDER BY id LIMIT": with only the
    # next_attempt_at indexes, SQLite walks the whole table in id order (170 ms for 1.5
    # million SMS, every sweep). Indexes of the unsent rows' ids make it read only those.
    db.execute(
        "CREATE INDEX outgoing_unsent ON outgoing (id) WHERE status IN ('queued', 'sending')"
    )
    db.execute("CREATE INDEX notifications_queued ON notifications (id) WHERE status = 'queued'")


@migrations()
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


@migrations()
def m006_reply_results_fields_and_routes(db: Schema) -> None:
    # result: answered / no_answer / failed, with result_reason, so failures can be listed;
    # fields: the callback's fields as the provider posted them (OVH's keyword and any
    # field it may add), handed to scripts; route: the rule that routed the conversation,
    # so its next replies go to the same action (sticky rules).
    db.execute("ALTER TABLE replies ADD COLUMN result TEXT")
    db.execute("ALTER TABLE replies ADD COLUMN result_reason TEXT")
    db.execute("ALTER TABLE replies ADD COLUMN fields TEXT")
    db.execute("ALTER TABLE conversations ADD COLUMN route TEXT")
    db.execute("CREATE INDEX replies_result ON replies (result, id)")


@migrations()
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


@migrations()
def m008_claim_tokens(db: Schema) -> None:
    # Who holds a job: a random token written when it is claimed (work.py's ``mint``).
    # Finishing, renewing, retrying or failing the job names it, so a worker that lost
    # its claim changes nothing (a lease's float value was the identity before).
    for table in ("replies", "outgoing", "notifications", "campaigns"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN claim TEXT")
