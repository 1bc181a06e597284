"""`sprintopt status`'s text: the session's progress and its estimate, as a person reads them."""

from __future__ import annotations

from engine.read.model import SessionView
from engine.read.progress import SessionProgress
from engine.states import SessionState
from tui.text import format_status


def _status(state: SessionState, progress: SessionProgress) -> list[str]:
    view = SessionView(
        name="t",
        state=state,
        stop_requested=False,
        direction="minimize",
        planned_sprints=2,
        sprints=[],
        workers_alive=2,
        best_value=None,
        best_params=None,
        best_sprint=None,
        proposal=None,
        trials=[],
        progress=progress,
    )
    return format_status(view).splitlines()[1:3]


def test_status_says_sprint_k_of_n_the_trials_left_and_the_time_to_go():
    mid = SessionProgress(1, 3, 6, 24, to_proposal=65.0, to_end=190.0, unknown=None)
    assert _status(SessionState.RUNNING, mid) == [
        "progress [####----------------] 20%: sprint 1/3, 6/30 trials done, 24 left",
        "estimate: next proposal ~1m05s, end ~3m10s",
    ]
    last = SessionProgress(3, 3, 28, 2, to_proposal=12.0, to_end=12.0, unknown=None)
    assert _status(SessionState.RUNNING, last)[1] == "estimate: end ~12.0s"


def test_status_says_why_it_cannot_tell_the_time_yet():
    first = SessionProgress(1, 2, 0, 30, None, None, "no trial has finished yet")
    assert _status(SessionState.RUNNING, first) == [
        "progress [--------------------] 0%: sprint 1/2, 0/30 trials done, 30 left",
        "estimate: time left unknown (no trial has finished yet)",
    ]


def test_status_awaiting_a_decision_and_finished():
    waiting = SessionProgress(1, 2, 24, 6, to_proposal=None, to_end=30.0, unknown=None)
    assert _status(SessionState.AWAITING, waiting)[1] == (
        "estimate: a proposal waits, then ~30.0s to the end"
    )
    done = SessionProgress(2, 2, 30, 0, to_proposal=None, to_end=0.0, unknown=None)
    lines = _status(SessionState.FINISHED, done)
    bar = "#" * 20
    assert lines[0] == f"progress [{bar}] 100%: sprint 2/2, 30/30 trials done, finished"
    assert not lines[1].startswith("estimate")  # nothing left to estimate


def test_an_absurd_estimate_says_only_that_it_is_long():
    far = SessionProgress(1, 2, 1, 10**6, to_proposal=1e12, to_end=1e12, unknown=None)
    assert _status(SessionState.RUNNING, far)[1] == "estimate: next proposal > 99d, end > 99d"
