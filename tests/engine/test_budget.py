"""The budget rules on their own: which trials hold a slot, when a sprint has room or is spent."""

from __future__ import annotations

from datetime import datetime

from optuna.trial import FrozenTrial, TrialState

from engine.budget import HISTORY, OVER_BUDGET, RETRY_OF, counting, has_room, holds_slot, is_spent

C, F, R, W = TrialState.COMPLETE, TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING


def _trial(number: int, state: TrialState, **attrs: object) -> FrozenTrial:
    return FrozenTrial(
        number=number,
        state=state,
        value=1.0 if state == C else None,
        datetime_start=datetime.now(),
        datetime_complete=None,
        params={},
        distributions={},
        user_attrs=dict(attrs),
        system_attrs={},
        intermediate_values={},
        trial_id=number + 1,
    )


def test_losers_of_a_race_and_history_copies_never_count():
    trials = [
        _trial(0, C),
        _trial(1, F, **{OVER_BUDGET: True}),
        _trial(2, C, **{HISTORY: 1}),
        _trial(3, R),
    ]
    assert [t.number for t in counting(trials, set())] == [0, 3]
    assert holds_slot(4, trials, set(), budget=3)
    assert not holds_slot(4, trials, set(), budget=2)


def test_a_handed_back_slot_frees_only_once_its_copy_is_queued():
    # Trial 1's worker died: the hand-back is written, the copy not yet.
    before_copy = [_trial(0, C), _trial(1, F), _trial(2, R)]
    assert not holds_slot(2, before_copy, handed_back={1}, budget=2)
    assert not has_room(before_copy, {1}, budget=3)
    after_copy = [*before_copy[:2], _trial(2, W, **{RETRY_OF: 1})]
    assert [t.number for t in counting(after_copy, {1})] == [0, 2]
    assert holds_slot(3, after_copy, handed_back={1}, budget=3)
    assert has_room(after_copy, {1}, budget=2)  # the queued copy waits for a worker


def test_spent_once_the_budget_is_used_and_nothing_runs():
    done = [_trial(0, C), _trial(1, F), _trial(2, C, **{RETRY_OF: 1})]
    assert is_spent(done, {1}, budget=2)
    assert not is_spent(done, {1}, budget=3)
    running = [*done, _trial(3, R, **{OVER_BUDGET: True})]
    assert not is_spent(running, {1}, budget=2)  # wait for the loser to be told
    assert is_spent([_trial(0, C)], set(), budget=5, timed_out=True)
