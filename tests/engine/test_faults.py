"""Faults and whose they are: storage errors are handed back, never counted; an objective that
ends its worker, hangs, or kills it twice is failed with the reason; workers ride out outages."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import optuna
import pytest
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import TrialState
from sqlalchemy.exc import OperationalError

from engine import runner
from engine.attrs import DEATHS, FAIL_REASON, RETRY_OF, WORKER
from engine.errors import SpecError
from engine.faults import Outage, is_storage_fault, patiently, person_needed
from engine.read.model import trial_rows
from engine.session import Session
from engine.spec import load_spec
from engine.worker import Worker, WorkerOptions, run_worker, worker_seed
from tests import conftest
from tests.support import wait_for

MORE = """

def exits(config, fidelity, reporter):
    if config["x"] < 0.5:
        raise SystemExit(3)
    return config["x"]

def interrupts(config, fidelity, reporter):
    if config["x"] < 0.5:
        raise KeyboardInterrupt
    return config["x"]

def hangs(config, fidelity, reporter):
    if config["x"] < 0.5:
        reporter.report(config["x"], 1)
        while True:  # never ends by itself, and swallows everything it can
            try:
                time.sleep(60)  # the hang itself, not a wait: only the kill ends it
            except BaseException:
                pass
    return config["x"]  # at once, touching no storage: beating the limit takes no speed

def dies(config, fidelity, reporter):
    if config["x"] < 0.5:
        os._exit(9)
    return config["x"]
