"""Manager sessions held on the server: opened at login, ended by logout or a password
change, and never alive past their absolute lifetime (``manager.session_hours``).

The cookie carries only a random token; the database keeps its SHA-256 with the user
name and the expiry, so every worker and host sees a logout at once, and a cookie saved
before it opens nothing afterwards. Using a session does not extend it.

Example::

    token = open_session(store, "admin", now, hours=12)
    session_user(store, token, now)  # the user's row, or None
    end_session(store, token)
"""

from __future__ import annotations

import hashlib
import secrets

from ..store import Store


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def open_session(store: Store, username: str, now: float, hours: float) -> str:
    token = secrets.token_urlsafe(32)
    store.open_session(_hash(token), username, now, now + hours * 3600)
    return token


def session_user(store: Store, token: object, now: float) -> dict | None:
    """The user of a live session, or None: no token, ended, expired or user removed."""
    if not isinstance(token, str) or not token:
        return None
    row = store.find_session(_hash(token), now)
    return store.find_user(row["username"]) if row else None


def end_session(store: Store, token: object) -> None:
    if isinstance(token, str) and token:
        store.end_session(_hash(token))
