"""The PostgreSQL backend: a psycopg 3 connection pool shared by the process's threads.

The store's SQL is written once, with ``?`` (and ``:name``) placeholders; ``translate``
turns it into psycopg's ``%s`` form. Outside a transaction each statement borrows a pooled
connection (autocommit) and hands it back with its rows already read; ``transaction()``
keeps one connection for the thread until COMMIT. Write transactions run side by side, on
every host: no lock is shared by all of them. Each write is guarded by what it touches
(a unique key, a conditional ``UPDATE``, the row it changes, a lock on one recipient:
``docs/reliability.md`` lists them); ``lock_key`` takes a transaction-scoped advisory lock
on one name, for the few writes that need one (a recipient's short codes, migrations).
"""

from __future__ import annotations

import contextlib
import os
import threading
import zlib
from collections.abc import Iterator, Mapping

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from .credit_statement import credits_statement
from .errors import DatabaseUnavailable, InsufficientCredits, describe_url, hide_password
from .postgres_session import session_settings
from .postgres_sql import Rows, ddl_types, translate

ERRORS: tuple[type[Exception], ...] = (
    # Connection refused or lost, server shutting down; and the session's limits:
    # lock_timeout (LockNotAvailable), statement_timeout (QueryCanceled), a deadlock.
    psycopg.OperationalError,
    pg_errors.IdleInTransactionSessionTimeout,  # our host froze; the server ended its work
    psycopg_pool.PoolTimeout,  # every pooled connection busy for too long
    pg_errors.ReadOnlySqlTransaction,  # a standby, or a database set read-only
    pg_errors.InsufficientPrivilege,
    pg_errors.DiskFull,
)

LOCK_SPACE = 0x5352  # "SR": the first key of smsreply's advisory locks (the second: a name's)


