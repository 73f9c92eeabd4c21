"""A campaign's lines checked in a private scratch SQLite file before the database sees them.

Checking 100,000 lines takes seconds; doing it inside the database's write transaction
would hold the one write lock that long (every reply callback, every worker starting,
would wait — past ``database.busy_timeout``, they fail). So the lines are checked into a
temporary file of their own (duplicates found by its primary key, in constant memory),
and only the result is copied into the database, in one short transaction
(``CampaignQueries.add_campaign_lines``). A preview never writes to the database at all.
The file is removed on exit.

Example::

    with Staging() as staging:
        first_line = staging.add_recipient(row)  # None: new; else the line it repeats
        staging.reject(row)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator

RECIPIENT_COLUMNS = ("line", "recipient", "message", "encoding", "segments", "credits")
REJECTION_COLUMNS = ("line", "recipient", "reason", "detail")


class Staging:
    def __init__(self, folder: str | None = None) -> None:
        descriptor, self.path = tempfile.mkstemp(
            prefix="smsreply-campaign-", suffix=".db", dir=folder
        )
        os.close(descriptor)
        # Scratch data, rebuilt by a retry: no journal, no fsync.
        self.conn = sqlite3.connect(self.path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute(
            "CREATE TABLE recipients (line INTEGER NOT NULL, recipient TEXT PRIMARY KEY, "
            "message TEXT NOT NULL, encoding TEXT NOT NULL, segments INTEGER NOT NULL, "
            "credits INTEGER NOT NULL)"
        )
        self.conn.execute(
            "CREATE TABLE rejections (line INTEGER NOT NULL, recipient TEXT NOT NULL, "
            "reason TEXT NOT NULL, detail TEXT NOT NULL)"
        )
        self.conn.execute("BEGIN")  # one transaction: rows are cheap inside it

    def add_recipient(self, row: dict) -> int | None:
        """Keep a valid line; None, or the line of the same number when it repeats one."""
        cursor = self.conn.execute(
            "INSERT INTO recipients VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (recipient) DO NOTHING",
            tuple(row[column] for column in RECIPIENT_COLUMNS),
        )
        if cursor.rowcount == 1:
            return None
        found = self.conn.execute(
            "SELECT line FROM recipients WHERE recipient = ?", (row["recipient"],)
        )
        return found.fetchone()[0]

    def reject(self, row: dict) -> None:
        self.conn.execute(
            "INSERT INTO rejections VALUES (?, ?, ?, ?)",
            tuple(row[column] for column in REJECTION_COLUMNS),
        )

    def rejections(self, limit: int | None = None) -> Iterator[dict]:
        """The rejected lines in line order (the first ``limit``)."""
        sql = "SELECT line, recipient, reason, detail FROM rejections ORDER BY line"
        yield from self._rows(sql + (f" LIMIT {int(limit)}" if limit else ""), REJECTION_COLUMNS)

    def recipients(self) -> Iterator[dict]:
        columns = ", ".join(RECIPIENT_COLUMNS)
        yield from self._rows(f"SELECT {columns} FROM recipients ORDER BY line", RECIPIENT_COLUMNS)

    def _rows(self, sql: str, columns: tuple[str, ...]) -> Iterator[dict]:
        cursor = self.conn.execute(sql)
        while rows := cursor.fetchmany(1000):
            yield from (dict(zip(columns, row, strict=True)) for row in rows)

    def close(self) -> None:
        self.conn.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
