"""The store's named errors, and how a database is named in messages (never its password)."""

from __future__ import annotations

from urllib.parse import urlsplit


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


class DatabaseUnavailable(Exception):
    """The database cannot be used: a wrong URL, an unreachable server, missing rights."""

    def __init__(self, location: str, problem: str) -> None:
        super().__init__(f"database {location}: {problem}")
        self.location = location
        self.problem = problem


def describe_url(url: str) -> str:
    """``postgresql://user:secret@host:5432/db`` → ``postgresql://user@host:5432/db``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "postgresql://(unreadable URL)"
    user = f"{parts.username}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def check_url(url: str) -> None:
    """Refuse what psycopg would misread, naming the problem (never the password)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — a non-numeric port raises here
    except ValueError as error:
        raise DatabaseUnavailable(describe_url(url), f"unreadable URL ({error})") from None
    if parts.scheme not in ("postgresql", "postgres"):
        raise DatabaseUnavailable(
            describe_url(url), "database.url must start with postgresql:// (or be empty: SQLite)"
        )
    if not parts.path.strip("/"):
        raise DatabaseUnavailable(describe_url(url), "the URL names no database (…/dbname)")
