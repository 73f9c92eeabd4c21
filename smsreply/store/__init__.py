"""The only package that speaks SQL: smsreply's state in one SQLite file (sqlite-utils).

Each thread gets its own connection (WAL, a busy timeout) so gunicorn workers and their
background threads write safely at once. Multi-step writes go in ``store.write()``,
a ``BEGIN IMMEDIATE`` transaction: the write lock is taken first, so two writers queue
instead of failing with "database is locked". Lookups that miss raise ``NotFound``.

Example::

    store = Store("var/smsreply.db")
    store.migrate()
    with store.write():
        store.change_credits(10, at, "top-up")
"""

from __future__ import annotations

from .account import AccountQueries
from .campaigns import CampaignQueries
from .connection import InsufficientCredits, NotFound
from .messages import MessageQueries
from .sessions import SessionQueries
from .work import WorkQueries


class Store(AccountQueries, CampaignQueries, MessageQueries, SessionQueries, WorkQueries):
    """The whole store: ``Store(path)``, then its verb-named methods."""


__all__ = ["InsufficientCredits", "NotFound", "Store"]
