"""Time as smsreply reads and stores it: aware UTC datetimes, ISO 8601 text in SQLite.

Every component takes a ``clock`` (a function returning the current time) so tests can
pin the 48-hour boundary; ``utcnow`` is the real one. Stored timestamps share one fixed
format, so SQLite compares them correctly as text.

Example::

    to_iso(utcnow())  # "2026-11-25T01:52:11.123456+00:00"
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
