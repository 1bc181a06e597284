"""Whether a sprint plan fits the spec: the check every decided plan passes before it runs."""

from __future__ import annotations

import math
from typing import Any

from engine.errors import DecisionError
from engine.space import CategoricalParam, IntParam, Numeric, Param, Space
from engine.spec import Spec, kind_problem, sprint_problem
from engine.sprint import SprintPlan


def validate_plan(plan: SprintPlan, spec: Spec) -> None:
    """Raise :class:`DecisionError` unless ``plan`` fits the spec: every searched parameter
    inside its spec range or choices, something left to search, a legal fidelity and budget."""
    original = spec.to_space()
    if not plan.space.params:
        raise DecisionError("every parameter is frozen: search at least one of them again")
    for p in plan.space.params:
        orig = original_param(spec, p.name)
        _check_param(p, orig)
    for name, value in plan.space.frozen:
        if name in original and not original[name].contains(value):
            raise DecisionError(f"{name} is frozen at {value!r}, outside the spec's range")
    # The sprint rules themselves are the spec's: one function checks both.
    problem = sprint_problem(
        plan.fidelity,
        spec.fidelity.max,
        sampler=plan.sampler,
        pruner=plan.pruner,
        min_resource=plan.min_resource,
        trials=plan.budget,
    )
    if problem:
        raise DecisionError(problem)


def _check_param(p: Param, orig: Param) -> None:
    if p.kind != orig.kind:
        raise DecisionError(f"{p.name} is {orig.kind} in the spec, not {p.kind}")
    if isinstance(p, CategoricalParam):
        assert isinstance(orig, CategoricalParam)
        if not p.choices:
            raise DecisionError(f"{p.name} has no choice left: keep at least one")
        alien = [c for c in p.choices if not orig.contains(c)]
        if alien:
            raise DecisionError(f"{p.name}: {alien[0]!r} is not among the spec's choices")
        return
    assert not isinstance(orig, CategoricalParam)
    if p.low > p.high or not (orig.contains(p.low) and orig.contains(p.high)):
        raise DecisionError(
            f"{p.name}: {p.describe()} must lie inside the spec's range {orig.describe()}"
        )


# -- small helpers ------------------------------------------------------------------------
def original_param(spec: Spec, name: str) -> Param:
    original = spec.to_space()
    if name in original:
        return original[name]
    if name in spec.frozen:
        raise DecisionError(f"{name} is frozen in the spec itself; edit the spec to search it")
    raise DecisionError(
        f"no parameter named {name!r} (the spec searches: {', '.join(original.names)})"
    )


def in_spec_order(space: Space, spec: Spec) -> Space:
    order = {n: i for i, n in enumerate(spec.space)}
    params = tuple(sorted(space.params, key=lambda p: order.get(p.name, len(order))))
    return Space(params, space.frozen)


def check_number(name: str, v: Any, orig: Numeric) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise DecisionError(f"{name}: bounds must be finite numbers, got {v!r}")
    if isinstance(orig, IntParam) and not float(v).is_integer():
        raise DecisionError(f"{name} is an integer parameter: {v!r} is not a whole number")


def positive(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DecisionError(f"{key} must be a number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise DecisionError(f"{key} must be a positive number, got {value!r}")
    return float(value)


def kind(value: str, kinds: Any, what: str) -> Any:
    problem = kind_problem(value, kinds, what)
    if problem:
        raise DecisionError(problem)
    return value
