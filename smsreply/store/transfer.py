"""Moving up: copy a whole installation (every table, ids kept) into an empty database.

``copy_database(source, target)`` brings both schemas up to date, refuses a target that
already holds data, copies each table in batches inside one transaction of the target
(parents first, so foreign keys hold), then sets each id sequence past the largest id,
so the next conversation, reply or SMS continues the numbering. The migrations' own
record is not copied: the target's migrations wrote it.

Example::

    counts = copy_database(Store("var/smsreply.db"), Store(url="postgresql://…/smsreply"))
"""

from __future__ import annotations

from collections.abc import Callable

from .connection import Connection
from .schema import TABLE as MIGRATIONS_TABLE

BATCH = 5000
PARENTS = ("conversations", "replies", "outgoing", "campaigns")  # tables others reference
SEEDED = {"account", "campaign_pace"}  # one row made by a migration; replaced


class TargetNotEmpty(Exception):
    """The target database already holds smsreply data."""


def data_tables(store: Connection) -> list[str]:
    tables = [
        name
        for name in store.backend.tables()
        if name != MIGRATIONS_TABLE and not name.startswith("sqlite_")
    ]
    return sorted(
        tables,
        key=lambda name: (name not in PARENTS, PARENTS.index(name) if name in PARENTS else 0, name),
    )


def _count(store: Connection, table: str) -> int:
    return store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def copy_database(
    source: Connection, target: Connection, progress: Callable[[str, int], None] = lambda *_: None
) -> dict[str, int]:
    """Copy every row of ``source`` into the empty ``target``; rows copied, by table."""
    source.migrate()
    target.check()
    target.migrate()
    tables = data_tables(source)
    missing = sorted(set(tables) - set(target.backend.tables()))
    if missing:
        raise TargetNotEmpty(f"the target lacks the tables {', '.join(missing)}")
    holding = [table for table in tables if table not in SEEDED and _count(target, table)]
    if holding or target.balance():
        named = ", ".join(holding) or "account (a balance)"
        raise TargetNotEmpty(
            f"{target.location} already holds smsreply data ({named}); "
            "copy-database only fills an empty database"
        )
    copied = {}
    with target.write():
        for table in tables:
            if table in SEEDED:
                target.db.execute(f"DELETE FROM {table}")
            copied[table] = _copy_table(source, target, table)
            progress(table, copied[table])
        for table in tables:
            if "id" in _columns(source, table):
                target.backend.reset_ids(table)
    return copied


def _columns(store: Connection, table: str) -> list[str]:
    cursor = store.db.execute(f"SELECT * FROM {table} LIMIT 0")
    return [column[0] for column in cursor.description]


def _copy_table(source: Connection, target: Connection, table: str) -> int:
    columns = _columns(source, table)
    order = "id" if "id" in columns else columns[0]
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    )
    copied, last = 0, None
    while True:
        after = "" if last is None else f" WHERE {order} > ?"
        rows = source.db.execute(
            f"SELECT {', '.join(columns)} FROM {table}{after} ORDER BY {order} LIMIT {BATCH}",
            () if last is None else (last,),
        ).fetchall()
        if not rows:
            return copied
        target.backend.executemany(insert, [tuple(row) for row in rows])
        copied += len(rows)
        last = rows[-1][columns.index(order)]
