"""Bench data written with direct SQL: open conversations to reply to, and a long history.

The app writes SQL only in ``smsreply/store/``; the bench may write it here, because going
through the API would take longer than the run it prepares (a million conversations). Rows
have the shape ``sending.send_message`` gives them: a conversation, its outgoing SMS
(already sent) and the ledger lines. Recipients come from a pool of 100,000 mobiles shared
by the history and the bench's conversations, so lookups by recipient meet real history.
``path`` is an SQLite file or a ``postgresql://`` URL (the same SQL, through ``_Postgres``).

Example::

    targets = open_conversations("var/sms.db", 10_000)
    add_history("var/sms.db", 1_000_000)
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

POOL = 100_000
MESSAGE = "RDV demain 10h. Répondez OUI ou NON."
BATCH = 50_000


@dataclass(frozen=True)
class Target:
    """An open conversation the bench replies to, once."""

    conversation_id: int
    recipient: str
    shortcode: str
    tag: str  # the provider tag OVH echoes, sr<id>


def recipient(index: int) -> str:
    return f"+336{10000000 + index % POOL:08d}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class _Postgres:
    """The few calls below, on PostgreSQL: ``?`` translated, SQLite's words mapped."""

    TABLES = ("conversations", "outgoing", "replies", "ledger")

    def __init__(self, url: str) -> None:
        import psycopg

        from smsreply.store.postgres_sql import translate

        self.translate = translate
        self.connection = psycopg.connect(url, autocommit=True)

    def execute(self, sql: str, params: tuple = ()):
        if sql == "BEGIN IMMEDIATE":
            return self.connection.execute("BEGIN")
        if sql == "COMMIT":  # rows came with their ids: the sequences follow them
            for table in self.TABLES:
                self.connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
        return self.connection.execute(self.translate(sql), params or None)

    def executemany(self, sql: str, rows: list) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(self.translate(sql), rows)

    def close(self) -> None:
        self.connection.close()


def _connect(path: str | Path):
    if str(path).startswith("postgresql://"):
        return _Postgres(str(path))
    connection = sqlite3.connect(path, isolation_level=None, timeout=60)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=OFF")  # bench data: rebuilt if lost
    return connection


def _insert(connection, created: datetime, expires: datetime, count: int):
    """Insert ``count`` conversations with their sent SMS; return their (id, index) pairs."""
    start = (connection.execute("SELECT max(id) FROM conversations").fetchone()[0] or 0) + 1
    first_outgoing = (connection.execute("SELECT max(id) FROM outgoing").fetchone()[0] or 0) + 1
    rows, sms = [], []
    created_at, expires_at = _iso(created), _iso(expires)
    for offset in range(count):
        conversation_id, outgoing_id = start + offset, first_outgoing + offset
        # Unique (recipient, short code) per id: no two open conversations share a pair.
        code = str(30000 + conversation_id // POOL % 60000)
        number = recipient(conversation_id)
        tag = f"sr{conversation_id}"
        rows.append(
            (conversation_id, tag, number, code, MESSAGE, created_at, expires_at, outgoing_id)
        )
        sms.append((outgoing_id, conversation_id, number, code, MESSAGE, tag, created_at))
    connection.executemany(
        "INSERT INTO conversations (id, provider_tag, recipient, shortcode, message, encoding, "
        "segments, credits, created_at, expires_at, outgoing_id) "
        "VALUES (?, ?, ?, ?, ?, 'gsm7', 1, 1, ?, ?, ?)",
        rows,
    )
    connection.executemany(
        "INSERT INTO outgoing (id, kind, conversation_id, recipient, shortcode, message, "
        "encoding, segments, credits, tag, status, provider, provider_id, created_at, sent_at, "
        "attempts) VALUES (?, 'message', ?, ?, ?, ?, 'gsm7', 1, 1, ?, 'sent', 'http', "
        "'hist', ?, ?, 1)",
        [(*row, row[-1]) for row in sms],
    )
    connection.executemany(
        "INSERT INTO ledger (at, delta, balance, reason, conversation_id, outgoing_id) "
        "VALUES (?, -1, 1000000, 'message', ?, ?)",
        [(row[5], row[0], row[7]) for row in rows],
    )
    return rows


def open_conversations(path: str | Path, count: int) -> list[Target]:
    """``count`` conversations open for 48 h, one per (recipient, short code)."""
    connection = _connect(path)
    now = datetime.now(UTC)
    connection.execute("BEGIN IMMEDIATE")  # the server may be writing too
    rows = _insert(connection, now, now + timedelta(hours=48), count)
    connection.execute("UPDATE account SET balance = 1000000000 WHERE id = 1")
    connection.execute("COMMIT")
    connection.close()
    return [Target(row[0], row[2], row[3], row[1]) for row in rows]


def add_history(path: str | Path, count: int, seed: int = 1) -> None:
    """``count`` past conversations (closed), half of them with a handled reply and answer."""
    connection = _connect(path)
    generator = random.Random(seed)
    now = datetime.now(UTC)
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        created = now - timedelta(days=400 - 390 * done / count)
        connection.execute("BEGIN IMMEDIATE")
        rows = _insert(connection, created, created + timedelta(hours=48), size)
        _history_replies(connection, rows, generator)
        connection.execute("COMMIT")
        done += size
    connection.execute("ANALYZE")
    connection.close()


def _history_replies(connection, rows, generator: random.Random) -> None:
    first_reply = (connection.execute("SELECT max(id) FROM replies").fetchone()[0] or 0) + 1
    first_answer = (connection.execute("SELECT max(id) FROM outgoing").fetchone()[0] or 0) + 1
    replies, answers = [], []
    for conversation_id, tag, number, code, _, created_at, _, _ in rows:
        if generator.random() < 0.5:
            continue
        reply_id, answer_id = first_reply + len(replies), first_answer + len(answers)
        replies.append((reply_id, f"hist-{reply_id}", created_at, number, code, tag))
        replies[-1] += (conversation_id, answer_id)
        answers.append((answer_id, conversation_id, reply_id, number, code, tag, created_at))
    connection.executemany(
        "INSERT INTO replies (id, provider, provider_id, received_at, sender, message, "
        "shortcode, tag, conversation_id, reply_number, status, credits, action, outcome, "
        "attempts, answer_id) VALUES (?, 'ovh', ?, ?, ?, 'OUI', ?, ?, ?, 1, 'handled', 1, "
        "'text', '{\"kind\": \"answer\"}', 1, ?)",
        replies,
    )
    connection.executemany(
        "INSERT INTO outgoing (id, kind, conversation_id, reply_id, recipient, shortcode, "
        "message, encoding, segments, credits, tag, status, provider, provider_id, created_at, "
        "sent_at, attempts) VALUES (?, 'answer', ?, ?, ?, ?, 'Merci', 'gsm7', 1, 1, ?, 'sent', "
        "'http', 'hist', ?, ?, 1)",
        [(*row, row[-1]) for row in answers],
    )
    connection.executemany(
        "UPDATE conversations SET reply_count = 1 WHERE id = ?", [(row[6],) for row in replies]
    )
