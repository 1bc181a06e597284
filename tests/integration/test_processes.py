"""Real worker processes on SQLite: concurrency, kill -9, resume, stop."""

from __future__ import annotations

import os
import signal

import optuna

from engine.budget import RETRY_OF, counting
from engine.read.model import session_view, trial_rows
from engine.session import Session
from tests.support import wait_for


def _open(sd) -> Session:
    return Session.open(sd.name, sd.url, reap=False)


def _state(sd) -> str:
    return _open(sd).refresh().state


def _counted(session: Session) -> list[list[optuna.trial.FrozenTrial]]:
    out = []
    for sprint in session.sprints():
        handed_back = session.store.retried_numbers(sprint.study_name)
        out.append(counting(session.trials(sprint), handed_back))
    return out


def _live_pids(sd) -> list[int]:
    session = _open(sd)
    return [w.pid for w in session.store.workers(session.record.id) if w.stopped_at is None]


def _running(sd) -> bool:
    return any(p.name.startswith("running-") for p in sd.path.iterdir())


def _hold_trials(sd) -> None:
    """Trials wait at the gate until a second worker has started one; with one worker, that is
    :func:`_release`: the test, not the clock, says when a trial may finish (a trial still held
    after 60 s fails: the gate's guard against a hang)."""
    sd.gate(2)


def _held(sd) -> bool:
    return any(p.name.startswith("started-") for p in sd.path.iterdir())


def _release(sd) -> None:
    (sd.path / "started-by-the-test").touch()  # the gate counts these names, not their text


def _kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_three_sprints_with_two_workers_and_exact_budgets(session_dir):
    sd = session_dir(
        sprints=[
            {"name": "a", "trials": 8, "sampler": "gp"},
            {"name": "b", "trials": 6, "epochs": 2, "sampler": "gp"},
            {"name": "c", "trials": 8, "epochs": 4, "sampler": "tpe", "pruner": "hyperband"},
        ]
    )
    sd.gate(2)
    out = sd.cli("run", "spec.toml", "--workers", "2", "--auto-approve")
    assert out.returncode == 0, out.stderr
    wait_for(lambda: _state(sd) == "finished", timeout=120, what="the session to finish")
    session = _open(sd)
    assert [len(c) for c in _counted(session)] == [8, 6, 8]
    workers = {t.user_attrs.get("sprintopt.worker") for c in _counted(session) for t in c}
    assert len(workers) == 2  # both processes ran trials
    status = sd.cli("status", "t")
    assert "finished" in status.stdout and "best at epochs=" in status.stdout


def test_budget_is_exact_with_four_racing_workers(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 10}])
    sd.gate(4)
    out = sd.cli("run", "spec.toml", "--workers", "4")
    assert out.returncode == 0, out.stderr
    wait_for(lambda: _state(sd) == "finished", timeout=120, what="the session to finish")
    session = _open(sd)
    (trials,) = _counted(session)
    assert len(trials) == 10
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert len(trial_rows(session)) == 10  # losers of a race are never shown


def test_a_killed_worker_trial_is_failed_and_retried_with_the_same_configuration(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 5}])
    sd.slow(60)
    assert sd.cli("run", "spec.toml", "--workers", "1").returncode == 0
    wait_for(lambda: _running(sd), what="a trial to run")
    session = _open(sd)
    (victim,) = [
        t for t in session.trials(session.current()) if t.state == optuna.trial.TrialState.RUNNING
    ]
    _kill(_live_pids(sd))
    sd.slow(None)
    # A new worker reaps the silent trial once its heartbeat is stale, then finishes the sprint.
    assert sd.cli("run", "spec.toml", "--workers", "1").returncode == 0
    wait_for(lambda: _state(sd) == "finished", timeout=120, what="the session to finish")
    session = _open(sd)
    trials = session.trials(session.current())
    assert trials[victim.number].state == optuna.trial.TrialState.FAIL
    retries = [t for t in trials if t.user_attrs.get(RETRY_OF) == victim.number]
    assert len(retries) == 1
    assert retries[0].params == victim.params
    assert retries[0].state == optuna.trial.TrialState.COMPLETE
    (counted,) = _counted(session)
    assert len(counted) == 5 and victim.number not in {t.number for t in counted}
    assert [r.state for r in trial_rows(session)].count("retried") == 1


def test_kill_everything_mid_sprint_then_resume_to_the_end(session_dir):
    sd = session_dir(sprints=[{"name": "a", "trials": 12}, {"name": "b", "trials": 4}])
    sd.slow(0.4)
    assert sd.cli("run", "spec.toml", "--workers", "2", "--auto-approve").returncode == 0

    def some_done() -> bool:
        rows = trial_rows(_open(sd))
        return sum(r.state == "complete" for r in rows) >= 3

    wait_for(some_done, what="3 complete trials")
    _kill(_live_pids(sd))
    # By sprint and number: under load the first sprint may have closed before the kill, and
    # the second's trial 0 is not the first's (a full run once compared the two).
    before = {
        (r.sprint, r.number): (r.params, r.value)
        for r in trial_rows(_open(sd))
        if r.state == "complete"
    }
    sd.slow(None)
    assert sd.cli("run", "spec.toml", "--workers", "2", "--auto-approve").returncode == 0
    wait_for(lambda: _state(sd) == "finished", timeout=120, what="the session to finish")
    session = _open(sd)
    after = {(r.sprint, r.number): (r.params, r.value) for r in trial_rows(session)}
    assert all(after.get(k) == v for k, v in before.items())  # nothing finished was lost
    assert [len(c) for c in _counted(session)] == [12, 4]
    params = [tuple(t.params.items()) for t in _counted(session)[0]]
    retried = {t.user_attrs.get(RETRY_OF) for t in _counted(session)[0]} - {None}
    assert len(params) - len(set(params)) <= len(retried)  # only retries repeat a config