"""


def _dir(session_dir, objective: str, trials: int = 4, epochs: int = 1, **sprint_keys: float):
    # Bare keys after the last [[sprints]] header belong to that sprint.
    extra = "".join(f"{k} = {v!r}\n" for k, v in sprint_keys.items())
    sprint = {"name": "only", "trials": trials, "epochs": epochs}
    sd = session_dir(objective=objective, sprints=[sprint], extra=extra)
    with (sd.path / "objs.py").open("a") as f:
        f.write(MORE)
    spec = load_spec(sd.spec)
    session = Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session
    return sd, session


def _options(sd, **kw) -> WorkerOptions:
    return WorkerOptions(sd.name, sd.url, poll=0.02, search_path=[str(sd.path)], **kw)


def _enqueue(session: Session, *xs: float) -> None:
    study = session.study(session.current())
    for x in xs:
        study.enqueue_trial({"x": x})


def _fault(message: str = "disk I/O error") -> OperationalError:
    return OperationalError("UPDATE trials ...", {}, sqlite3.OperationalError(message))


# -- classifying ---------------------------------------------------------------------------
def test_storage_faults_are_told_from_bugs_and_damage():
    assert is_storage_fault(_fault("database is locked"))
    assert is_storage_fault(optuna.exceptions.StorageInternalError("commit failed"))
    assert not is_storage_fault(_fault("no such table: sprintopt_sessions"))  # damage: no wait
    assert not is_storage_fault(ValueError("a bug"))
    assert person_needed(_fault("database or disk is full")) == (
        "the disk holding the database is full: free some space"
    )
    assert person_needed(_fault("database is locked")) is None


def test_only_an_explicit_cause_makes_an_error_a_storage_fault():
    def raised_while_handling(error: Exception) -> Exception:
        try:
            try:
                raise _fault("server closed the connection unexpectedly")
            except OperationalError:
                raise error  # noqa: B904 (the implicit chaining is what is tested)
        except Exception as exc:
            return exc

    # The storage's answer once it is back, and a bug in the recovery, are not faults...
    answer = UpdateFinishedTrialError("Trial#13 has already finished and can not be updated.")
    assert not is_storage_fault(raised_while_handling(answer))
    assert not is_storage_fault(raised_while_handling(KeyError("bug")))
    # ...and patiently hands them to the caller instead of retrying them for ever.
    with pytest.raises(UpdateFinishedTrialError):
        patiently(lambda: (_ for _ in ()).throw(raised_while_handling(answer)), Outage())
    # A fault wrapped on purpose still is one.
    wrapped = RuntimeError("report failed")
    wrapped.__cause__ = _fault("server closed the connection unexpectedly")
    assert is_storage_fault(wrapped)


def test_patiently_waits_with_a_capped_backoff_and_says_when_it_is_back(caplog):
    calls, waits = [], []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 8:
            raise _fault("database is locked")
        return "ok"

    outage = Outage(first=0.5, cap=4.0)
    assert patiently(flaky, outage, sleep=waits.append) == "ok"
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert not outage.away and "storage back after" in caplog.text


# -- the objective's faults ----------------------------------------------------------------
@pytest.mark.parametrize(
    "objective, raised", [("exits", "SystemExit(3)"), ("interrupts", "KeyboardInterrupt()")]
)
def test_an_objective_that_ends_its_worker_fails_that_trial_and_nothing_more(
    session_dir, objective, raised
):
    sd, session = _dir(session_dir, objective)
    _enqueue(session, 0.2, 0.9)
    assert run_worker(_options(sd), handle_signals=False) == 0
    rows = {r.number: r for r in trial_rows(session)}
    assert rows[0].state == "failed" and f"raised {raised}" in rows[0].reason
    assert rows[1].state == "complete"
    assert len(rows) == 4 and session.store.retried_numbers(session.current().study_name) == set()


def test_a_trial_past_its_time_limit_is_killed_and_failed_whatever_it_does(session_dir):
    # The trials that complete return at once (a fork and a pipe: milliseconds, far within the
    # limit) and the one that hangs never returns. Its report before the hang is the child's
    # own write to the database (a connection opened after the fork, a write lock shared with
    # the worker's heartbeat): on a loaded machine that took over 3 s once, and the kill came
    # first, so the limit leaves it room.
    sd, session = _dir(session_dir, "hangs", trials=3, trial_timeout=8)
    assert session.current().plan.trial_timeout == 8
    _enqueue(session, 0.2, 0.8, 0.9)
    start = time.monotonic()
    assert run_worker(_options(sd), handle_signals=False) == 0
    took = time.monotonic() - start
    rows = {r.number: r for r in trial_rows(session)}
    assert rows[0].state == "failed" and "trial_timeout = 8 s" in rows[0].reason
    first = session.trials(session.current())[0]
    assert first.intermediate_values == {1: 0.2}  # reported from the child process
    assert rows[1].state == "complete" and rows[1].value == pytest.approx(0.8)
    assert rows[2].state == "complete" and rows[2].value == pytest.approx(0.9)
    assert len(rows) == 3 and took < 30


def test_an_answer_in_the_pipe_at_the_deadline_is_taken_not_killed():
    """The objective ended in time; only the parent read its answer late (a loaded machine).

    White-box: the public call_in_child cannot place the parent's read after the deadline on
    purpose, so the reading half is driven with a child that has already answered."""
    from engine.attempt import Attempt, _await_child, _send

    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _send(write_fd, Attempt("value", value=1.5))
        os._exit(0)
    os.close(write_fd)
    try:
        select.select([read_fd], [], [], 30)  # the answer is there before the reading starts
        attempt = _await_child(pid, read_fd, limit=0.0)  # and the deadline has passed
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)
    assert (attempt.kind, attempt.value) == ("value", 1.5)


def test_a_child_that_dies_fails_its_trial_and_the_worker_goes_on(session_dir):
    sd, session = _dir(session_dir, "dies", trials=3, trial_timeout=20)
    _enqueue(session, 0.2, 0.8)
    assert run_worker(_options(sd), handle_signals=False) == 0
    rows = {r.number: r for r in trial_rows(session)}
    assert rows[0].state == "failed" and "exit code 9" in rows[0].reason
    assert rows[1].state == "complete"


def test_a_configuration_that_killed_its_worker_twice_is_failed_for_good(session_dir):
    sd, session = _dir(session_dir, "quadratic", trials=3)
    sprint = session.current()
    study = session.study(sprint)
    # Two workers died on x=0.1: the reaper re-queued it each time, counting the deaths.
    first = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    first.set_user_attr(WORKER, 1)  # labelled: its worker had reached the objective
    study.tell(first, state=TrialState.FAIL)
    session.requeue(study, study.get_trials()[0], "stale")
    queued = study.get_trials()[1]
    assert queued.user_attrs[DEATHS] == 1 and queued.user_attrs[RETRY_OF] == 0
    again = study.ask()
    again.set_user_attr(WORKER, 2)
    study.tell(again, state=TrialState.FAIL)
    session.requeue(study, study.get_trials()[1], "stale")
    assert study.get_trials()[2].user_attrs[DEATHS] == 2
    assert run_worker(_options(sd), handle_signals=False) == 0
    third = study.get_trials()[2]
    assert (
        third.state == TrialState.FAIL
        and "killed its worker 2 times" in third.user_attrs[FAIL_REASON]
    )
    # A stop (not a death) does not count against the configuration.
    session.requeue(study, third, "stopped")
    assert (
        DEATHS not in study.get_trials()[-1].user_attrs
        or study.get_trials()[-1].user_attrs[DEATHS] == 2
    )


# -- the storage's faults ------------------------------------------------------------------
def test_a_storage_error_under_report_hands_the_trial_back_and_nothing_is_counted(
    session_dir, monkeypatch
):
    sd, session = _dir(session_dir, "quadratic", trials=3, epochs=2)
    worker = Worker(_options(sd))
    storage = worker.session.store.optuna_storage()
    real = storage.set_trial_intermediate_value
    failures = iter([True])

    def flaky(trial_id, step, value):
        if next(failures, False):
            raise _fault("database is locked")
        return real(trial_id, step, value)

    monkeypatch.setattr(storage, "set_trial_intermediate_value", flaky)
    worker.outage.first = 0.01
    worker.run(handle_signals=False)
    rows = trial_rows(session)
    handed = [r for r in rows if r.state == "retried"]
    assert len(handed) == 1 and "storage error" in handed[0].reason
    assert sum(r.state == "complete" for r in rows) == 3  # the budget, the hand-back not in it


def test_a_tell_the_storage_refused_is_made_again_and_the_value_kept(session_dir, monkeypatch):
    sd, session = _dir(session_dir, "quadratic", trials=2)
    worker = Worker(_options(sd))
    storage = worker.session.store.optuna_storage()
    real = storage.set_trial_state_values
    refusals = iter([True, True, True])

    def flaky(trial_id, state, values=None):
        if state == TrialState.COMPLETE and next(refusals, False):
            raise optuna.exceptions.StorageInternalError("An exception is raised during the commit")
        return real(trial_id, state, values)

    monkeypatch.setattr(storage, "set_trial_state_values", flaky)
    worker.outage.first = 0.01
    worker.run(handle_signals=False)
    rows = trial_rows(session)
    assert [r.state for r in rows] == ["complete", "complete"]


def test_a_tell_whose_commit_went_through_but_whose_answer_was_lost_is_not_made_twice(
    session_dir, monkeypatch
):
    """The connection cut after the commit: the retry finds the trial finished, and goes on."""
    sd, session = _dir(session_dir, "quadratic", trials=2)
    worker = Worker(_options(sd))
    storage = worker.session.store.optuna_storage()
    real = storage.set_trial_state_values
    lost = iter([True])

    def commits_then_fails(trial_id, state, values=None):
        done = real(trial_id, state, values)
        if state == TrialState.COMPLETE and next(lost, False):
            raise _fault("server closed the connection unexpectedly")
        return done

    monkeypatch.setattr(storage, "set_trial_state_values", commits_then_fails)
    worker.outage.first = 0.01
    assert worker.run(handle_signals=False) == 0
    assert [r.state for r in trial_rows(session)] == ["complete", "complete"]


def test_a_hand_back_whose_fail_committed_but_whose_answer_was_lost_is_still_queued_again(
    session_dir, monkeypatch
):
    """A cut under report() hands the trial back; a second cut loses the FAIL's answer."""
    sd, session = _dir(session_dir, "quadratic", trials=3, epochs=2)
    worker = Worker(_options(sd))
    storage = worker.session.store.optuna_storage()
    real_report, real_state = storage.set_trial_intermediate_value, storage.set_trial_state_values
    cut, lost = iter([True]), iter([True])

    def report(trial_id, step, value):
        if next(cut, False):
            raise _fault("server closed the connection unexpectedly")
        return real_report(trial_id, step, value)

    def commits_then_fails(trial_id, state, values=None):
        done = real_state(trial_id, state, values)
        if state == TrialState.FAIL and next(lost, False):
            raise _fault("server closed the connection unexpectedly")
        return done

    monkeypatch.setattr(storage, "set_trial_intermediate_value", report)
    monkeypatch.setattr(storage, "set_trial_state_values", commits_then_fails)
    worker.outage.first = 0.01
    assert worker.run(handle_signals=False) == 0
    rows = trial_rows(session)
    assert sum(r.state == "retried" for r in rows) == 1  # handed back, not counted as failed
    assert sum(r.state == "complete" for r in rows) == 3 and not any(
        r.state == "failed" for r in rows
    )


