"""Schema step 001: initial."""

from __future__ import annotations

from ..schema import Schema

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


def m001_initial(db: Schema) -> None:
    for statement in _INITIAL:
        db.execute(statement)