def test_stop_lets_running_trials_finish_and_resume_continues(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 6}])
    _hold_trials(sd)
    assert sd.cli("run", "spec.toml", "--workers", "1").returncode == 0
    wait_for(lambda: _held(sd), what="the first trial to reach the gate")
    out = sd.cli("stop", "t")
    assert out.returncode == 0 and "stop requested" in out.stdout
    session = _open(sd)
    (held,) = session.trials(session.current())
    assert held.state == optuna.trial.TrialState.RUNNING and _live_pids(sd)  # not cut short
    _release(sd)
    wait_for(lambda: not _live_pids(sd), timeout=60, what="the worker to exit after its trial")
    session = _open(sd)
    assert session.refresh().state == "running"
    (finished,) = session.trials(session.current())  # ... and no other trial was started
    assert finished.number == held.number
    assert finished.state == optuna.trial.TrialState.COMPLETE, finished.user_attrs
    assert sd.cli("run", "spec.toml", "--workers", "1").returncode == 0
    wait_for(lambda: _state(sd) == "finished", what="the resumed session to finish")
    assert len(_counted(_open(sd))[0]) == 6


def test_stop_now_requeues_the_running_trial(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 3}])
    sd.slow(60)
    assert sd.cli("run", "spec.toml", "--workers", "1").returncode == 0
    wait_for(lambda: _running(sd), what="a trial to run")
    out = sd.cli("stop", "t", "--now")
    assert out.returncode == 0 and "re-queued" in out.stdout
    wait_for(lambda: not _live_pids(sd), timeout=30, what="the stopped worker to exit")
    session = _open(sd)
    trials = session.trials(session.current())
    assert trials[0].state == optuna.trial.TrialState.FAIL
    assert trials[0].user_attrs["sprintopt.fail_reason"].startswith("worker stopped")
    assert trials[-1].state == optuna.trial.TrialState.WAITING
    assert trials[-1].system_attrs["fixed_params"] == trials[0].params
    sd.slow(None)
    assert sd.cli("run", "spec.toml", "--workers", "1").returncode == 0
    wait_for(lambda: _state(sd) == "finished", what="the resumed session to finish")
    assert session_view(_open(sd)).sprints[0].counts == {"complete": 3, "retried": 1}


def test_one_worker_per_gpu_with_its_device_visible_and_a_log_file(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 6}])
    out = sd.cli("run", "spec.toml", "--gpus", "0,1")
    assert out.returncode == 0, out.stderr
    assert "started 2 worker(s)" in out.stdout
    session = _open(sd)

    def both_came_and_went() -> bool:
        # One worker may finish all the trials before the other has even started Python:
        # wait for both to register and exit, not just for the session to finish.
        workers = session.store.workers(session.record.id)
        return len(workers) == 2 and all(w.stopped_at is not None for w in workers)

    wait_for(both_came_and_went, what="both workers to register and exit")
    assert _state(sd) == "finished"
    assert sorted(w.gpu for w in session.store.workers(session.record.id)) == ["0", "1"]
    (trials,) = _counted(session)  # not the losers of a budget race: they never ran
    seen = {t.user_attrs["cuda"] for t in trials}
    assert seen <= {"0", "1"} and seen
    logs = sorted((sd.path / "sessions" / "t.logs").glob("worker-*.log"))
    assert len(logs) == 2 and "joined session t" in logs[0].read_text()


def test_a_storage_url_password_is_never_printed(session_dir):
    sd = session_dir()
    out = sd.cli("status", "t", "--storage", "postgresql://ann:s3cret@127.0.0.1:9/hpo")
    assert out.returncode == 2
    assert "s3cret" not in out.stdout + out.stderr
    assert "Traceback" not in out.stderr and "ann:***@127.0.0.1" in out.stderr


def test_probes_outside_the_cut_run_where_they_lie_and_the_gate_pairs_them(session_dir):
    advisor = "\n[advisor]\ntop_k = 3\ncarry_over = 2\nprobes = 0\nprobes_outside = 2\n"
    sd = session_dir(
        sprints=[
            {"name": "a", "trials": 12},
            {"name": "b", "trials": 4, "epochs": 2, "sampler": "gp"},
            {"name": "c", "trials": 3, "epochs": 4},
        ],
        extra=advisor,
    )
    out = sd.cli("run", "spec.toml", "--workers", "1", "--auto-approve")
    assert out.returncode == 0, out.stderr
    wait_for(lambda: _state(sd) == "finished", timeout=120, what="the session to finish")
    session = _open(sd)
    b = session.sprints()[1]
    counted = _counted(session)
    assert [len(c) for c in counted] == [12, 4 + 2, 3]  # the probes are extra trials
    outside = [t for t in counted[1] if not b.plan.space.contains(t.params)]
    assert len(outside) == 2
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in outside)
    x = [t.params["x"] for t in outside]
    assert [t.value for t in outside] == [(v - 0.3) ** 2 for v in x]  # the objective, where it lies
    after_b = next(p for p in session.store.proposals(session.record.id) if p.after_sprint == 2)
    assert after_b.evidence.gate is not None and after_b.evidence.gate.pairs == 2 + 2
    logs = "".join(p.read_text() for p in (sd.path / "sessions" / "t.logs").glob("*.log"))
    assert "out of range" not in logs
