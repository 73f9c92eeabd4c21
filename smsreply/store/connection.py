"""The store's foundation: one SQLite connection per thread, transactions, generic rows.

Each thread gets its own connection (WAL, a busy timeout) so gunicorn workers and their
background threads write safely at once. Multi-step writes go in ``write()``, a
``BEGIN IMMEDIATE`` transaction: the write lock is taken first, so two writers queue
instead of failing with "database is locked". Lookups that miss raise ``NotFound``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from .files import create_private
from .migrations import migrations


class NotFound(LookupError):
    """No row matches; the message names what was looked for, ``key`` and ``params`` say
    it for translation (see ``errors.SmsReplyError``)."""

    def __init__(self, message: str, key: str = "not_found", **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.params = params


class InsufficientCredits(Exception):
    """The balance cannot cover a debit."""

    def __init__(self, needed: int, balance: int) -> None:
        super().__init__(f"{needed} credit(s) needed, {balance} left")
        self.needed = needed
        self.balance = balance


class Connection:
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
            create_private(self.path)
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

    def _one(
        self, sql: str, params: tuple | dict = (), what: str = "row", **explained: object
    ) -> dict:
        row = self.query_one(sql, params)
        if row is None:
            raise NotFound(f"{what} not found", **explained)
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
        return self._one(
            f"SELECT * FROM {table} WHERE id = ?",
            (row_id,),
            f"{table} #{row_id}",
            key="row_not_found",
            table=table,
            id=row_id,
        )

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
