"""Slowing password guessing without letting anyone lock a user out.

Failures are counted per (client address, user name) and per address, in the database
(every worker and host counts together). The first ``free`` failures of a key cost
nothing; each one after makes the key wait twice as long before its next try (1 s, 2 s,
4 s … at most ``MAX_DELAY``). A key's count is forgotten ``FORGET_AFTER`` seconds after
its last failure, and a success clears its (address, user) count. Nothing counts per user
alone: a guesser elsewhere never stops the real user, who logs in from their own
address. No Flask here.

Example::

    keys = throttle_keys("203.0.113.9", "admin")
    login_wait(store, keys, now)  # 0.0: may try now
    login_failed(store, keys, now)
"""

from __future__ import annotations

import hashlib

from ..monitoring import metrics
from ..store import Store

PAIR_FREE = 5  # failures of one address on one user before delays start
ADDRESS_FREE = 30  # failures of one address, any user names (spraying)
MAX_DELAY = 300.0
FORGET_AFTER = 900.0


def throttle_keys(address: str, username: str) -> tuple[str, str]:
    """(the address-and-user key, the address key); user names hashed to a bounded size."""
    user = hashlib.sha256(username.lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]
    address = address[:64] or "-"
    return f"pair:{address}|{user}", f"addr:{address}"


def delay_after(failures: int, free: int) -> float:
    return 0.0 if failures < free else min(2.0 ** (failures - free), MAX_DELAY)


def login_wait(store: Store, keys: tuple[str, str], now: float) -> float:
    """Seconds before these keys may try again; 0.0 when they may try now."""
    rows = store.login_blocks(keys)
    wait = max([row["blocked_until"] - now for row in rows] + [0.0])
    if wait:
        metrics.login_throttled()
    return wait


def login_failed(store: Store, keys: tuple[str, str], now: float) -> None:
    metrics.login_failed()
    with store.write():
        for key, free in zip(keys, (PAIR_FREE, ADDRESS_FREE), strict=True):
            failures = store.count_login_failure(key, now, now - FORGET_AFTER)
            store.block_login(key, now + delay_after(failures, free))


def login_succeeded(store: Store, keys: tuple[str, str]) -> None:
    store.clear_login_failures(keys[0])
