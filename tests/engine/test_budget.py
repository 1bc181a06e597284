"""The budget rules on their own: which trials hold a slot, when a sprint has room or is spent."""

from __future__ import annotations

import os
import uuid
from datetime import datetime

import optuna
import pytest
from hypothesis import given
from hypothesis import strategies as st
from optuna.trial import FrozenTrial, TrialState

from engine.budget import (
    BUDGET_ATTRS,
    HISTORY,
    OVER_BUDGET,
    RETRY_OF,
    Ledger,
    Slot,
    counting,
    has_room,
    holds_slot,
    is_spent,
)
from engine.store import Store
from tests.services import needs_postgres

PG = os.environ.get("SPRINTOPT_TEST_POSTGRES")

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


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=needs_postgres(PG))],
)
def store(request, tmp_path) -> Store:
    url = f"sqlite:///{tmp_path / 's.db'}" if request.param == "sqlite" else PG
    return Store(url, create=True)


def test_the_ledger_reads_what_the_budget_rules_read_of_optunas_trials(store):
    """The worker's one-query ledger against Optuna's own trials, with every kind of trial the
    rules tell apart, and the rules' answers the same on both."""
    name = f"ledger-{uuid.uuid4().hex[:8]}"
    study = optuna.create_study(storage=store.optuna_storage(), study_name=name)
    dist = {"x": optuna.distributions.FloatDistribution(0, 1)}
    study.add_trial(optuna.create_trial(params={"x": 0.1}, distributions=dist, value=1.0))
    lost = study.ask(dist)
    lost.set_user_attr(OVER_BUDGET, True)
    study.tell(lost, state=TrialState.FAIL)
    study.add_trial(
        optuna.create_trial(
            params={"x": 0.2}, distributions=dist, value=2.0, user_attrs={HISTORY: 0, "n": 1}
        )
    )
    died = study.ask(dist)
    study.tell(died, state=TrialState.FAIL)
    store.record_retry(name, died.number, "worker died")
    study.enqueue_trial({"x": 0.3}, user_attrs={RETRY_OF: died.number, "other": "kept out"})
    study.ask(dist)  # running, with the queued copy's labels
    study.enqueue_trial({"x": 0.4})  # waiting

    ledger = store.ledger(name)
    trials = study.get_trials(deepcopy=False)
    assert list(ledger.slots) == [
        Slot(t.number, t.state, {k: t.user_attrs[k] for k in BUDGET_ATTRS if k in t.user_attrs})
        for t in trials
    ]
    assert ledger.handed_back == {died.number}
    for budget in range(1, 7):
        assert ledger.has_room(budget) == has_room(trials, {died.number}, budget)
        assert ledger.is_spent(budget) == is_spent(trials, {died.number}, budget)
        for number in range(len(trials) + 1):
            assert ledger.holds_slot(number, budget) == holds_slot(
                number, trials, {died.number}, budget
            )
    assert store.ledger("no such study").slots == []


@st.composite
def _a_race(draw: st.DrawFn) -> tuple[Ledger, list[Slot], frozenset[int], int, int]:
    """A sprint's trials as they end up, a ledger read part way (fewer trials, fewer marks),
    a trial numbered after all of them, and a budget."""
    n = draw(st.integers(0, 12))
    final: list[Slot] = []
    for i in range(n):
        kind = draw(st.sampled_from(["plain", "over", "history", "copy"] if i else ["plain"]))
        attrs: dict[str, object] = {}
        if kind == "over":
            attrs[OVER_BUDGET] = True
        elif kind == "history":
            attrs[HISTORY] = 0
        elif kind == "copy":
            attrs[RETRY_OF] = draw(st.integers(0, i - 1))
        final.append(Slot(i, draw(st.sampled_from([C, F, R, W])), attrs))
    handed = frozenset(draw(st.sets(st.integers(0, max(n - 1, 0)))) if n else ())
    seen = draw(st.integers(0, n))
    # Marks set after the ask (over budget) may be missing from the early read; those set when
    # a trial is made (history, a copy's origin) are there. Hand-backs may come later too.
    early = [
        Slot(t.number, t.state, {k: v for k, v in t.user_attrs.items() if k != OVER_BUDGET})
        if draw(st.booleans())
        else t
        for t in final[:seen]
    ]
    handed_early = frozenset(x for x in handed if draw(st.booleans()))
    return Ledger(early, handed_early), final, handed, n, draw(st.integers(1, 10))


@given(_a_race())
def test_a_slot_the_early_ledger_proves_is_held_whatever_came_between(race):
    early, final, handed, number, budget = race
    if early.surely_holds(number, budget):
        assert holds_slot(number, final, handed, budget)


def test_the_early_ledger_proves_a_slot_only_while_the_numbers_leave_room():
    early = Ledger([Slot(0, C), Slot(1, F, {OVER_BUDGET: True})], frozenset())
    assert early.surely_holds(3, budget=3)  # at most trials 0 and 2 count below it
    assert not early.surely_holds(4, budget=3)  # 0, 2 and 3 might: read again
