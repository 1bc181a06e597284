"""Helpers shared by tests (fixtures live in conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(
    predicate: Callable[[], object], timeout: float = 90, every: float = 0.3, what: str = ""
) -> None:
    """Return once ``predicate()`` is true; fail, naming ``what`` was awaited, at the deadline.

    The deadline only bounds a hang: a test passes as soon as the condition holds, so make it
    generous (a loaded machine runs processes many times slower) rather than tight.
    """
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"gave up after {timeout:g} s waiting for {what or _name(predicate)}"
            )
        time.sleep(every)  # the poll interval: the condition is checked again after it


def _name(predicate: Callable[[], object]) -> str:
    name = getattr(predicate, "__qualname__", repr(predicate))
    return "a condition" if "<lambda>" in name else name
