"""The session's best, as the header shows it: at one fidelity, never compared across."""

from __future__ import annotations

from engine.read.model import SprintView, TrialRow, _best_at_newest_fidelity
from engine.states import SprintState


def view(number: int, fidelity: str) -> SprintView:
    return SprintView(
        number, f"s{number}", SprintState.CLOSED, fidelity, "tpe", "none", 4, {}, None, None
    )


def row(sprint: int, value: float, fidelity: str) -> TrialRow:
    return TrialRow(sprint, 0, "complete", value, None, {}, fidelity, None, None, None)


def test_the_best_is_over_every_sprint_at_the_newest_fidelity_any_trial_completed_at():
    views = [view(1, "epochs=1"), view(2, "epochs=3"), view(3, "epochs=3"), view(4, "epochs=9")]
    bests = [row(1, 0.01, "epochs=1"), row(2, 0.20, "epochs=3"), row(3, 0.30, "epochs=3"), None]
    # Sprint 4 has no completed trial yet: the best is at 3 epochs, over sprints 2 and 3 alike
    # (sprint 3's own best is worse), and the 1-epoch 0.01 is not its rival.
    best = _best_at_newest_fidelity(views, bests, maximize=False)
    assert best is not None and (best.sprint, best.value) == (2, 0.20)
    best = _best_at_newest_fidelity(views, bests, maximize=True)
    assert best is not None and (best.sprint, best.value) == (3, 0.30)


def test_no_completed_trial_has_no_best():
    assert _best_at_newest_fidelity([view(1, "epochs=1")], [None], maximize=False) is None