class PostgresBackend:
    dialect = "postgresql"
    FAILURES = (psycopg.Error, psycopg_pool.PoolTimeout)

    def __init__(
        self,
        url: str,
        pool_size: int = 10,
        timeout: float = 30.0,
        limits: Mapping[str, float] | None = None,
    ) -> None:
        self.url = url
        self.session = session_settings(url, **(limits or {}))
        self.location = describe_url(url)
        self.timeout = timeout
        self.pool_size = pool_size
        self._pool: psycopg_pool.ConnectionPool | None = None
        self._pool_pid = 0
        self._pool_lock = threading.Lock()
        self._local = threading.local()

    @property
    def pool(self) -> psycopg_pool.ConnectionPool:
        if self._pool is not None and self._pool_pid != os.getpid():
            # Made before a fork (gunicorn's preload_app): its connections belong to the
            # parent and its threads did not follow. Leave them alone; open our own.
            self._pool, self._local = None, threading.local()
        if self._pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool_pid = os.getpid()
                    self._pool = psycopg_pool.ConnectionPool(
                        self.url,
                        min_size=1,
                        max_size=self.pool_size,
                        kwargs={
                            "autocommit": True,
                            "connect_timeout": max(int(self.timeout), 1),
                            **self.session,
                        },
                        timeout=self.timeout,
                        num_workers=1,
                        name="smsreply",
                        open=True,
                    )
        return self._pool

    def execute(self, sql: str, params: tuple | list | dict = ()) -> Rows:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            return self._run(conn, translate(sql), params or ())
        with self.pool.connection() as conn:
            return Rows(conn.execute(translate(sql), params or ()))

    def send(self, sql: str, params: tuple | list | dict = ()) -> None:
        """``execute`` for a statement whose answer nobody reads: inside ``transaction()``
        it goes with the next statement (or the COMMIT), in the same round trip (psycopg's
        pipeline mode). Its error, if any, is raised by that next statement."""
        if getattr(self._local, "conn", None) is None:
            self.execute(sql, params)
        else:
            self._local.unsent.append((translate(sql), params or ()))

    def _run(self, conn: psycopg.Connection, sql: str, params: object) -> Rows:
        """One statement, after the ones ``send`` left: all in one round trip."""
        if not self._local.unsent:
            return Rows(conn.execute(sql, params))
        with conn.pipeline():
            self._flush(conn)
            cursor = conn.execute(sql, params)
        return Rows(cursor)

    def _flush(self, conn: psycopg.Connection) -> None:
        """Send what ``send`` left (inside a pipeline: with what follows)."""
        unsent, self._local.unsent = self._local.unsent, []
        for statement in unsent:
            conn.execute(*statement)

    def query(self, sql: str, params: tuple | list | dict = ()) -> list[dict]:
        rows = self.execute(sql, params)
        names = [column[0] for column in rows.description]
        return [dict(zip(names, row, strict=True)) for row in rows]

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        with self.transaction(), self._local.conn.cursor() as cursor:
            self._flush(self._local.conn)
            cursor.executemany(translate(sql), rows)

    def insert(self, sql: str, params: tuple) -> int:
        return self.execute(sql + " RETURNING id", params).fetchone()[0]

    def ddl(self, sql: str) -> str:
        return ddl_types(sql)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction, nested calls joining the outer one; it runs beside others.

        The BEGIN goes with the first statement, and statements nobody reads the answer of
        (``send``) with the next one, in one round trip (psycopg's pipeline mode). Credit
        changes left for the commit (``change_credits_at_commit``) are applied by one
        statement sent with the COMMIT, in one round trip: the balance row is held for the
        server's time only. When the balance cannot cover them, nothing of the transaction
        is kept (``InsufficientCredits``)."""
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        with self.pool.connection() as conn:
            self._local.conn, self._local.credits = conn, []
            self._local.unsent = [("BEGIN", ())]
            try:
                try:
                    yield
                    self._commit(conn, self._local.credits)
                except BaseException:
                    if conn.info.transaction_status != TransactionStatus.IDLE:
                        with contextlib.suppress(psycopg.Error):
                            conn.execute("ROLLBACK")  # a broken one: the pool drops it
                    raise
            finally:
                self._local.conn, self._local.credits, self._local.unsent = None, None, []

    def _commit(self, conn: psycopg.Connection, credits: list[tuple[int, dict]]) -> None:
        if self._local.unsent == [("BEGIN", ())] and not credits:
            self._local.unsent = []
            return  # nothing was said: nothing to commit
        if not credits:
            with conn.pipeline():
                self._flush(conn)
                conn.execute("COMMIT")
            return
        sql, params = credits_statement(credits, self._local.alert)
        sql = translate(sql)
        try:
            with conn.pipeline():
                self._flush(conn)
                conn.execute(sql, params)
                conn.execute("COMMIT")
        except pg_errors.CheckViolation as error:
            if error.diag.constraint_name != "account_balance_check":
                raise
            conn.execute("ROLLBACK")
            balance = conn.execute("SELECT balance FROM account WHERE id = 1").fetchone()[0]
            raise InsufficientCredits(-sum(delta for delta, _ in credits), balance) from None

    def change_credits_at_commit(
        self, delta: int, row: dict, alert: tuple[int, str, str] | None
    ) -> None:
        """Inside ``transaction()``: move the balance by ``delta`` with its ledger line
        ``row`` when the transaction commits (``alert``: the low-credit e-mail's
        (threshold, from, to), queued by the same statement when the balance crosses it)."""
        self._local.credits.append((delta, row))
        self._local.alert = alert

    def lock_key(self, name: str) -> None:
        """Hold ``name`` until the transaction ends: writers of the same name queue, others
        pass (an advisory lock: ``hashtext`` of the name in smsreply's key space)."""
        self.execute("SELECT pg_advisory_xact_lock(?, hashtext(?))", (LOCK_SPACE, name))

    def change_credits(self, delta: int, row: dict) -> int | None:
        """The balance moved by ``delta`` (never below zero) and its ledger line, in one
        statement: the one balance row is held from here to the commit only. The new
        balance, or None when it cannot cover the debit."""
        columns = ", ".join(row)
        marks = ", ".join(f"%({name})s" for name in row)
        sql = (
            "WITH moved AS (UPDATE account SET balance = balance + %(delta)s "
            "WHERE id = 1 AND balance + %(delta)s >= 0 RETURNING balance) "
            f"INSERT INTO ledger (delta, balance, {columns}) "
            f"SELECT %(delta)s, balance, {marks} FROM moved RETURNING balance"
        )
        conn = getattr(self._local, "conn", None)
        params = {**row, "delta": delta}
        if conn is not None:
            found = self._run(conn, sql, params).fetchone()
        else:
            with self.pool.connection() as conn:
                found = conn.execute(sql, params).fetchone()
        return None if found is None else found[0]

    def tables(self) -> list[str]:
        rows = self.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() ORDER BY table_name"
        )
        return [row[0] for row in rows]

    def reset_ids(self, table: str) -> None:
        """After rows were copied with their ids: the next id follows the largest."""
        self.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
        )

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """Hold a lock only one process of all hosts can have: a session advisory lock.

        It lives on a connection of its own, outside the pool, so that it is released
        as soon as this process (or its connection) dies and another host takes over.
        """
        key = zlib.crc32(name.encode()) & 0x7FFF_FFFF
        with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
            held = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
            yield held

    def check(self) -> None:
        """Connect once, outside the pool, to name what is wrong in one line."""
        try:
            with psycopg.connect(self.url, connect_timeout=max(int(self.timeout), 1)) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as error:
            problem = hide_password(self.url, first_line(error))
            raise DatabaseUnavailable(self.location, problem) from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
