"""Calling a person: the notify command's environment, its failures only logged, each notice
claimed once, and a failure streak called once per streak."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from engine.notices import Notices, failure_streak
from engine.notify import Notice, Notifier, notice_environ
from engine.settings import NOTIFY_ENV, STORAGE_ENV
from engine.states import NoticeEvent
from engine.store import Store
from tests.tui.support import create, step_until

SECRET_URL = "postgresql://ann:s3cret@db.example/hpo"
NOTICE = Notice(NoticeEvent.PROPOSAL, "t", 1, "sprint 1 closed;\na proposal waits")
#: A command that writes the event, the session and the sprint, one line per call.
RECORD = 'echo "$SPRINTOPT_EVENT $SPRINTOPT_SESSION $SPRINTOPT_SPRINT" >> "{}"'


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


# -- the command's environment ---------------------------------------------------------------
def test_the_command_gets_the_notice_and_never_the_password() -> None:
    env = notice_environ(NOTICE, SECRET_URL, {STORAGE_ENV: SECRET_URL, "HOME": "/home/ann"})
    assert env["SPRINTOPT_SESSION"] == "t" and env["SPRINTOPT_EVENT"] == "proposal"
    assert env["SPRINTOPT_SPRINT"] == "1" and env["HOME"] == "/home/ann"
    assert env["SPRINTOPT_SUMMARY"] == "sprint 1 closed; a proposal waits"  # one line
    assert STORAGE_ENV not in env
    assert "s3cret" not in "".join(env.values()) and "db.example" in env["SPRINTOPT_URL"]


# -- a failing command is logged, and never waited for ---------------------------------------
@pytest.mark.parametrize(
    ("command", "logged"),
    [
        ("echo oops >&2; exit 1", "the command exited with 1: oops"),
        ("no-such-command-sprintopt", "the command was not found (exit 127)"),
        ("sleep 30", "the command ran past 0.5 s and was killed"),
    ],
    ids=["exit 1", "not found", "hangs"],
)
def test_a_failing_command_is_logged(command: str, logged: str, caplog) -> None:
    caplog.set_level(logging.INFO, logger="sprintopt.notify")
    notifier = Notifier(command, "sqlite:///x.db", timeout=0.5)
    start = time.monotonic()
    notifier.send(NOTICE)
    assert time.monotonic() - start < 0.5  # the worker goes on at once
    notifier.drain()
    assert any(logged in r.getMessage() for r in caplog.records), caplog.text


def test_a_command_left_in_the_background_does_not_hold_the_notice(tmp_path: Path) -> None:
    notifier = Notifier(f"(sleep 30; touch {tmp_path}/late) & echo sent", "sqlite:///x.db", 5)
    start = time.monotonic()
    notifier.send(NOTICE)
    notifier.drain()
    assert time.monotonic() - start < 4  # it waited for the shell, not for its background job


# -- exactly one process calls ---------------------------------------------------------------
def test_a_notice_is_claimed_once(session_dir) -> None:
    sd = session_dir()
    session = create(sd)
    store, sid = session.store, session.record.id
    assert store.claim_notice(sid, NoticeEvent.FAILING, "1:0")
    assert not Store(sd.url).claim_notice(sid, NoticeEvent.FAILING, "1:0")  # another process
    assert store.claim_notice(sid, NoticeEvent.FAILING, "1:5")  # the next streak
    assert store.claim_notice(sid, NoticeEvent.PROPOSAL, "1:0")


def test_a_database_from_before_notices_gets_their_table_from_a_writer(session_dir) -> None:
    sd = session_dir()
    create(sd).store.close()
    db = sd.path / "sessions" / "t.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE sprintopt_notices")
    reader = Store(sd.url, readonly=True)  # a reader does without it, and adds nothing
    assert reader.session("t").name == "t"
    reader.close()
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "sprintopt_notices" not in tables
    writer = Store(sd.url)
    assert writer.claim_notice(writer.session("t").id, NoticeEvent.FINISHED, "")


# -- the failure streak ----------------------------------------------------------------------
def _trial(number: int, state: TrialState, **attrs: object) -> optuna.trial.FrozenTrial:
    t = create_trial(
        state=state,
        value=1.0 if state == TrialState.COMPLETE else None,
        params={"x": 0.5},
        distributions={"x": FloatDistribution(0, 1)},
        user_attrs={"sprintopt.fail_reason": f"boom {number}", **attrs},
    )
    t.number = number
    return t


def test_the_streak_is_the_failures_since_the_last_trial_that_did_not_fail() -> None:
    ok, fail = TrialState.COMPLETE, TrialState.FAIL
    trials = [_trial(0, fail), _trial(1, ok), _trial(2, fail), _trial(3, fail)]
    streak = failure_streak(trials, handed_back=set())
    assert streak is not None and (streak.first, streak.length, streak.reason) == (2, 2, "boom 3")
    assert failure_streak([*trials, _trial(4, TrialState.PRUNED)], set()) is None
    # Handed back (the infrastructure's fault) and over budget: not the objective's failures.
    skipped = [*trials, _trial(4, fail, **{"sprintopt.over_budget": True}), _trial(5, fail)]
    streak = failure_streak(skipped, handed_back={5})
    assert streak is not None and (streak.first, streak.length) == (2, 2)


def test_a_failure_streak_calls_once_per_streak(session_dir, monkeypatch) -> None:
    """Trials fail 4 in a row, one completes, 3 fail: two calls (one per streak), then the
    session's end; a second worker seeing the same streak does not call again."""
    sd = session_dir(
        objective="flaky",
        sprints=[{"name": "only", "trials": 8}],
        extra='[notify]\ncommand = "unused: workers take theirs from the environment"\n',
    )
    out = sd.path / "notified.txt"
    monkeypatch.setenv(NOTIFY_ENV, RECORD.format(out))
    session = create(sd)
    study = session.study(session.current())
    for x in (0.1, 0.3, 0.5, 0.65, 0.9, 0.1, 0.15, 0.35):  # flaky fails below 0.7
        study.enqueue_trial({"x": x})
    step_until(sd, session, lambda: session.refresh().state == "finished")
    assert lines(out) == ["failing t 1", "failing t 1", "finished t 1"]
    # Another worker that saw the last streak: its claim loses, it calls nobody.
    sprint = session.current()
    other = Notices(session, Notifier(RECORD.format(out), sd.url))
    other.trial_failed(sprint, session.trials(sprint), set())
    other.drain()
    assert len(lines(out)) == 3


def test_a_notice_that_cannot_be_sent_stops_no_worker(session_dir, monkeypatch, caplog) -> None:
    caplog.set_level(logging.INFO)
    sd = session_dir(sprints=[{"name": "only", "trials": 2}])
    monkeypatch.setenv(NOTIFY_ENV, "exit 3")
    session = create(sd)
    step_until(sd, session, lambda: session.refresh().state == "finished")  # drains on leaving
    assert "notify finished: the command exited with 3" in caplog.text
