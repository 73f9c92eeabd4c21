"""The installation's secrets: the callback token and the API key.

``smsreply init`` creates both. The callback token goes in the URL given to the provider
(``/callbacks/ovh/<token>``), so it is stored as is and shown by ``smsreply info``. The
API key is shown once and stored only as its SHA-256 (it is 256 random bits, so a plain
hash suffices). Comparisons are constant-time. The callback token, made once and never
changed, is read once by each process; the API key (which can be replaced) every time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from ..store import NotFound, Store

CALLBACK_TOKEN = "callback_token"
API_KEY_HASH = "api_key_sha256"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def ensure_secret(store: Store, name: str, size: int) -> str:
    """The secret ``name``, made (``size`` random bytes) the first time and kept."""
    try:
        return store.get_secret(name)
    except NotFound:
        return store.keep_secret(name, secrets.token_urlsafe(size))


def ensure_callback_token(store: Store) -> str:
    return ensure_secret(store, CALLBACK_TOKEN, 24)


def new_api_key(store: Store) -> str:
    """Create (or replace) the API key and return it; it cannot be read back later."""
    key = "sk_" + secrets.token_urlsafe(32)
    with store.write():
        store.set_secret(API_KEY_HASH, _digest(key))
    return key


def has_api_key(store: Store) -> bool:
    try:
        store.get_secret(API_KEY_HASH)
    except NotFound:
        return False
    return True


def check_api_key(store: Store, key: str) -> bool:
    try:
        expected = store.get_secret(API_KEY_HASH)
    except NotFound:
        return False
    return hmac.compare_digest(expected, _digest(key))


def check_callback_token(store: Store, token: str) -> bool:
    try:  # made once, never changed: read once per process (a round trip per callback less)
        expected = store.get_kept_secret(CALLBACK_TOKEN)
    except NotFound:
        return False
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))
