"""A sprint's trial budget, held exactly under concurrency using Optuna's trial numbers.

Every trial a worker asks for gets a unique, increasing number from the storage. A trial holds
a slot when fewer than ``budget`` counting trials have a lower number; one that does not is
failed at once as over budget. A trial stops counting when its slot is handed back (its worker
died or was stopped; the same configuration is re-queued), so the budget is refilled exactly.
These functions are pure: they are fed the study's trials and the handed-back numbers. A worker
feeds them :class:`Slot` rows (:meth:`engine.store.Store.ledger`: one light query a turn, not
Optuna's whole trials); anything with a trial's ``number``, ``state`` and ``user_attrs`` will do.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from optuna.trial import TrialState

from engine.attrs import HISTORY, OVER_BUDGET, RETRY_OF

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
#: The user attributes the budget rules read; a :class:`Slot` carries only these.
BUDGET_ATTRS = (HISTORY, OVER_BUDGET, RETRY_OF)


class Counted(Protocol):
    """What the budget rules read of a trial (an Optuna ``FrozenTrial`` is one)."""

    @property
    def number(self) -> int: ...
    @property
    def state(self) -> TrialState: ...
    @property
    def user_attrs(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Slot:
    """A trial as the budget sees it: its number, state and the budget's attributes only."""

    number: int
    state: TrialState
    user_attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Ledger:
    """A sprint's budget as read in one transaction: its trials and the handed-back numbers."""

    slots: Sequence[Slot]
    handed_back: frozenset[int]

    def has_room(self, budget: int) -> bool:
        return has_room(self.slots, self.handed_back, budget)

    def holds_slot(self, trial_number: int, budget: int) -> bool:
        return holds_slot(trial_number, self.slots, self.handed_back, budget)

    def is_spent(self, budget: int, timed_out: bool = False) -> bool:
        return is_spent(self.slots, self.handed_back, budget, timed_out)

    def surely_holds(self, trial_number: int, budget: int) -> bool:
        """True if a trial numbered ``trial_number``, asked after this ledger was read, holds a
        slot whatever else was asked meanwhile; False means read the ledger again to know.

        Trial numbers are dense (every number below it belongs to a trial), and a trial read
        here as not counting never counts again (over budget, history and a queued copy's
        hand-back are for good), so at most ``trial_number`` less those trials count below it.
        """
        live = {t.number for t in counting(self.slots, self.handed_back)}
        out = sum(1 for t in self.slots if t.number < trial_number and t.number not in live)
        return trial_number - out < budget


T = TypeVar("T", bound=Counted)


def counting(trials: Sequence[T], handed_back: Collection[int]) -> list[T]:
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
    trial_number: int, trials: Sequence[Counted], handed_back: Collection[int], budget: int
) -> bool:
    """True if the trial numbered ``trial_number`` is within the budget."""
    lower = [t for t in counting(trials, handed_back) if t.number < trial_number]
    return len(lower) < budget


def has_room(trials: Sequence[Counted], handed_back: Collection[int], budget: int) -> bool:
    """Worth asking for a trial: a slot is free, or a queued trial waits for a worker."""
    live = counting(trials, handed_back)
    return len(live) < budget or any(t.state == TrialState.WAITING for t in live)


def is_spent(
    trials: Sequence[Counted],
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