def test_a_cut_between_the_ask_and_the_objective_hands_the_trial_back_at_once(
    session_dir, monkeypatch
):
    sd, session = _dir(session_dir, "quadratic", trials=2)
    worker = Worker(_options(sd))
    real = runner._label
    cuts = iter([True])  # the first trial's labels are cut off

    def flaky(trial, ctx):
        if next(cuts, False):
            raise _fault("server closed the connection unexpectedly")
        return real(trial, ctx)

    monkeypatch.setattr(runner, "_label", flaky)
    worker.outage.first = 0.01
    assert worker.run(handle_signals=False) == 0
    rows = trial_rows(session)
    (back,) = [r for r in rows if r.state == "retried"]
    assert "before the objective" in back.reason
    assert sum(r.state == "complete" for r in rows) == 2


def test_a_cut_before_the_objective_whose_trial_a_reaper_failed_meanwhile_goes_on(
    session_dir, monkeypatch
):
    """Box A handed the trial back while this worker was cut off: its answer ends the trial."""
    sd, session = _dir(session_dir, "quadratic", trials=2)
    worker = Worker(_options(sd))
    real = runner._label
    cuts = iter([True])

    def cut_and_reaped(trial, ctx):
        if next(cuts, False):
            study = session.study(session.current())
            (frozen,) = [t for t in study.get_trials() if t.number == trial.number]
            study.tell(frozen.number, state=TrialState.FAIL)  # a reaper's fail and re-queue
            session.requeue(study, study.get_trials()[frozen.number], "stale")
            raise _fault("server closed the connection unexpectedly")
        return real(trial, ctx)

    monkeypatch.setattr(runner, "_label", cut_and_reaped)
    worker.outage.first = 0.01
    done = threading.Event()
    threading.Thread(
        target=lambda: (worker.run(handle_signals=False), done.set()), daemon=True
    ).start()
    if not done.wait(60):
        worker.stopping = True
        raise AssertionError("the worker kept retrying the storage's answer as if it were a fault")
    rows = trial_rows(session)
    assert sum(r.state == "complete" for r in rows) == 2
    assert [r.state for r in rows].count("retried") == 1


