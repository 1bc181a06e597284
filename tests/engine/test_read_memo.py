"""engine.read.memo.PerTrial: what is made of each trial is kept while the trial and its inputs
are the same objects, and a patch limits a poll to the trials it names."""

from __future__ import annotations

from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial, create_trial

from engine.read.memo import PerTrial


def _trial(number: int, value: float) -> FrozenTrial:
    t = create_trial(params={"x": value}, distributions={"x": FloatDistribution(0, 1)}, value=value)
    t.number = number
    return t


def _counting() -> tuple[PerTrial[tuple[int, object]], list[int]]:
    made: list[int] = []

    def make(t: FrozenTrial, *inputs: object) -> tuple[int, object]:
        made.append(t.number)
        return t.number, inputs

    return PerTrial(make), made


def test_a_trial_that_is_the_same_object_with_the_same_inputs_is_not_made_again():
    memo, made = _counting()
    trials = [_trial(i, i / 10) for i in range(4)]
    flag = {0: True}
    assert memo.each(trials, lambda t: (flag.get(t.number, False),)) == [
        (0, (True,)),
        (1, (False,)),
        (2, (False,)),
        (3, (False,)),
    ]
    copy = list(trials)
    copy[2] = _trial(2, 0.25)  # an equal number, another object: made again
    made.clear()
    out = memo.each(copy, lambda t: (t.number == 1,))  # trials 0 and 1: their inputs changed
    assert sorted(made) == [0, 1, 2]
    assert out[1] == (1, (True,))


def test_a_patch_looks_only_at_its_positions_and_only_after_the_list_it_came_from():
    memo, made = _counting()
    seen: list[int] = []

    def inputs(t: FrozenTrial) -> tuple[object, ...]:
        seen.append(t.number)
        return ()

    first = [_trial(i, i / 10) for i in range(5)]
    memo.each(first, inputs)
    second = list(first)
    second[3] = _trial(3, 0.9)
    second.append(_trial(5, 0.5))
    made.clear(), seen.clear()
    out = memo.each(second, inputs, patch=(first, (3, 5)))
    assert made == [3, 5] and seen == [3, 5]
    fresh, _ = _counting()
    assert out == fresh.each(second)
    # A patch from a list this memo did not see last: every trial is looked at.
    third = list(second)
    third[0] = _trial(0, 0.7)
    made.clear(), seen.clear()
    assert memo.each(third, inputs, patch=(first, (0,))) == fresh.each(third)
    assert made == [0] and seen == [0, 1, 2, 3, 4, 5]
