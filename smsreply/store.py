"""The only module that speaks SQL: smsreply's state in one SQLite file (sqlite-utils).

Each thread gets its own connection (WAL, a busy timeout) so gunicorn workers and their
background threads write safely at once. Multi-step writes go in ``store.write()``,
a ``BEGIN IMMEDIATE`` transaction: the write lock is taken first, so two writers queue
instead of failing with "database is locked". Lookups that miss raise ``NotFound``.

Example::

    store = Store("var/smsreply.db")
    store.migrate()
    with store.write():
        store.add_credits(10, reason="top-up")
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from .migrations import migrations


class NotFound(LookupError):
    """No row matches; the message names what was looked for."""


class InsufficientCredits(Exception):
    """The balance cannot cover a debit."""

    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(f"{needed} credit(s) needed, {balance} left")
        self.needed = needed
        self.balance = balance


class Store:
    def __init__(self, path: str | Path, busy_timeout: float = 30.0, synchronous: str = "NORMAL"):
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        self._local = threading.local()

    # -- connections and transactions ------------------------------------------------

    @property
    def db(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions; write() opens them explicitly.
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, check_same_thread=False, isolation_level=None
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            db = self._local.db = Database(conn, execute_plugins=False)
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None

    @contextlib.contextmanager
    def write(self) -> Iterator[Database]:
        """One write transaction, nested calls joining the outer one."""
        conn = self.db.conn
        if conn.in_transaction:
            yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def migrate(self) -> list[str]:
        """Apply pending schema steps; return their names."""
        with self.write():  # the write lock keeps two starting workers from racing
            pending = [migration.name for migration in migrations.pending(self.db)]
            if pending:
                migrations.apply(self.db)
        return pending

    def is_initialised(self) -> bool:
        return self.path.exists() and not migrations.pending(self.db)

    def _one(self, sql: str, params: tuple | dict = (), what: str = "row") -> dict:
        row = self.query_one(sql, params)
        if row is None:
            raise NotFound(f"{what} not found")
        return row

    def query_one(self, sql: str, params: tuple | dict = ()) -> dict | None:
        cursor = self.db.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in cursor.description], row, strict=True))

    def query(self, sql: str, params: tuple | dict = ()) -> list[dict]:
        return list(self.db.query(sql, params))

    def insert(self, table: str, row: dict) -> int:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        cursor = self.db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())
        )
        return cursor.lastrowid

    def update(self, table: str, row_id: int, changes: dict, where: str = "", params=()) -> bool:
        """Update one row; ``where`` adds a condition (for compare-and-set claims)."""
        assignments = ", ".join(f"{column} = ?" for column in changes)
        sql = f"UPDATE {table} SET {assignments} WHERE id = ?" + (f" AND {where}" if where else "")
        cursor = self.db.execute(sql, (*changes.values(), row_id, *params))
        return cursor.rowcount == 1

    def get(self, table: str, row_id: int) -> dict:
        return self._one(f"SELECT * FROM {table} WHERE id = ?", (row_id,), f"{table} #{row_id}")

    # -- secrets and options -------------------------------------------------------------

    def get_secret(self, name: str) -> str:
        return self._one("SELECT value FROM secrets WHERE name = ?", (name,), name)["value"]

    def set_secret(self, name: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO secrets (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def get_option(self, name: str, default: object = None) -> object:
        row = self.query_one("SELECT value FROM options WHERE name = ?", (name,))
        return default if row is None else json.loads(row["value"])

    def set_option(self, name: str, value: object) -> None:
        self.db.execute(
            "INSERT INTO options (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, json.dumps(value, ensure_ascii=False)),
        )

    # -- credits ---------------------------------------------------------------------------

    def balance(self) -> int:
        return self._one("SELECT balance FROM account WHERE id = 1", what="account")["balance"]

    def change_credits(self, delta: int, at: str, reason: str, **refs: int | None) -> int:
        """Add (or, negative, debit) credits with a ledger line; never below zero."""
        with self.write():
            cursor = self.db.execute(
                "UPDATE account SET balance = balance + ? WHERE id = 1 AND balance + ? >= 0",
                (delta, delta),
            )
            balance = self.balance()
            if cursor.rowcount != 1:
                raise InsufficientCredits(-delta, balance)
            self.insert(
                "ledger", {"at": at, "delta": delta, "balance": balance, "reason": reason, **refs}
            )
            return balance

    # -- conversations -----------------------------------------------------------------

    def open_shortcodes(self, recipient: str, now: str) -> set[str]:
        rows = self.db.execute(
            "SELECT shortcode FROM conversations WHERE recipient = ? AND expires_at > ?",
            (recipient, now),
        )
        return {row[0] for row in rows}

    def match_by_tag(self, provider_tag: str, sender: str) -> dict | None:
        return self.query_one(
            "SELECT * FROM conversations WHERE provider_tag = ? AND recipient = ? "
            "ORDER BY id DESC LIMIT 1",
            (provider_tag, sender),
        )

    def match_by_shortcode(self, shortcode: str, sender: str) -> dict | None:
        return self.query_one(
            "SELECT * FROM conversations WHERE recipient = ? AND shortcode = ? "
            "ORDER BY expires_at DESC LIMIT 1",
            (sender, shortcode),
        )

    def find_conversations(
        self,
        number: str | None,
        tag: str | None,
        status: str | None,
        now: str,
        limit: int,
        offset: int,
    ) -> tuple[list[dict], int]:
        clauses, params = [], []
        if number:
            clauses.append("recipient = ?")
            params.append(number)
        if tag:
            clauses.append("tag = ?")
            params.append(tag)
        if status == "open":
            clauses.append("expires_at > ?")
            params.append(now)
        elif status == "closed":
            clauses.append("expires_at <= ?")
            params.append(now)
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        total = self.db.execute(f"SELECT count(*) FROM conversations{where}", params).fetchone()[0]
        rows = self.query(
            f"SELECT * FROM conversations{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return rows, total

    def rows_for(self, table: str, column: str, value: int) -> list[dict]:
        return self.query(f"SELECT * FROM {table} WHERE {column} = ? ORDER BY id", (value,))

    # -- replies and outgoing SMS --------------------------------------------------------

    def find_reply(self, provider: str, provider_id: str) -> dict | None:
        return self.query_one(
            "SELECT * FROM replies WHERE provider = ? AND provider_id = ?", (provider, provider_id)
        )

    def due_replies(self, now: float, limit: int = 100) -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM replies WHERE status = 'pending' "
            "AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?",
            (now, limit),
        )
        return [row[0] for row in rows]

    def due_outgoing(self, now: float, limit: int = 100) -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM outgoing WHERE status IN ('queued', 'sending') "
            "AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?) "
            "ORDER BY id LIMIT ?",
            (now, now, limit),
        )
        return [row[0] for row in rows]

    def set_delivery(
        self, provider: str, provider_id: str, status: str, detail: str, at: str
    ) -> bool:
        with self.write():
            cursor = self.db.execute(
                "UPDATE outgoing SET delivery_status = ?, delivered_at = ?, "
                "error = CASE WHEN ? = 'failed' THEN ? ELSE error END "
                "WHERE provider = ? AND provider_id = ?",
                (
                    status,
                    at if status == "delivered" else None,
                    status,
                    detail or "failed",
                    provider,
                    provider_id,
                ),
            )
            return cursor.rowcount > 0

    def due_notifications(self, now: float, limit: int = 100) -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM notifications WHERE status = 'queued' AND next_attempt_at <= ? "
            "AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?",
            (now, now, limit),
        )
        return [row[0] for row in rows]

    # -- blacklist (numbers that replied STOP) -------------------------------------------

    def blacklisted(self, number: str) -> dict | None:
        return self.query_one("SELECT * FROM blacklist WHERE number = ?", (number,))

    def add_to_blacklist(self, number: str, at: str, reply_id: int | None, message: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO blacklist (number, added_at, reply_id, message) "
            "VALUES (?, ?, ?, ?)",
            (number, at, reply_id, message),
        )

    def remove_from_blacklist(self, number: str) -> None:
        with self.write():
            if self.db.execute("DELETE FROM blacklist WHERE number = ?", (number,)).rowcount != 1:
                raise NotFound(f"{number} is not on the blacklist")

    def list_blacklist(self, limit: int, offset: int = 0) -> list[dict]:
        return self.query(
            "SELECT * FROM blacklist ORDER BY added_at DESC LIMIT ? OFFSET ?", (limit, offset)
        )

    def list_outbox(self, limit: int, offset: int = 0) -> list[dict]:
        return self.query(
            "SELECT * FROM simulator_outbox ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset)
        )

    def record_simulated(self, row: dict) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO simulator_outbox (id, at, recipient, shortcode, message, tag, "
            "segments) VALUES (:id, :at, :recipient, :shortcode, :message, :tag, :segments)",
            row,
        )

    def ledger(self, limit: int, offset: int = 0) -> list[dict]:
        return self.query("SELECT * FROM ledger ORDER BY id DESC LIMIT ? OFFSET ?", (limit, offset))

    # -- manager users -------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, at: str) -> int:
        with self.write():
            if self.find_user(username) is not None:
                raise ValueError(f"user {username!r} already exists")
            return self.insert(
                "users", {"username": username, "password_hash": password_hash, "created_at": at}
            )

    def find_user(self, username: str) -> dict | None:
        return self.query_one("SELECT * FROM users WHERE username = ?", (username,))

    def set_user_password(self, username: str, password_hash: str) -> None:
        with self.write():
            user = self.find_user(username)
            if user is None:
                raise NotFound(f"user {username!r} not found")
            self.update("users", user["id"], {"password_hash": password_hash})

    def list_users(self) -> list[dict]:
        return self.query("SELECT id, username, created_at FROM users ORDER BY id")

    # -- manager reads (web manager, issue 5; append-only section) -----------------------

    def latest_replies(self, limit: int, offset: int = 0, status: str | None = None) -> list[dict]:
        """Replies newest first, every status (unmatched ones have no conversation)."""
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        return self.query(
            f"SELECT * FROM replies {where} ORDER BY id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
