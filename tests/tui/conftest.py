"""Fixtures for the app's tests: sessions built once per run and copied for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.session import Session
from engine.states import Action
from tests.conftest import SessionDir, write_spec
from tests.tui.support import EXTRA, SPRINTS, create, step_until


@pytest.fixture(scope="session")
def awaiting_template(tmp_path_factory):
    """A session whose first sprint closed, built once: a proposal waits for a decision."""
    path = tmp_path_factory.mktemp("awaiting")
    write_spec(path, "t", "quadratic", SPRINTS, extra=EXTRA)
    sd = SessionDir(path, "t")
    session = create(sd)
    step_until(sd, session, lambda: session.refresh().state == "awaiting")
    session.store.close()  # the last connection folds the WAL into the file, ready to copy
    return path


def _fresh_copy(template: Path, path: Path):
    """A copy of a template session for one test: (its directory, a session handle)."""
    shutil.copytree(template, path)
    sd = SessionDir(path, "t")
    session = Session.open(sd.name, sd.url)
    yield sd, session
    session.store.close()


@pytest.fixture
def awaiting(awaiting_template, tmp_path):
    """A fresh copy of the awaiting session for one test: (its directory, a session handle)."""
    yield from _fresh_copy(awaiting_template, tmp_path / "awaiting")


@pytest.fixture(scope="session")
def two_sprints_template(awaiting_template, tmp_path_factory):
    """The awaiting session with its proposal accepted and the second sprint run to its end:
    configurations ran at two fidelities, so the cross-sprint view has a gate to show."""
    path = tmp_path_factory.mktemp("two-sprints") / "t"
    shutil.copytree(awaiting_template, path)
    sd = SessionDir(path, "t")
    session = Session.open(sd.name, sd.url)
    session.decide(Action.ACCEPTED, operator="test")
    step_until(sd, session, lambda: session.refresh().state != "running")
    session.store.close()
    return path


@pytest.fixture
def two_sprints(two_sprints_template, tmp_path):
    """A fresh copy of the two-sprint session for one test: (its directory, a session handle)."""
    yield from _fresh_copy(two_sprints_template, tmp_path / "two-sprints")
