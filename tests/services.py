"""Tests that need a service this machine may lack (a PostgreSQL server, tmux, root).

Here such a test is skipped with a message that says how to run it; on CI (``CI=true``) a
missing service fails the test instead, so a green CI run never hides a test that did not run.
"""

from __future__ import annotations

import os

import pytest

MARK = "needs_service"


def on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def needs(
    available: object, what: str, how: str, shared: str | None = None
) -> pytest.MarkDecorator:
    """Mark tests that need ``what`` (given when ``available`` is true); ``how`` runs them.

    Tests that name the same ``shared`` service run one after another on one pytest-xdist
    worker (see :func:`serialise`): one of them may restart the server under the others.
    """
    return getattr(pytest.mark, MARK)(bool(available), f"needs {what}: {how}", shared=shared)


def missing(reason: str) -> None:
    """Inside a test or fixture: a service turned out missing. Skips here, fails on CI."""
    if on_ci():
        pytest.fail(f"CI must run this test, but it {reason}", pytrace=False)
    pytest.skip(reason)


def check(item: pytest.Item) -> None:
    """The conftest's setup hook: skip or fail an item whose service is missing."""
    for mark in item.iter_markers(MARK):
        available, reason = mark.args
        if not available:
            missing(reason)


def serialise(items: list[pytest.Item]) -> None:
    """The conftest's collection hook: one xdist group per shared service (``--dist loadgroup``)."""
    for item in items:
        shared = {m.kwargs.get("shared") for m in item.iter_markers(MARK)} - {None}
        for name in sorted(shared):
            item.add_marker(pytest.mark.xdist_group(name=name))


POSTGRES_HOW = "set SPRINTOPT_TEST_POSTGRES to a database URL (.ci/run starts a server on loopback)"


def needs_postgres(url: str | None, what: str = "a PostgreSQL server") -> pytest.MarkDecorator:
    return needs(url, what, POSTGRES_HOW, shared="postgresql")
