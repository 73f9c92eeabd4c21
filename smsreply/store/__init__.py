"""The only package that speaks SQL: smsreply's state in one SQLite file or in PostgreSQL.

``Store(path)`` uses the SQLite file (sqlite-utils); ``Store(url="postgresql://…")`` a
PostgreSQL server (psycopg 3); ``Store.from_settings(settings)`` picks by ``database.url``.
Multi-step writes go in ``store.write()``, one transaction (alone on SQLite; beside others on
PostgreSQL, each write guarded by what it touches: ``docs/reliability.md``). Lookups
that miss raise ``NotFound``; a database that cannot be used raises ``DatabaseUnavailable``;
``STORAGE_ERRORS`` are the drivers' errors meaning "the database cannot be written now".

Example::

    store = Store.from_settings(settings)
    store.migrate()
    with store.write():
        store.change_credits(10, at, "top-up")
"""

from __future__ import annotations

from .account import AccountQueries
from .campaigns import CampaignQueries
from .connection import DatabaseUnavailable, InsufficientCredits, NotFound
from .errors import ClaimLost
from .gauges import GaugeQueries
from .idempotency import IdempotencyQueries
from .messages import MessageQueries
from .reply_jobs import ReplyJobQueries
from .sessions import SessionQueries
from .sqlite import ERRORS as SQLITE_ERRORS


class Store(
    AccountQueries,
    CampaignQueries,
    GaugeQueries,
    IdempotencyQueries,
    MessageQueries,
    ReplyJobQueries,  # and the work queue's verbs it builds on (work.py)
    SessionQueries,
):
    """The whole store: ``Store(path)`` or ``Store(url=…)``, then its verb-named methods."""


def storage_errors() -> tuple[type[Exception], ...]:
    """The errors that mean the database cannot be used right now (503, try again)."""
    try:
        from .postgres import ERRORS as POSTGRES_ERRORS
    except ImportError:  # psycopg not installed: SQLite only
        return (*SQLITE_ERRORS, DatabaseUnavailable)
    return (*SQLITE_ERRORS, *POSTGRES_ERRORS, DatabaseUnavailable)


__all__ = [
    "ClaimLost",
    "DatabaseUnavailable",
    "InsufficientCredits",
    "NotFound",
    "Store",
    "storage_errors",
]
