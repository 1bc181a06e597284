"""The search space: contains-checks, conversions, cuts that return new spaces, round trips."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import warnings

import numpy as np
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from engine.errors import SpaceError
from engine.samplers.gp import _decode, _dimension, _encode
from engine.space import CategoricalParam, FloatParam, IntParam, Param, Space, runnable

X = FloatParam("x", -5.0, 5.0)
LR = FloatParam("lr", 1e-4, 1e-1, log=True)
S = FloatParam("s", 0.0, 1.0, step=0.25)
N = IntParam("n", 0, 20, step=4)
K = IntParam("k", 1, 64, log=True)
C = CategoricalParam("c", (True, 2, "a", 0.5))
SPACE = Space((X, LR, S, N, K, C), (("batch", 32), ("opt", "adam")))
INSIDE = {"x": 0.0, "lr": 1e-3, "s": 0.75, "n": 8, "k": 3, "c": "a"}


# -- contains ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("param", "inside", "outside"),
    [
        (X, [-5.0, 5.0, 0, 1.5, np.float64(2.0)], [5.01, -6, math.nan, math.inf, True, "1", None]),
        (LR, [1e-4, 1e-1, 0.01], [0.0, 0.2, 1e-5, -0.01]),
        (S, [0.0, 0.25, 1.0, 0.1 + 0.15], [0.1, 0.3, 1.25, -0.25]),
        (N, [0, 4, 20, 8.0, np.int64(12)], [2, 21, -4, 8.5, True, False, "4"]),
        (K, [1, 64, 7], [0, 65, 2.5]),
        (
            CategoricalParam("flag", (True, False)),
            [True, False],
            [1, 0, 1.0, "True", None],
        ),
        (
            CategoricalParam("count", (0, 1, 2)),
            [0, 1, 2],
            [True, False, 1.0, "1"],
        ),
        (C, [True, 2, "a", 0.5], [1, 2.0, "2", "A", False]),
    ],
    ids=["float", "log-float", "float-step", "int-step", "log-int", "bools", "ints", "mixed"],
)
def test_a_param_contains_only_its_values(param: Param, inside: list, outside: list) -> None:
    for value in inside:
        assert param.contains(value), value
    for value in outside:
        assert not param.contains(value), value


def test_a_space_contains_a_config_with_every_searched_param_inside() -> None:
    assert SPACE.contains(INSIDE)
    assert SPACE.contains({**INSIDE, "unrelated": "ignored"})  # frozen and extra keys don't count
    assert not SPACE.contains({k: v for k, v in INSIDE.items() if k != "k"})
    assert not SPACE.contains({**INSIDE, "n": 6})
    assert not SPACE.contains({**INSIDE, "c": 1})


def test_reading_a_space() -> None:
    assert SPACE.names == ("x", "lr", "s", "n", "k", "c")
    assert SPACE["n"] is N and "n" in SPACE and "batch" not in SPACE
    assert SPACE.frozen_values == {"batch": 32, "opt": "adam"}
    assert SPACE.config({**INSIDE, "stray": 1}) == {**INSIDE, "batch": 32, "opt": "adam"}
    with pytest.raises(SpaceError, match="no parameter named 'z'"):
        SPACE["z"]


def test_a_name_can_appear_only_once() -> None:
    with pytest.raises(SpaceError, match="x appear twice"):
        Space((X, FloatParam("x", 0.0, 1.0)))
    with pytest.raises(SpaceError, match="x appear twice"):
        Space((X,), (("x", 1.0),))


# -- conversions ------------------------------------------------------------------------------
def test_to_optuna_gives_matching_distributions() -> None:
    dists = SPACE.to_optuna()
    assert list(dists) == list(SPACE.names)
    assert dists["x"] == FloatDistribution(-5.0, 5.0)
    assert dists["lr"] == FloatDistribution(1e-4, 1e-1, log=True)
    assert dists["s"] == FloatDistribution(0.0, 1.0, step=0.25)
    assert dists["n"] == IntDistribution(0, 20, step=4)
    assert dists["k"] == IntDistribution(1, 64, log=True)
    assert dists["c"] == CategoricalDistribution((True, 2, "a", 0.5))


def test_optuna_agrees_with_contains_on_the_grid() -> None:
    dists = SPACE.to_optuna()
    for name, values in {"s": [0.0, 0.25, 0.3, 1.0], "n": [0, 4, 6, 20], "k": [1, 64]}.items():
        for value in values:
            assert SPACE[name].contains(value) == dists[name]._contains(value), (name, value)


@pytest.mark.parametrize(
    "param",
    [X, LR, S, N, K, C, CategoricalParam("one", ("only",)), FloatParam("t", 0.0, 1.0, step=0.1)],
    ids=lambda p: p.name,
)
def test_skopt_dimensions_round_trip(param: Param) -> None:
    dim = _dimension(param)
    # every point of the dimension decodes to a value of the space...
    for point in dim.rvs(n_samples=60, random_state=0):
        value = _decode(param, point)
        assert param.contains(value), (point, value)
        # ...and encodes back to the same point (a lone choice sits on a 0..1 dimension)
        assert _encode(param, value) == (0 if param.name == "one" else point)
    # every value of the space encodes into the dimension and back to itself
    for value in _values_of(param):
        encoded = _encode(param, value)
        assert encoded in dim, (value, encoded)
        decoded = _decode(param, encoded)
        assert decoded == value and type(decoded) is type(value), (value, decoded)


def _values_of(param: Param) -> list:
    if isinstance(param, CategoricalParam):
        return list(param.choices)
    if param.step is not None and not (isinstance(param, IntParam) and param.step == 1):
        n = round((param.high - param.low) / param.step)
        return [param.low + i * param.step for i in (0, 1, n)]
    return [param.low, param.high, type(param.low)((param.low + param.high) / 2)]


# -- narrowing --------------------------------------------------------------------------------
def test_narrowing_a_float_sets_its_bounds() -> None:
    narrow = SPACE.with_bounds("x", -1.0, 2.5)
    assert (narrow["x"].low, narrow["x"].high) == (-1.0, 2.5)
    assert narrow.contains({**INSIDE, "x": 2.5}) and not narrow.contains({**INSIDE, "x": 3.0})


def test_narrowing_a_log_range_keeps_it_on_a_log_scale() -> None:
    narrow = SPACE.with_bounds("lr", 1e-3, 1e-2)
    assert narrow["lr"] == FloatParam("lr", 1e-3, 1e-2, log=True)
    assert narrow.to_optuna()["lr"] == FloatDistribution(1e-3, 1e-2, log=True)
    with pytest.raises(SpaceError, match="log scale: low must be > 0"):
        SPACE.with_bounds("lr", 0.0, 1e-2)


def test_narrowing_an_int_snaps_outward_onto_its_grid() -> None:
    assert SPACE.with_bounds("n", 5, 13)["n"] == IntParam("n", 4, 16, step=4)
    assert SPACE.with_bounds("n", 4.2, 7.9)["n"] == IntParam("n", 4, 8, step=4)
    assert SPACE.with_bounds("k", 2.5, 9.5)["k"] == IntParam("k", 2, 10, log=True)
    # a log int never snaps down to 0
    assert SPACE.with_bounds("k", 0.5, 9)["k"] == IntParam("k", 1, 9, log=True)


def test_narrowing_a_float_step_snaps_to_exact_grid_points() -> None:
    tenths = Space((FloatParam("t", 0.0, 1.0, step=0.1),))
    narrow = tenths.with_bounds("t", 0.33, 0.66)
    assert (narrow["t"].low, narrow["t"].high) == (0.3, 0.7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Optuna warns when a range is off the step grid
        assert narrow.to_optuna()["t"] == FloatDistribution(0.3, 0.7, step=0.1)
    assert SPACE.with_bounds("s", 0.3, 0.6)["s"] == FloatParam("s", 0.25, 0.75, step=0.25)


@pytest.mark.parametrize(
    ("name", "low", "high", "message"),
    [
        ("c", 0, 1, "categorical"),
        ("x", 2.0, 1.0, "must not be above high"),
        ("x", math.nan, 1.0, "finite"),
        ("x", 0.0, math.inf, "finite"),
        ("nope", 0.0, 1.0, "no parameter named"),
    ],
)
def test_bad_narrowing_is_a_space_error(name: str, low: float, high: float, message: str) -> None:
    with pytest.raises(SpaceError, match=message):
        SPACE.with_bounds(name, low, high)


# -- choices, freezing --------------------------------------------------------------------------
def test_dropping_choices_keeps_the_rest() -> None:
    fewer = SPACE.with_choices("c", ["a", True])
    assert fewer["c"].choices == ("a", True)
    assert fewer.to_optuna()["c"] == CategoricalDistribution(("a", True))
    assert not fewer.contains({**INSIDE, "c": 2})


def test_dropping_every_choice_is_refused() -> None:
    with pytest.raises(SpaceError, match="nothing to search"):
        SPACE.with_choices("c", [])
    with pytest.raises(SpaceError, match="numeric"):
        SPACE.with_choices("x", [1.0])


def test_freezing_stops_searching_and_passes_the_value() -> None:
    frozen = SPACE.freeze("k", 8)
    assert "k" not in frozen.names and frozen.frozen_values["k"] == 8
    assert "k" not in frozen.to_optuna()
    assert frozen.config({"x": 1.0})["k"] == 8
    assert frozen.contains({k: v for k, v in INSIDE.items() if k != "k"})
    with pytest.raises(SpaceError, match="no parameter named"):
        SPACE.freeze("batch", 64)  # already frozen


def test_unfreezing_searches_again_with_the_range_given() -> None:
    again = SPACE.freeze("k", 8).unfreeze(IntParam("k", 2, 32, log=True))
    assert again["k"] == IntParam("k", 2, 32, log=True) and "k" not in again.frozen_values
    restored = SPACE.unfreeze(FloatParam("batch", 16.0, 64.0))
    assert "batch" in restored.names and "batch" not in restored.frozen_values
    with pytest.raises(SpaceError, match="appear twice"):
        SPACE.unfreeze(FloatParam("x", 0.0, 1.0))


def test_a_space_of_frozen_values_only_is_valid() -> None:
    empty = SPACE
    for name in SPACE.names:
        empty = empty.freeze(name, INSIDE[name])
    assert empty.params == () and empty.to_optuna() == {}
    assert empty.contains({}) and empty.config({})["c"] == "a"


# -- immutability and serialisation -----------------------------------------------------------
def test_every_cut_returns_a_new_space_and_leaves_the_old_one_alone() -> None:
    before = copy.deepcopy(SPACE)
    cuts = [
        SPACE.with_bounds("x", 0.0, 1.0),
        SPACE.with_bounds("n", 4, 8),
        SPACE.with_choices("c", ["a"]),
        SPACE.freeze("lr", 0.01),
        SPACE.freeze("lr", 0.01).unfreeze(LR),
    ]
    assert SPACE == before
    assert all(cut is not SPACE for cut in cuts)
    assert all(cut != SPACE for cut in cuts[:4])
    with pytest.raises(dataclasses.FrozenInstanceError):
        SPACE.params = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        X.low = 0.0  # type: ignore[misc]


def test_to_dict_and_back_through_json_is_the_same_space() -> None:
    data = json.loads(json.dumps(SPACE.to_dict()))
    again = Space.from_dict(data)
    assert again == SPACE
    # bools stay bools and ints stay ints, so {true, 2} is still told apart from {1, 2}
    assert [type(c) for c in again["c"].choices] == [bool, int, str, float]
    assert type(again["n"].low) is int and again["s"].step == 0.25 and again["x"].step is None


def test_describe_lists_params_then_frozen_values() -> None:
    lines = SPACE.describe()
    assert lines[0] == "x: [-5, 5]"
    assert "lr: [0.0001, 0.1] log" in lines and "n: [0, 20] step 4" in lines
    assert lines[-2:] == ["batch = 32 (frozen)", "opt = 'adam' (frozen)"]


@pytest.mark.parametrize(
    ("param", "value", "runs"),
    [
        (FloatParam("x", 0.0, 1.0), 7.5, True),  # outside the range: Optuna runs it enqueued
        (FloatParam("x", 0.0, 1.0), math.nan, False),
        (FloatParam("x", 0.0, 1.0), True, False),
        (FloatParam("lr", 1e-4, 1e-1, log=True), 0.5, True),
        (FloatParam("lr", 1e-4, 1e-1, log=True), 0.0, False),  # no log of it
        (FloatParam("d", 0.0, 0.5, step=0.1), 0.8, True),
        (FloatParam("d", 0.0, 0.5, step=0.1), 0.85, False),  # off the grid
        (IntParam("n", 1, 8), 20, True),
        (IntParam("n", 1, 8), 2.5, False),
        (IntParam("n", 2, 8, step=2), 12, True),
        (IntParam("n", 2, 8, step=2), 11, False),
        (CategoricalParam("c", ("a", "b")), "b", True),
        (CategoricalParam("c", ("a", "b")), "z", False),  # a choice the distribution lacks
    ],
)
def test_what_a_sprint_can_run_enqueued_outside_its_ranges(param, value, runs):
    assert runnable(param, value) is runs
    space = Space((param,))
    assert space.runs({param.name: value}) is runs and not space.runs({})
