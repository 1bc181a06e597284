"""The engine side of the app: views, events, prune explanations, operations, import bounds."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from optuna.trial import TrialState

from engine.errors import SessionError
from engine.operations import enqueue_copy, fail_trial, requeue_trial
from engine.prunes import bracket_of
from engine.readmodel import trial_rows
from engine.review import proposal_view
from engine.views import Watch, find_sessions
from engine.worker import Worker, WorkerOptions
from tests.conftest import REPO
from tests.support import wait_for


def test_the_dashboard_view_matches_the_read_model(awaiting):
    sd, session = awaiting
    d = Watch(sd.name, sd.url).dashboard()
    rows = trial_rows(session)
    assert d.view.trials == rows and d.shown == 1
    assert d.progress.done == 24 and d.progress.eta is None  # no worker alive
    kinds = [e.kind for e in d.events]
    assert kinds[0] == "sprint" and kinds[-1] == "proposal"
    pruned = {r.number for r in rows if r.state == "pruned"}
    assert {e.trial for e in d.events if e.kind == "prune"} == pruned
    assert all("vs cut-off ≈" in e.text for e in d.events if e.kind == "prune")
    charts = d.charts
    assert charts is not None and set(charts.scatter) == {"x", "opt", "layers"}
    values = [v for _, v in charts.best_so_far]
    assert values == sorted(values, reverse=True)  # minimising: never worse
    assert values[-1] == min(r.value for r in rows if r.value is not None)
    assert {c.state for c in charts.curves} == {"complete", "pruned"}


def test_hyperband_brackets_are_optunas(awaiting):
    sd, session = awaiting
    sprint = session.current()
    pruner = sprint.plan.make_pruner()
    study = session.study(sprint)
    pruner._try_initialization(study)  # Optuna's own bracket assignment, to compare with
    for t in study.get_trials():
        assert bracket_of(sprint.study_name, t.number, sprint.plan) == pruner._get_bracket_id(
            study, t
        )


def test_the_proposal_view_lifts_the_advisors_evidence(awaiting):
    _, session = awaiting
    review = proposal_view(session)
    assert review is not None and review.closed.name == "scout"
    assert list(review.params)[:3] == ["x", "opt", "layers"]
    assert review.params["opt"].action == "drop" and "rmsprop" in review.params["opt"].reason
    assert review.best_params and "first sprint" in review.gate


def test_sessions_are_found_with_their_best(awaiting):
    sd, session = awaiting
    [found] = find_sessions(sd.path / "sessions")
    best = min(r.value for r in trial_rows(session) if r.value is not None)
    assert (found.name, found.state, found.trials, found.best_value) == ("t", "awaiting", 24, best)
    assert find_sessions(sd.path / "nothing-here") == []


def test_operations_refuse_what_makes_no_sense(awaiting):
    _, session = awaiting
    done = next(r for r in trial_rows(session) if r.state == "complete")
    with pytest.raises(SessionError, match="not running"):
        fail_trial(session, 1, done.number)
    with pytest.raises(SessionError, match="closed"):
        requeue_trial(session, 1, done.number)
    with pytest.raises(SessionError, match="no sprint is running"):
        enqueue_copy(session, {"x": 0.3})
    session.decide("accepted")
    space = session.current().plan.space
    with pytest.raises(SessionError, match="outside"):
        enqueue_copy(session, {n: 99 if n == "x" else _inside(space[n]) for n in space.names})
    inside = {n: _inside(space[n]) for n in space.names}
    assert enqueue_copy(session, inside) == 5  # after the 5 carried over: the last slot
    with pytest.raises(SessionError, match="slots are all used"):
        enqueue_copy(session, inside)


def _inside(p):
    return p.choices[0] if hasattr(p, "choices") else p.low


def test_a_worker_goes_on_when_its_trial_is_requeued_from_outside(session_dir):
    """The runner treats a trial ended by the operator as over, and runs the next one."""
    from tests.tui.support import create

    sd = session_dir(sprints=[{"name": "only", "trials": 3, "epochs": 3}])
    session = create(sd)
    sd.slow(0.3)
    worker = Worker(WorkerOptions(sd.name, sd.url, poll=0.05))
    result: dict[str, object] = {}
    thread = threading.Thread(target=lambda: result.update(rc=worker.run(handle_signals=False)))
    thread.start()
    wait_for(lambda: any(r.state == "running" for r in trial_rows(session)), timeout=30)
    running = next(r for r in trial_rows(session) if r.state == "running")
    requeue_trial(session, 1, running.number, operator="ann@box")
    sd.slow(None)
    thread.join(60)
    assert result == {"rc": 0}
    states = [t.state for t in session.trials(session.current())]
    assert states.count(TrialState.COMPLETE) == 3 and states.count(TrialState.FAIL) == 1


def test_the_engine_never_loads_the_ui():
    code = (
        "import sys, engine.views, engine.operations, engine.review, engine.events, "
        "engine.plots; bad = [m for m in ('textual', 'plotext', 'textual_plotext', 'tui') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
