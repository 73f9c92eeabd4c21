"""The SQLite backend: one file, one connection per thread (sqlite-utils), ``BEGIN IMMEDIATE``.

Each thread gets its own connection (WAL, a busy timeout) so gunicorn workers and their
background threads write safely at once. ``transaction()`` opens ``BEGIN IMMEDIATE``: the
write lock is taken first, so two writers queue instead of failing with "database is
locked" — and every write transaction runs alone, which the store relies on.
"""

from __future__ import annotations

import contextlib
import fcntl
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from .errors import DatabaseUnavailable
from .files import create_private

ERRORS: tuple[type[Exception], ...] = (sqlite3.OperationalError,)


class SqliteBackend:
    dialect = "sqlite"
    FAILURES = (sqlite3.DatabaseError, OSError)  # what makes the file unusable

    def __init__(self, path: str | Path, busy_timeout: float = 30.0, synchronous: str = "NORMAL"):
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        self._local = threading.local()

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def database(self) -> Database:
        """This thread's connection, opened on first use."""
        db = getattr(self._local, "db", None)
        if db is None:
            try:  # folder 0700, file 0600: it holds the secrets
                create_private(self.path)
            except OSError as error:  # its folder gone or not a folder (a disk unmounted)
                raise DatabaseUnavailable(str(self.path), error.strerror or str(error)) from error
            # isolation_level=None: no implicit transactions; transaction() opens them.
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, check_same_thread=False, isolation_level=None
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self.synchronous}")
            conn.execute("PRAGMA foreign_keys=ON")
            db = self._local.db = Database(conn, execute_plugins=False)
        return db

    def execute(self, sql: str, params: tuple | list | dict = ()) -> sqlite3.Cursor:
        return self.database.execute(sql, params)

    def send(self, sql: str, params: tuple | list | dict = ()) -> None:
        """``execute`` for a statement whose answer nobody reads (at once: no round trip)."""
        self.database.execute(sql, params)

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[dict]:
        return list(self.database.query(sql, params))

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        self.database.conn.executemany(sql, rows)

    def insert(self, sql: str, params: tuple) -> int:
        return self.execute(sql, params).lastrowid

    def ddl(self, sql: str) -> str:
        return sql  # the migrations are written in SQLite's words

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, nested calls joining the outer one (it runs alone)."""
        conn = self.database.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def lock_key(self, name: str) -> None:
        """Nothing to do: a write transaction holds the database's one write lock."""

    def change_credits(self, delta: int, row: dict) -> int | None:
        """The balance moved by ``delta`` (never below zero) and its ledger line; the new
        balance, or None when it cannot cover the debit (inside ``transaction()``)."""
        moved = self.execute(
            "UPDATE account SET balance = balance + ? WHERE id = 1 AND balance + ? >= 0 "
            "RETURNING balance",
            (delta, delta),
        ).fetchall()
        if not moved:
            return None
        row = {"delta": delta, "balance": moved[0][0], **row}
        columns, marks = ", ".join(row), ", ".join("?" for _ in row)
        self.execute(f"INSERT INTO ledger ({columns}) VALUES ({marks})", tuple(row.values()))
        return moved[0][0]

    def tables(self) -> list[str]:
        return self.database.table_names()

    def reset_ids(self, table: str) -> None:
        """SQLite's next id is max(id) + 1 by itself: nothing to do after a copy."""

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """Hold a lock only one process on this machine can have (a file beside the database)."""
        lock_path = self.path.parent / f"{name}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True

    def check(self) -> None:
        try:
            self.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except self.FAILURES as error:
            raise DatabaseUnavailable(self.location, str(error)) from None

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None