def test_a_reap_cut_short_before_its_re_queue_is_handed_back_before_the_sprint_closes(
    session_dir,
):
    """A reaper failed the trial, then lost the storage before it recorded the hand-back."""
    sd, session = _dir(session_dir, "quadratic", trials=2)
    study = session.study(session.current())
    orphan = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    study.tell(orphan, state=TrialState.FAIL)  # what a reap writes first: no reason
    assert run_worker(_options(sd), handle_signals=False) == 0
    rows = trial_rows(session)
    assert [r.state for r in rows].count("retried") == 1
    assert sum(r.state == "complete" for r in rows) == 2 and "failed" not in [r.state for r in rows]


def test_a_trial_reaped_before_its_worker_labelled_it_is_no_death_of_its_configuration(
    session_dir,
):
    sd, session = _dir(session_dir, "quadratic", trials=2)
    study = session.study(session.current())
    asked, labelled = study.ask(), study.ask()  # the first one's worker was cut off at once
    labelled.set_user_attr(WORKER, 1)  # the second one's died under the objective
    for t in (asked, labelled):
        study.tell(t, state=TrialState.FAIL)
    for t in study.get_trials():
        session.requeue(study, t, "stale")
    waiting = [t for t in study.get_trials() if t.state == TrialState.WAITING]
    assert [t.user_attrs.get(DEATHS) for t in waiting] == [None, 1]


