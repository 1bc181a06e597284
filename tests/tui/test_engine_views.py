"""The engine side of the app: views, events, prune explanations, operations, import bounds."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from optuna.trial import TrialState

from engine.errors import SessionError
from engine.operations import enqueue_copy, fail_trial, requeue_trial
from engine.read.model import trial_rows
from engine.read.review import proposal_view
from engine.read.views import Watch, find_sessions
from engine.worker import Worker, WorkerOptions
from tests.conftest import REPO
from tests.support import wait_for


def test_the_dashboard_view_matches_the_read_model(awaiting):
    sd, session = awaiting
    d = Watch(sd.name, sd.url).dashboard()
    rows = trial_rows(session)
    assert d.view.trials == rows and d.shown == 1
    assert d.progress.done == 24 and d.progress.eta is None  # no worker alive
    whole = d.view.progress  # the closed sprint's 24, then the proposal's 6
    assert (whole.sprint, whole.sprints, whole.done, whole.left) == (1, 2, 24, 6)
    assert (whole.to_end, whole.unknown) == (None, "no worker is alive")
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
    sprint = session.current()
    carried = len(session.study(sprint).get_trials())  # queued from the sprint before
    assert carried == sprint.plan.budget - 1  # one slot left
    assert enqueue_copy(session, inside) == carried  # the next trial's number: the last slot
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
    worker = Worker(WorkerOptions(sd.name, sd.url, poll=0.05, search_path=[str(sd.path)]))
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
        "import sys, engine.read.views, engine.operations, engine.read.review, engine.read.events, "
        "engine.read.plots; bad = [m for m in ('textual', 'plotext', 'textual_plotext', 'tui') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_chart_and_the_proposal_tell_one_importance_story(awaiting):
    sd, session = awaiting
    charts = Watch(sd.name, sd.url).dashboard().charts
    settings = session.spec.advisor
    evidence = session.open_proposal().evidence.importance
    assert evidence.method == settings.importance
    name = {"fanova": "fANOVA", "ped_anova": "PED-ANOVA"}[settings.importance]
    done = sum(r.state == "complete" for r in trial_rows(session))
    need = max(settings.importance_min_trials, 2 * 3)
    if evidence.values is None:  # too few for the advisor: the chart says the same
        assert done < need
        assert charts.importance_title == f"importance by {name}: {done} of {need} trials needed"
        assert charts.importance == ()
    else:
        assert charts.importance_title == f"importance by {name} on {done} trials"
        assert {n for n, _ in charts.importance} == {"x", "opt", "layers"}


def test_an_importance_title_with_too_few_trials_is_whole():
    from engine.advisor.importance import Importance
    from engine.read.plots import importance_title

    few = Importance("ped_anova", None, "3 completed trials, fewer than the 10 needed", 3, 10)
    assert importance_title(few) == ((), "importance by PED-ANOVA: 3 of 10 trials needed")


def test_the_review_counts_what_an_edited_space_keeps(awaiting):
    _, session = awaiting
    review = proposal_view(session)
    ranked = review.ranked
    assert ranked and 0 < review.top_k <= len(ranked)
    proposed = review.effect(review.proposal.plan.space)
    ev = review.proposal.evidence.kept
    assert (proposed.kept, proposed.of, proposed.top_kept, proposed.of_top) == (
        ev.trials, ev.of, ev.top_k, ev.of_top_k
    )  # fmt: skip
    assert proposed.volume_ratio == review.proposal.evidence.volume_ratio
    narrow = review.proposal.plan.space.with_bounds("x", 0.0, 0.05)
    edited = review.effect(narrow)
    in_range = sum(0.0 <= p["x"] <= 0.05 for p in ranked)
    assert edited.kept <= in_range and edited.volume_ratio < proposed.volume_ratio
    assert f"keeps {edited.kept}/{len(ranked)} trials" in edited.describe()


@pytest.mark.parametrize("method, name", [("fanova", "fANOVA"), ("ped_anova", "PED-ANOVA")])
def test_the_live_chart_uses_the_specs_importance_method(awaiting, method, name):
    from engine.read.plots import live_importance

    _, session = awaiting
    spec = session.spec
    advisor = spec.advisor.model_copy(update={"importance": method, "importance_min_trials": 2})
    spec = spec.model_copy(update={"advisor": advisor})
    sprint = session.current()
    values, title = live_importance(session.trials(sprint), sprint.plan, spec)
    done = sum(t.state == TrialState.COMPLETE for t in session.trials(sprint))
    assert title == f"importance by {name} on {done} trials"
    assert {n for n, _ in values} == {"x", "opt", "layers"}


RUNTIME = (
    "engine.session",
    "engine.worker",
    "engine.runner",
    "engine.attempt",
    "engine.processes",
    "engine.operations",
    "sklearn",
    "skopt",
    "scipy.stats",
    "torch",
)


def test_polling_a_session_loads_nothing_of_the_runtime(awaiting):
    """What the app and `status` poll (dashboard, a trial, the review, the list of sessions,
    an export) is read without importing workers, the runner, the lifecycle or the advisor's
    libraries."""
    sd, _ = awaiting
    code = (
        "import sys\n"
        "from engine.read import Watch, find_sessions, proposal_view, session_view, to_csv\n"
        f"watch = Watch({sd.name!r}, {sd.url!r})\n"
        "board = watch.dashboard()\n"
        "detail = watch.trial(1, board.view.trials[0].number)\n"
        "assert proposal_view(watch.session) is not None\n"
        "assert to_csv(session_view(watch.session).trials)\n"
        f"assert find_sessions(url={sd.url!r})\n"
        f"print([m for m in {RUNTIME!r} if m in sys.modules])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "[]"
