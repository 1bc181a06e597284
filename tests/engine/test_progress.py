"""The whole session's progress and the time it may take, by value on hand-built rows."""

from __future__ import annotations

import math

import pytest

from engine.objective import Fidelity
from engine.read.model import TrialRow
from engine.read.progress import (
    LONGEST,
    Stage,
    session_progress,
    sprint_pace,
    stages_to_come,
    trial_cost,
)
from engine.spec import parse_spec
from engine.states import SessionState, SprintState

RUNNING, AWAITING, FINISHED = SessionState.RUNNING, SessionState.AWAITING, SessionState.FINISHED


def rows(*trials: tuple[str, object]) -> list[TrialRow]:
    return [
        TrialRow(
            sprint=1,
            number=i,
            state=state,  # type: ignore[arg-type]
            value=None,
            step=None,
            params={},
            fidelity="",
            wall_time=wall,  # type: ignore[arg-type]
            worker=None,
            reason=None,
        )
        for i, (state, wall) in enumerate(trials)
    ]


def made(number: int, budget: int, cost: float, state: SprintState, *trials) -> Stage:
    pace = sprint_pace((r.state, r.wall_time) for r in rows(*trials))
    return Stage(number, budget, cost, state, pace)


def test_a_session_before_its_first_sprint_has_all_its_trials_left_and_no_estimate():
    p = session_progress(RUNNING, [Stage(1, 10, 1.0), Stage(2, 4, 2.0)], workers=2)
    assert (p.sprint, p.sprints, p.done, p.left, p.fraction) == (0, 2, 0, 14, 0.0)
    assert (p.to_proposal, p.to_end, p.unknown) == (None, None, "no trial has finished yet")


def test_the_first_sprint_running_with_no_finished_trial_has_no_estimate():
    first = made(1, 10, 1.0, SprintState.RUNNING, ("running", None), ("waiting", None))
    p = session_progress(RUNNING, [first, Stage(2, 4, 2.0)], workers=2)
    assert (p.sprint, p.sprints, p.done, p.left) == (1, 2, 0, 14)
    assert (p.to_proposal, p.to_end) == (None, None)
    assert p.unknown == "no trial has finished yet"


def test_mid_sprint_the_rest_runs_in_waves_of_one_per_worker():
    first = made(
        1, 10, 1.0, SprintState.RUNNING,
        ("complete", 4.0), ("pruned", 1.0), ("failed", 1.0), ("running", None), ("retried", 9.0),
    )  # fmt: skip
    p = session_progress(RUNNING, [first, Stage(2, 4, 1.0)], workers=2)
    # 6 s over 3 trials of cost 1: 2 s a trial. Sprint 1: 7 left, 4 waves; sprint 2: 2 waves.
    assert (p.done, p.left, p.fraction) == (3, 11, 3 / 14)
    assert (p.per_trial, p.to_proposal, p.to_end, p.unknown) == (2.0, 8.0, 12.0, None)


def test_a_sprint_not_yet_run_at_a_higher_fidelity_is_priced_by_the_cost_measured():
    # 2 epochs at half the data: cost 1, 3 s a trial; sprint 2 at 8 epochs on all of it: 8x.
    cost1 = trial_cost(Fidelity("epochs", 2, train_fraction=0.5))
    cost2 = trial_cost(Fidelity("epochs", 8))
    assert (cost1, cost2) == (1.0, 8.0)
    first = made(1, 2, cost1, SprintState.RUNNING, ("complete", 3.0), ("running", None))
    p = session_progress(RUNNING, [first, Stage(2, 3, cost2)], workers=1)
    assert p.to_proposal == 3.0  # one trial left at its own sprint's 3 s
    assert p.to_end == 3.0 + 3 * 24.0  # 3 trials at 8 x 3 s, one worker