def test_the_worker_loop_waits_out_a_storage_outage(session_dir, monkeypatch, caplog):
    sd, session = _dir(session_dir, "quadratic", trials=2)
    worker = Worker(_options(sd))
    real = worker.session.refresh
    outage = iter([True] * 4)

    def away():
        if next(outage, False):
            raise _fault("database or disk is full")
        return real()

    monkeypatch.setattr(worker.session, "refresh", away)
    worker.outage.first = 0.01
    assert worker.run(handle_signals=False) == 0
    assert [r.state for r in trial_rows(session)] == ["complete", "complete"]
    assert "a person must act" in caplog.text and "free some space" in caplog.text
    assert "storage back after" in caplog.text


# -- seeds and trust -----------------------------------------------------------------------
def test_worker_seeds_stay_in_the_samplers_range_for_any_session_seed():
    for seed in (0, 4295, 2**31 - 1, 10**12):
        for sprint in (1, 99):
            s = worker_seed(seed, sprint, 10**6)
            assert 0 <= s < 2**32
            optuna.samplers.TPESampler(seed=s).reseed_rng()


def test_a_worker_never_imports_from_a_path_read_from_the_database(
    session_dir, tmp_path, monkeypatch
):
    # Earlier tests' directories stay on sys.path in this process: leave them out here.
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "pytest-of" not in p])
    sd, session = _dir(session_dir, "quadratic", trials=1)
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "objs.py").write_text("open(__file__ + '.ran', 'w')\ndef quadratic(*a): return 0\n")
    # The row says to import from the attacker's directory ...
    assert session.record.sys_path == [str(sd.path)]
    with session.store.begin() as conn:
        from sqlalchemy import text

        conn.execute(text("UPDATE sprintopt_sessions SET sys_path = :p"), {"p": f'["{evil}"]'})
    # ... a worker started elsewhere without --path does not look there, nor in the spec's dir.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        with pytest.raises(SpecError, match="cannot import module 'objs'"):
            Worker(WorkerOptions(sd.name, sd.url))
    finally:
        os.chdir(cwd)
    assert not (evil / "objs.py.ran").exists()


# -- signals (real processes) -----------------------------------------------------------------
@pytest.mark.parametrize("ignored", [False, True], ids=["plain", "under-nohup"])
def test_sighup_hands_the_running_trial_back(session_dir, ignored):
    sd, session = _dir(session_dir, "quadratic", trials=2)
    sd.slow(30)
    env = {**conftest.test_env(), "SPRINTOPT_STORAGE": sd.url}
    hup = (lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN)) if ignored else None
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine.worker", "t", "--path", str(sd.path)],
        cwd=sd.path,
        env=env,
        preexec_fn=hup,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: list(sd.path.glob("running-*")), timeout=60)
        proc.send_signal(signal.SIGHUP)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    [row] = [r for r in trial_rows(session) if r.number == 0]
    assert row.state == "retried" and "worker stopped" in row.reason
    assert session.store.retried_numbers(session.current().study_name) == {0}
