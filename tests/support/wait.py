"""Waiting for something another thread or process does: the tests' one polling loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal, TypeVar

T = TypeVar("T")

TIMEOUT = 20.0  # generous: only a failing wait lasts that long, and the machine may be busy


def poll(
    predicate: Callable[[], T | Literal[False] | None],
    timeout: float = TIMEOUT,
    *,
    interval: float = 0.01,
) -> T | None:
    """Poll ``predicate`` until it returns a true value, and return that value; None
    after ``timeout`` seconds, for a caller that reports the failure its own way
    (a bool, a RuntimeError, a log). The predicate gets one last call at the
    deadline: a slow poll does not lose a value that arrived meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def wait_for(
    predicate: Callable[[], T | Literal[False] | None],
    timeout: float = TIMEOUT,
    *,
    interval: float = 0.01,
    what: str = "",
) -> T:
    """Poll ``predicate`` until it returns a true value, and return that value.

    Raises AssertionError naming ``what`` (else the predicate) after ``timeout``
    seconds, so a wait that never ends fails the test with the reason.
    """
    value = poll(predicate, timeout, interval=interval)
    if value is None:
        raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
    return value
