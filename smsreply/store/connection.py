"""The store's foundation: a backend (SQLite file or PostgreSQL), transactions, generic rows.

The backend is picked by ``database.url``: empty, the SQLite file at ``database.path``
(``sqlite.py``); ``postgresql://…``, a PostgreSQL server (``postgres.py``). Both take the same
SQL (``?`` placeholders) through ``self.db.execute``/``self.db.query``, and ``self.db.send``
for a statement whose answer nobody reads (on PostgreSQL it goes with the next statement,
in the same round trip). Multi-step writes go in
``write()``: one transaction (SQLite's ``BEGIN IMMEDIATE``, which runs alone; on PostgreSQL
it runs beside others, each write guarded by what it touches: ``docs/reliability.md``).
Lookups that miss raise ``NotFound``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

from ..settings import DATABASE_LIMITS
from .errors import DatabaseUnavailable, InsufficientCredits, NotFound, check_url
from .migrations import migrations
from .sqlite import SqliteBackend

__all__ = ["Connection", "DatabaseUnavailable", "InsufficientCredits", "NotFound"]


class Connection:
    def __init__(
        self,
        path: str | Path = "var/smsreply.db",
        busy_timeout: float = 30.0,
        synchronous: str = "NORMAL",
        url: str = "",
        pool_size: int = 10,
        limits: Mapping[str, float] | None = None,
    ):
        url = url.strip()  # a stray space would turn a URL into libpq's key=value form
        if url:
            check_url(url)
            from .postgres import PostgresBackend  # psycopg only loads for PostgreSQL users

            self.backend = PostgresBackend(
                url, pool_size=pool_size, timeout=busy_timeout, limits=limits
            )
        else:
            self.backend = SqliteBackend(path, busy_timeout, synchronous)
        self._kept: dict[str, str] = {}  # ``get_kept_secret``'s, read once

    @classmethod
    def at(cls, database: str | Path):
        """``Store.at("var/smsreply.db")`` or ``Store.at("postgresql://…")``."""
        if str(database).startswith(("postgresql://", "postgres://")):
            return cls(url=str(database))
        return cls(database)

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]):
        store = cls(
            settings["database.path"],
            settings["database.busy_timeout"],
            url=settings["database.url"],
            pool_size=settings["database.pool_size"],
            # lock_timeout, statement_timeout…: what a PostgreSQL session sets (postgres.py)
            limits={name.split(".", 1)[1]: settings[name] for name in DATABASE_LIMITS},
        )
        if settings.get("credits.alert_below"):  # see ``AccountQueries.change_credits``
            store.low_credit_alert = (
                settings["credits.alert_below"],
                settings["credits.alert_from"],
                settings["credits.alert_email"],
            )
        return store

    # -- backend, connections and transactions --------------------------------------

    @property
    def db(self):
        """What runs SQL: ``execute(sql, params)`` (a cursor) and ``query`` (dicts)."""
        return self.backend

    @property
    def dialect(self) -> str:
        return self.backend.dialect

    @property
    def location(self) -> str:
        """The SQLite file, or the PostgreSQL URL without its password."""
        return self.backend.location

    @property
    def path(self) -> Path | None:
        return getattr(self.backend, "path", None)

    def close(self) -> None:
        self.backend.close()

    def check(self) -> None:
        """Raise ``DatabaseUnavailable`` (one line, no password) if the database is unusable."""
        self.backend.check()

    @contextlib.contextmanager
    def write(self) -> Iterator[object]:
        """One write transaction, nested calls joining the outer one. On SQLite it runs
        alone; on PostgreSQL beside others: its statements guard what they touch."""
        with self.backend.transaction():
            yield self.backend

    @contextlib.contextmanager
    def one_statement(self) -> Iterator[None]:
        """A write of one statement: on SQLite a write transaction, as ``write()``; on
        PostgreSQL none of its own — a statement outside a transaction is one by itself,
        one round trip where ``BEGIN`` … ``COMMIT`` make three. Inside ``write()`` it
        joins the transaction, on both."""
        if self.dialect == "postgresql":
            yield
            return
        with self.backend.transaction():
            yield

    def lock_key(self, name: str) -> None:
        """Inside ``write()``: hold ``name`` until the commit, so that writers of the same
        name (a recipient's short codes) queue; nothing on SQLite (one writer)."""
        self.backend.lock_key(name)

    @contextlib.contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """True while this process alone holds ``name`` (across hosts on PostgreSQL)."""
        with self.backend.exclusive(name) as held:
            yield held

    def migrate(self) -> list[str]:
        """Apply pending schema steps; return their names.

        Any problem (unreachable server, wrong password, missing rights, not a database)
        becomes one ``DatabaseUnavailable`` line naming it, never the password.
        """
        self.check()
        try:
            with self.write():
                self.lock_key("migrations")  # two starting workers must not both migrate
                return migrations.apply(self.backend)
        except self.backend.FAILURES as error:
            problem = (str(error).strip() or type(error).__name__).splitlines()[0]
            raise DatabaseUnavailable(self.location, problem) from None

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
        return self.db.query(sql, params)

    def insert(self, table: str, row: dict) -> int:
        """Insert one row; its new id."""
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        return self.backend.insert(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(row.values())
        )

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

    def get_kept_secret(self, name: str) -> str:
        """``get_secret`` for a secret made once and never changed (``keep_secret``: the
        callback token): read once by this process, not on every request."""
        value = self._kept.get(name)
        if value is None:
            value = self._kept[name] = self.get_secret(name)
        return value

    def keep_secret(self, name: str, value: str) -> str:
        """Store ``value`` as ``name`` unless one is stored already; the one stored (the
        first of two processes starting at once wins, on every host)."""
        self.db.execute(
            "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (name, value),
        )
        return self.get_secret(name)

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
