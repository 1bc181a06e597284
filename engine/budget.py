"""A sprint's trial budget, held exactly under concurrency using Optuna's trial numbers.

Every trial a worker asks for gets a unique, increasing number from the storage. A trial holds
a slot when fewer than ``budget`` counting trials have a lower number; one that does not is
failed at once as over budget. A trial stops counting when its slot is handed back (its worker
died or was stopped; the same configuration is re-queued), so the budget is refilled exactly.
These functions are pure: the worker feeds them the study's trials and the handed-back numbers.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from optuna.trial import FrozenTrial, TrialState

from engine.attrs import HISTORY, OVER_BUDGET, RETRY_OF

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def counting(trials: Sequence[FrozenTrial], handed_back: Collection[int]) -> list[FrozenTrial]:
    """The trials that use up the sprint's budget (any state, queued ones included).

    A handed-back trial keeps its slot until its re-queued copy exists: the hand-back and the
    copy are two writes, and a trial asked between them must not see a free slot (it would be
    one over the budget once the copy lands).
    """
    requeued = {t.user_attrs.get(RETRY_OF) for t in trials}
    return [
        t
        for t in trials
        if not (t.number in handed_back and t.number in requeued)
        and not t.user_attrs.get(OVER_BUDGET)
        and HISTORY not in t.user_attrs
    ]


def holds_slot(
    trial_number: int, trials: Sequence[FrozenTrial], handed_back: Collection[int], budget: int
) -> bool:
    """True if the trial numbered ``trial_number`` is within the budget."""
    lower = [t for t in counting(trials, handed_back) if t.number < trial_number]
    return len(lower) < budget


def has_room(trials: Sequence[FrozenTrial], handed_back: Collection[int], budget: int) -> bool:
    """Worth asking for a trial: a slot is free, or a queued trial waits for a worker."""
    live = counting(trials, handed_back)
    return len(live) < budget or any(t.state == TrialState.WAITING for t in live)


def is_spent(
    trials: Sequence[FrozenTrial],
    handed_back: Collection[int],
    budget: int,
    timed_out: bool = False,
) -> bool:
    """The sprint is over: its budget is used and every counting trial has ended."""
    live = counting(trials, handed_back)
    if any(t.state == TrialState.RUNNING for t in trials):
        return False
    if timed_out:
        return True
    return len(live) >= budget and all(t.state in FINISHED for t in live)