def test_the_running_sprint_goes_by_its_own_mean_once_it_has_three_trials():
    earlier = made(1, 2, 1.0, SprintState.CLOSED, ("complete", 1.0), ("complete", 1.0))
    # Sprint 2 (cost 2) would be 2 s a trial at sprint 1's rate; its own trials take 5 s.
    second = made(2, 5, 2.0, SprintState.RUNNING, *[("complete", 5.0)] * 2)
    assert session_progress(RUNNING, [earlier, second], 1).per_trial == pytest.approx(
        12 / 6 * 2  # 12 s over cost 6: 2 s a unit, so 4 s a trial
    )
    second = made(2, 5, 2.0, SprintState.RUNNING, *[("complete", 5.0)] * 3)
    p = session_progress(RUNNING, [earlier, second], 1)
    assert (p.per_trial, p.to_proposal, p.to_end) == (5.0, 10.0, 10.0)
    assert (p.sprint, p.sprints) == (2, 2)  # the last sprint: its end is the session's


def test_awaiting_a_decision_the_time_is_the_next_sprints_without_the_wait():
    first = made(1, 2, 1.0, SprintState.CLOSED, ("complete", 2.0), ("pruned", 2.0))
    p = session_progress(AWAITING, [first, Stage(2, 4, 2.0)], workers=2)
    assert (p.sprint, p.sprints, p.done, p.left, p.fraction) == (1, 2, 2, 4, 2 / 6)
    assert (p.to_proposal, p.to_end, p.per_trial) == (None, 2 * 4.0, None)


def test_no_live_worker_means_no_estimate():
    first = made(1, 4, 1.0, SprintState.RUNNING, ("complete", 2.0))
    p = session_progress(RUNNING, [first], workers=0)
    assert (p.left, p.to_end, p.unknown) == (3, None, "no worker is alive")


def test_a_finished_session_has_nothing_left():
    # The last sprint closed on its time limit, short of its budget: nothing is left of it.
    first = made(1, 2, 1.0, SprintState.CLOSED, ("complete", 2.0), ("complete", 2.0))
    second = made(2, 5, 2.0, SprintState.CLOSED, ("complete", 2.0))
    p = session_progress(FINISHED, [first, second], workers=0)
    assert (p.sprint, p.sprints, p.done, p.left, p.fraction) == (2, 2, 3, 0, 1.0)
    assert (p.to_proposal, p.to_end, p.unknown) == (None, 0.0, None)


def test_wall_times_that_are_no_time_are_ignored_and_estimates_stay_bounded():
    pace = sprint_pace([("complete", -1.0), ("complete", math.nan), ("complete", True)])
    assert (pace.finished, pace.timed) == (3, 0)
    pace = sprint_pace([("complete", "3"), ("complete", math.inf), ("failed", 2)])
    assert (pace.finished, pace.timed, pace.seconds) == (3, 1, 2.0)
    huge = made(1, 10**6, 1.0, SprintState.RUNNING, ("complete", 1e300), ("complete", 1e300))
    p = session_progress(RUNNING, [huge], workers=1)
    assert p.to_end == LONGEST and p.to_proposal == LONGEST
    zero = made(1, 3, 1.0, SprintState.RUNNING, ("complete", 0.0))
    assert session_progress(RUNNING, [zero], workers=4).to_end == 0.0


SPEC = """
[session]
name = "t"
direction = "minimize"
objective = "objs:f"
[space.x]
type = "float"
low = 0.0
high = 1.0
[fidelity]
resource = "epochs"
max = 8
train_fraction = 0.5
[advisor]
extra_sprints = 2
fidelity_step = 2.0
[[sprints]]
name = "scout"
trials = 10
fidelity = { epochs = 1 }
[[sprints]]
name = "fine"
trials = 4
fidelity = { epochs = 2, train_fraction = 1.0 }
"""


def test_the_sprints_to_come_follow_the_proposal_then_the_plan_then_its_extra_sprints():
    spec = parse_spec(SPEC)
    coming = stages_to_come(spec, 0, None, None)
    assert [(s.number, s.budget, s.cost) for s in coming] == [
        (1, 10, 0.5),
        (2, 4, 2.0),
        (3, 4, 4.0),  # extra sprints: the last planned one's trials, a fidelity step up each
        (4, 4, 8.0),
    ]
    # A proposal waits after sprint 1: its plan is the next sprint's.
    coming = stages_to_come(spec, 1, Fidelity("epochs", 1), (7, Fidelity("epochs", 4)))
    assert [(s.number, s.budget, s.cost) for s in coming] == [(2, 7, 4.0), (3, 4, 8.0), (4, 4, 8)]
    assert all(s.state is None for s in coming)
    assert stages_to_come(spec, 4, Fidelity("epochs", 8), None) == []
