"""The web manager's accounts: password hashing, creating, checking and throttling logins.

Passwords are hashed with werkzeug's scrypt and only the hash is stored (``users`` table,
through the store). ``verify`` spends the same scrypt work whether or not the name
exists, so timing does not reveal account names. ``LoginThrottle`` counts recent failures
per key (a user name, an address) in memory and refuses further tries for a while; it is
per process, which is enough to make guessing slow. No Flask here: the CLI uses it too.

Example::

    create_user(store, "admin", "correct horse battery", now_iso)
    verify(store, "admin", "correct horse battery")  # the user's row, or None
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
import time
from collections import deque

from werkzeug.security import check_password_hash, generate_password_hash

from .errors import ValidationError
from .store import Store

MIN_PASSWORD = 8
MAX_PASSWORD = 1024  # scrypt cost grows with the input; refuse megabyte "passwords"
USERNAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


@functools.cache
def _dummy_hash() -> str:
    # Checked when the user does not exist, so a miss costs as much as a wrong password.
    return generate_password_hash("smsreply-no-such-user", method="scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_username(username: str) -> str:
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise ValidationError("a user name is 1 to 64 letters, digits or . _ @ -", field="username")
    return username


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"the password must have at least {MIN_PASSWORD} characters", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationError(
            f"the password must have at most {MAX_PASSWORD} characters", field="password"
        )
    return password


def random_password() -> str:
    return secrets.token_urlsafe(15)


def create_user(store: Store, username: str, password: str, at: str) -> int:
    """Add an account; ``ValidationError`` for a bad name, a short password or a duplicate."""
    check_username(username)
    check_password(password)
    try:
        return store.add_user(username, hash_password(password), at)
    except ValueError as error:
        raise ValidationError(str(error), field="username") from None


def change_password(store: Store, username: str, password: str) -> None:
    """Replace a password; raises the store's ``NotFound`` for an unknown user."""
    check_password(password)
    store.set_user_password(username, hash_password(password))


def verify(store: Store, username: str, password: str) -> dict | None:
    """Return the user's row when the password is right, else None."""
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return None
    user = store.find_user(username) if USERNAME.fullmatch(username or "") else None
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return None
    return user if check_password_hash(user["password_hash"], password) else None


def has_users(store: Store) -> bool:
    return bool(store.list_users())


class LoginThrottle:
    """At most ``max_failures`` failed logins per key within ``window`` seconds."""

    def __init__(self, max_failures: int = 5, window: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it may try now."""
        with self._lock:
            recent = self._recent(key, time.monotonic())
            if len(recent) < self.max_failures:
                return 0.0
            return max(0.0, recent[0] + self.window - time.monotonic())

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())
            if len(self._failures) > 10000:  # bound memory under a spray of names
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
