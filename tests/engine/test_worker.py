"""Workers run in this process: failures, budgets, Optuna-style objectives."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import datetime, timedelta

import optuna
import pytest
from sqlalchemy import DateTime, bindparam, create_engine, text
from sqlalchemy.exc import OperationalError

from engine.errors import SessionError
from engine.optuna_internals import stored_time
from engine.read.model import session_view, trial_rows
from engine.session import Session
from engine.settings import Settings
from engine.spec import load_spec
from engine.store import mask_url
from engine.worker import Worker, WorkerOptions, run_worker


def _create(sd) -> Session:
    spec = load_spec(sd.spec)
    return Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session


def _run(sd, auto_approve: bool = False) -> None:
    assert (
        run_worker(
            WorkerOptions(sd.name, sd.url, auto_approve, poll=0.05, search_path=[str(sd.path)]),
            handle_signals=False,
        )
        == 0
    )


def test_failed_objectives_are_recorded_and_the_session_goes_on(session_dir):
    sd = session_dir(objective="flaky", sprints=[{"name": "only", "trials": 6}])
    session = _create(sd)
    study = session.study(session.current())
    for x in (0.1, 0.3, 0.5, 0.65, 0.9):
        study.enqueue_trial({"x": x})
    _run(sd)
    rows = {r.params["x"]: r for r in trial_rows(session) if r.number < 5}
    assert "RuntimeError: diverged" in rows[0.1].reason
    assert rows[0.3].reason == "the objective returned nan"
    assert rows[0.5].reason == "the objective returned str, not a number"
    assert rows[0.65].reason == "the objective returned inf"
    assert rows[0.9].state == "complete" and rows[0.9].value == pytest.approx(0.9)
    failed = [t for t in study.get_trials() if t.state == optuna.trial.TrialState.FAIL]
    assert "Traceback" in failed[0].user_attrs["sprintopt.traceback"]
    assert session_view(session).state == "finished"
    assert len(trial_rows(session)) == 6  # exactly the budget, failures included


def test_trials_record_sprint_fidelity_wall_time_and_worker(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 3, "epochs": 2}])
    session = _create(sd)
    _run(sd)
    trials = session.trials(session.current())
    assert len(trials) == 3
    for t in trials:
        assert t.user_attrs["sprintopt.sprint"] == 1
        assert t.user_attrs["sprintopt.fidelity"]["amount"] == 2
        assert t.user_attrs["sprintopt.wall_time"] >= 0
        assert isinstance(t.user_attrs["sprintopt.worker"], int)
        assert sorted(t.intermediate_values) == [1, 2]


def test_an_optuna_style_objective_runs(session_dir):
    sd = session_dir(objective="optuna_style", sprints=[{"name": "only", "trials": 4}])
    session = _create(sd)
    _run(sd)
    rows = trial_rows(session)
    assert [r.state for r in rows] == ["complete"] * 4
    assert all(r.value == pytest.approx((r.params["x"] - 0.5) ** 2) for r in rows)


def test_three_sprints_auto_approved_with_carry_over(session_dir):
    sd = session_dir(
        sprints=[
            {"name": "a", "trials": 5, "sampler": "gp"},
            {"name": "b", "trials": 4, "epochs": 2, "sampler": "gp"},
            {"name": "c", "trials": 4, "epochs": 4, "sampler": "tpe", "pruner": "hyperband"},
        ],
        extra="\n[advisor]\ncarry_over = 2\n",
    )
    session = _create(sd)
    _run(sd, auto_approve=True)
    view = session_view(session)
    assert view.state == "finished"
    assert [s.state for s in view.sprints] == ["closed"] * 3
    assert [sum(s.counts.values()) for s in view.sprints] == [5, 4, 4]
    decisions = session.decisions()
    assert [d.action for d in decisions] == ["accepted", "accepted"]
    assert decisions[0].operator.startswith("auto-approve@")
    # Sprint b re-evaluates a's two best configurations first, at its own fidelity.
    a, b = session.sprints()[:2]
    best_a = sorted((t for t in session.trials(a) if t.value is not None), key=lambda t: t.value)
    carried = [t for t in session.trials(b) if t.user_attrs.get("sprintopt.carried_over")]
    assert [t.params for t in carried] == [t.params for t in best_a[:2]]
    assert all(t.user_attrs["sprintopt.fidelity"]["amount"] == 2 for t in carried)
    names = optuna.get_all_study_names(sd.url)
    assert names == ["t:1:a", "t:2:b", "t:3:c"]


def test_a_trial_whose_worker_died_before_its_first_heartbeat_is_reaped(session_dir):
    # A worker killed between asking for a trial and its first heartbeat leaves a running
    # trial that Optuna's stale check never looks at: it must not hold its slot forever.
    sd = session_dir(sprints=[{"name": "only", "trials": 3}])
    session = _create(sd)
    sprint = session.current()
    orphan = session.study(sprint).ask()
    old = datetime.now() - timedelta(seconds=Settings.from_environ().grace_period + 5)
    with create_engine(sd.url).begin() as conn:
        conn.execute(
            text("UPDATE trials SET datetime_start = :t WHERE number = :n").bindparams(
                bindparam("t", type_=DateTime)
            ),
            {"t": stored_time(old), "n": orphan.number},
        )
    _run(sd)
    trials = session.trials(sprint)
    assert trials[orphan.number].state == optuna.trial.TrialState.FAIL
    assert session.store.retried_numbers(sprint.study_name) == {orphan.number}
    counted = [t for t in trials if t.number != orphan.number]
    assert [t.state for t in counted] == [optuna.trial.TrialState.COMPLETE] * 3
    assert session_view(session).state == "finished"


def test_a_trial_asked_moments_ago_is_not_taken_for_an_orphan(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 3}])
    session = _create(sd)
    sprint = session.current()
    fresh = session.study(sprint).ask()
    session.reap()
    assert session.trials(sprint)[fresh.number].state == optuna.trial.TrialState.RUNNING
    assert session.store.retried_numbers(sprint.study_name) == set()


def test_a_waiting_proposal_is_approved_by_hand(session_dir):
    sd = session_dir(sprints=[{"name": "a", "trials": 3}, {"name": "b", "trials": 2}])
    session = _create(sd)
    worker = WorkerOptions(sd.name, sd.url, poll=0.05, search_path=[str(sd.path)])
    from engine.worker import Worker

    w = Worker(worker)
    while session.refresh().state == "running":
        w._step()
    assert session.refresh().state == "awaiting"
    assert session.open_proposal().plan.name == "b"
    decision = session.decide("accepted", operator="ann@box", note="looks right")
    assert (decision.action, decision.operator, decision.note) == (
        "accepted",
        "ann@box",
        "looks right",
    )
    assert session.current().plan.name == "b" and session.current().state == "running"
    with pytest.raises(SessionError, match="no proposal"):
        session.decide("accepted")
    # The decision survives a restart: a fresh handle on the same file sees it.
    again = Session.open(sd.name, sd.url)
    assert [d.note for d in again.decisions()] == ["looks right"]


def test_sqlite_store_is_owner_only_and_in_wal_mode(session_dir):
    sd = session_dir()
    _create(sd)
    db = sd.path / "sessions" / "t.db"
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
    with create_engine(sd.url).connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_resuming_a_session_keeps_its_stored_spec(session_dir):
    sd = session_dir()
    first = _create(sd)
    sd.spec.write_text(sd.spec.read_text().replace("trials = 6", "trials = 9"))
    again = Session.create_or_resume(load_spec(sd.spec), sd.spec.read_text(), sd.url, [])
    assert not again.created
    assert again.session.record.id == first.record.id
    assert again.session.current().plan.budget == 6


def test_passwords_never_show_in_urls():
    masked = mask_url("postgresql://ann:s3cret@db.example:5432/hpo")
    assert "s3cret" not in masked and "ann" in masked and "db.example" in masked


def test_mixing_fidelities_only_when_the_spec_asks(session_dir):
    sprints = [{"name": "a", "trials": 6}, {"name": "b", "trials": 3, "epochs": 2}]
    for mix in (False, True):
        sd = session_dir(
            sprints=sprints,
            name=f"mix{int(mix)}",
            extra=f"\n[advisor]\ncarry_over = 0\nprobes = 0\nmix_fidelities = {str(mix).lower()}\n",
        )
        session = _create(sd)
        _run(sd, auto_approve=True)
        a, b = session.sprints()
        copies = [t for t in session.trials(b) if "sprintopt.history_from" in t.user_attrs]
        inside = [t for t in session.trials(a) if b.plan.space.contains(t.params)]
        assert len(copies) == (len(inside) if mix else 0)
        assert {t.value for t in copies} <= {t.value for t in inside}
        # Copies inform the sampler only: the budget and the trial table ignore them.
        assert sum(r.sprint == 2 for r in trial_rows(session)) == 3
        assert session.refresh().state == "finished"


def _awaiting_with_carry_over(session_dir) -> tuple[object, Session]:
    sd = session_dir(
        sprints=[{"name": "a", "trials": 5}, {"name": "b", "trials": 4, "epochs": 2}],
        extra="\n[advisor]\ncarry_over = 3\n",
    )
    session = _create(sd)
    worker = Worker(WorkerOptions(sd.name, sd.url, poll=0.05, search_path=[str(sd.path)]))
    worker.run(handle_signals=False, until=lambda: session.refresh().state == "awaiting")
    worker.session.store.close()
    return sd, session


def _carried(session: Session) -> list[dict]:
    sprint = session.current()
    return [
        t.system_attrs.get("fixed_params")
        for t in session.trials(sprint)
        if t.user_attrs.get("sprintopt.carried_over")
    ]


def test_a_sprint_is_set_up_once_when_two_processes_try_at_once(session_dir, monkeypatch):
    """The decider sets up the sprint while another process, which read it in setup, tries too."""
    sd, session = _awaiting_with_carry_over(session_dir)
    other = Session.open(sd.name, sd.url, reap=False)
    real = optuna.Study.enqueue_trial
    interleaved = []

    def enqueue_then_let_the_other_in(study, params, *args, **kwargs):
        if not interleaved:  # a worker finds the sprint in setup, mid-way
            interleaved.append(True)
            other.recover_setup(other.current(), stuck_after=Settings.from_environ().grace_period)
        return real(study, params, *args, **kwargs)

    # The decider writes the decision; the sprint it creates is read in setup by the other.
    monkeypatch.setattr(optuna.Study, "enqueue_trial", enqueue_then_let_the_other_in)
    session.decide("accepted")
    assert interleaved, "the setup never enqueued a carry-over"
    carried = _carried(session)
    assert len(carried) == 3 and len({json.dumps(c, sort_keys=True) for c in carried}) == 3
    assert session.current().state == "running"


def test_a_setup_cut_short_is_finished_by_whoever_finds_it_stuck(session_dir, monkeypatch):
    sd, session = _awaiting_with_carry_over(session_dir)
    real = optuna.Study.enqueue_trial
    calls = []

    def dies_after_the_first(study, params, *args, **kwargs):
        calls.append(params)
        if len(calls) > 1:
            raise KeyboardInterrupt  # the decider's process dies mid-setup
        return real(study, params, *args, **kwargs)

    monkeypatch.setattr(optuna.Study, "enqueue_trial", dies_after_the_first)
    with pytest.raises(KeyboardInterrupt):
        session.decide("accepted")
    monkeypatch.setattr(optuna.Study, "enqueue_trial", real)
    stuck = session.current()
    assert stuck.state == "setup" and len(_carried(session)) == 1
    grace = Settings.from_environ().grace_period
    session.recover_setup(stuck, stuck_after=grace)  # fresh: its creator may still be at it
    assert session.current().state == "setup"
    # A grace period later, two workers find it stuck at once: one claims it, and the other,
    # arriving while the first sets it up, leaves it alone.
    other = Session.open(sd.name, sd.url, reap=False)
    seen_by_other = other.current()
    arrived = []

    def the_other_arrives(study, params, *args, **kwargs):
        if not arrived:
            arrived.append(True)
            other.recover_setup(seen_by_other, stuck_after=0)
        return real(study, params, *args, **kwargs)

    monkeypatch.setattr(optuna.Study, "enqueue_trial", the_other_arrives)
    session.recover_setup(stuck, stuck_after=0)
    assert arrived
    carried = _carried(session)
    assert session.current().state == "running"
    assert len(carried) == 3 and len({json.dumps(c, sort_keys=True) for c in carried}) == 3


def test_a_decision_stands_when_the_storage_fails_under_the_next_sprints_setup(
    session_dir, monkeypatch, caplog
):
    sd, session = _awaiting_with_carry_over(session_dir)

    def locked(*_args, **_kwargs):
        raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(optuna.Study, "enqueue_trial", locked)
    decision = session.decide("accepted")  # recorded: not reported as a failure
    assert decision.action == "accepted" and "is set up later" in caplog.text
    monkeypatch.undo()
    assert session.current().state == "setup"
    _run(sd)  # a worker finds it stuck after the grace period and finishes the setup
    assert len(_carried(session)) == 3 and session.refresh().state == "finished"
