"""The web manager's accounts: password hashing, creating, checking and throttling logins.

Passwords are hashed with werkzeug's scrypt and only the hash is stored (``users`` table,
through the store). ``verify`` spends the same scrypt work whether or not the name
exists, so timing does not reveal account names. A password change ends the user's open
sessions (``sessions``); guessing is slowed by ``throttle``. No Flask here: the CLI uses
it too.

Example::

    create_user(store, "admin", "correct horse battery", now_iso)
    verify(store, "admin", "correct horse battery")  # the user's row, or None
"""

from __future__ import annotations

import functools
import re
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import ValidationError
from ..store import Store

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
    """Replace a password and end the user's sessions everywhere; raises the store's
    ``NotFound`` for an unknown user."""
    check_password(password)
    with store.write():
        store.set_user_password(username, hash_password(password))
        store.end_sessions_of(username)


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
