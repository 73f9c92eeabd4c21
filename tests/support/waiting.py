"""Waiting for something a real server does on its own time, without a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 15.0) -> T | None:
    """Poll ``predicate`` every 50 ms until it returns something true, and return that; None
    if ``timeout`` seconds pass first (so ``assert wait_for(...)`` fails with the test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    return None
