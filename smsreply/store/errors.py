"""The store's named errors, and how a database is named in messages (never its password)."""

from __future__ import annotations

import re
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


class ClaimLost(Exception):
    """A job's claim is no longer ours (taken over after its lease ran out, or ended):
    raised inside ``write()``, so that nothing of the transaction is kept."""

    def __init__(self, kind: str, job_id: int) -> None:
        super().__init__(f"{kind} #{job_id}: our claim on it was lost")
        self.kind = kind
        self.job_id = job_id


class DatabaseUnavailable(Exception):
    """The database cannot be used: a wrong URL, an unreachable server, missing rights."""

    def __init__(self, location: str, problem: str) -> None:
        super().__init__(f"database {location}: {problem}")
        self.location = location
        self.problem = problem


URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _conninfo(url: str) -> dict[str, str] | None:
    """``database.url`` as libpq reads it — a ``postgresql://`` URL or ``key=value`` pairs
    — or None when it cannot be read (libpq's message then quotes the text: not shown)."""
    from psycopg.conninfo import conninfo_to_dict  # psycopg only loads for PostgreSQL

    try:
        return {name: str(value) for name, value in conninfo_to_dict(url.strip()).items()}
    except Exception:
        return None


def describe_url(url: str) -> str:
    """Where ``database.url`` points, never its password, whatever its form:
    ``postgresql://user:secret@host:5432/db`` or ``host=… port=… user=… password=…
    dbname=…`` → ``postgresql://user@host:5432/db``."""
    text = url.strip()
    scheme = URL_SCHEME.match(text)
    if scheme and scheme.group().lower() not in ("postgresql://", "postgres://"):
        try:  # another database's URL: named by its scheme, host and path only
            parts = urlsplit(text)
            return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
        except ValueError:
            return f"{parts.scheme}://(unreadable URL)"
    params = _conninfo(text)
    if params is None:
        return "postgresql://(unreadable URL)"
    user = f"{params['user']}@" if params.get("user") else ""
    port = f":{params['port']}" if params.get("port") else ""
    host = params.get("host", "")
    socket = f"?host={host}" if host.startswith("/") else ""  # a Unix socket's folder
    host = "" if socket else host
    return f"postgresql://{user}{host}{port}/{params.get('dbname', '')}{socket}"


def hide_password(url: str, text: str) -> str:
    """``text`` (a driver's message) with ``url``'s password, if it holds it, as ``***``."""
    password = (_conninfo(url) or {}).get("password")
    return text.replace(password, "***") if password else text


def check_url(url: str) -> None:
    """Refuse what psycopg would misread, naming the problem (never the password)."""
    text = url.strip()
    scheme = URL_SCHEME.match(text)
    if scheme and scheme.group().lower() not in ("postgresql://", "postgres://"):
        raise DatabaseUnavailable(
            describe_url(url),
            "database.url must start with postgresql:// or be key=value pairs "
            "(host=… dbname=…), or be empty: SQLite",
        )
    params = _conninfo(text)
    if params is None:
        raise DatabaseUnavailable(
            describe_url(url),
            "unreadable database.url: neither a postgresql:// URL nor key=value pairs "
            "(quote a value holding spaces: password='a b')",
        )
    if scheme:
        try:
            urlsplit(text).port  # noqa: B018 — a non-numeric port raises here
        except ValueError as error:
            raise DatabaseUnavailable(describe_url(url), f"unreadable URL ({error})") from None
    if not params.get("dbname"):
        raise DatabaseUnavailable(describe_url(url), "database.url names no database (…/dbname)")
