"""How the schema steps run, on SQLite and PostgreSQL alike (``migrations/`` lists them).

Each step runs once, in the migrating transaction, and is recorded in
``_sqlite_migrations`` (the table sqlite-utils' ``Migrations`` kept, so databases it made
upgrade seamlessly; the name stays on PostgreSQL too). Steps are written in SQLite's words
(``id INTEGER PRIMARY KEY``, INTEGER/TEXT/REAL); ``Schema.execute`` turns them into the
backend's (PostgreSQL: identity, BIGINT, DOUBLE PRECISION).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

SET = "smsreply"
TABLE = "_sqlite_migrations"


class Schema:
    """What a step gets as ``db``: ``execute`` runs DDL in the backend's dialect."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.dialect = backend.dialect

    def execute(self, sql: str, params: tuple = ()):
        return self.backend.execute(self.backend.ddl(sql), params)


class Migrations:
    """An ordered list of steps, each applied once; a step's name is its function's."""

    def __init__(self, *steps: Callable[[Schema], None]) -> None:
        self.steps: list[Callable[[Schema], None]] = list(steps)

    def applied(self, backend) -> set[str]:
        if TABLE not in backend.tables():
            return set()
        rows = backend.execute(f"SELECT name FROM {TABLE} WHERE migration_set = ?", (SET,))
        return {row[0] for row in rows}

    def apply(self, backend) -> list[str]:
        """Run the pending steps in order (the caller holds the write transaction)."""
        schema = Schema(backend)
        schema.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (id INTEGER PRIMARY KEY, "
            "migration_set TEXT, name TEXT, applied_at TEXT)"
        )
        schema.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS idx_{TABLE}_migration_set_name "
            f"ON {TABLE} (migration_set, name)"
        )
        done = self.applied(backend)
        names = []
        for step in self.steps:
            if step.__name__ in done:
                continue
            step(schema)
            backend.execute(
                f"INSERT INTO {TABLE} (migration_set, name, applied_at) VALUES (?, ?, ?)",
                (SET, step.__name__, str(datetime.now(UTC))),
            )
            names.append(step.__name__)
        return names
