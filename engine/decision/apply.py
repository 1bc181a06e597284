"""Applying operator edits to a proposed plan, each checked against the spec's original space."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from engine.decision.edits import (
    FRACTIONS,
    MAX_TRIALS,
    DropChoice,
    Edit,
    Freeze,
    RestoreChoice,
    SetBounds,
    SetFidelity,
    SetMinResource,
    SetPruner,
    SetSampler,
    SetTrials,
    Unfreeze,
)
from engine.decision.validate import (
    check_number,
    in_spec_order,
    kind,
    original_param,
    positive,
    validate_plan,
)
from engine.errors import DecisionError
from engine.objective import Fidelity
from engine.pruners import PrunerKind
from engine.samplers import SamplerKind
from engine.space import CategoricalParam, Numeric, Space, same_choice
from engine.spec import Spec
from engine.sprint import SprintPlan


def apply_edits(plan: SprintPlan, edits: Sequence[Edit], spec: Spec) -> SprintPlan:
    """The plan with ``edits`` applied in order; raises :class:`DecisionError` if any is bad."""
    for edit in edits:
        plan = _apply(plan, edit, spec)
    validate_plan(plan, spec)
    return plan


def _apply(plan: SprintPlan, edit: Edit, spec: Spec) -> SprintPlan:
    space = plan.space
    if isinstance(edit, SetBounds):
        return replace(plan, space=_set_bounds(space, edit, spec))
    if isinstance(edit, Freeze):
        orig = original_param(spec, edit.name)
        if not orig.contains(edit.value):
            raise DecisionError(
                f"{edit.name} = {edit.value!r} is outside the spec's {orig.describe()}"
            )
        if edit.name in space:
            return replace(plan, space=space.freeze(edit.name, edit.value))
        frozen = tuple((k, edit.value if k == edit.name else v) for k, v in space.frozen)
        return replace(plan, space=Space(space.params, frozen))
    if isinstance(edit, Unfreeze):
        orig = original_param(spec, edit.name)
        if edit.name in space:
            raise DecisionError(f"{edit.name} is already searched ({space[edit.name].describe()})")
        return replace(plan, space=in_spec_order(space.unfreeze(orig), spec))
    if isinstance(edit, (DropChoice, RestoreChoice)):
        return replace(plan, space=_edit_choices(space, edit, spec))
    if isinstance(edit, SetFidelity):
        return replace(plan, fidelity=_set_fidelity(plan, edit, spec))
    if isinstance(edit, SetTrials):
        if isinstance(edit.trials, bool) or not isinstance(edit.trials, int):
            raise DecisionError(f"trials must be a whole number, got {edit.trials!r}")
        if not 1 <= edit.trials <= MAX_TRIALS:
            raise DecisionError(f"trials must be between 1 and {MAX_TRIALS}, got {edit.trials}")
        return replace(plan, budget=edit.trials)
    if isinstance(edit, SetSampler):
        return replace(plan, sampler=kind(edit.sampler, SamplerKind, "sampler"))
    if isinstance(edit, SetPruner):
        return replace(plan, pruner=kind(edit.pruner, PrunerKind, "pruner"))
    if isinstance(edit, SetMinResource):
        n = edit.min_resource
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise DecisionError(f"min_resource must be a whole number of at least 1, got {n!r}")
        return replace(plan, min_resource=n)
    raise DecisionError(f"unknown edit {edit!r}")


def _set_bounds(space: Space, edit: SetBounds, spec: Spec) -> Space:
    orig = original_param(spec, edit.name)
    if isinstance(orig, CategoricalParam):
        raise DecisionError(
            f"{edit.name} is categorical: edit its choices (drop or restore them), not bounds"
        )
    cur = space[edit.name] if edit.name in space else orig
    assert not isinstance(cur, CategoricalParam)
    low = cur.low if edit.low is None else edit.low
    high = cur.high if edit.high is None else edit.high
    for v in (low, high):
        check_number(edit.name, v, orig)
    if not low < high:
        raise DecisionError(
            f"{edit.name}: low ({low:g}) must be below high ({high:g}); "
            f"to fix one value, freeze {edit.name} instead"
        )
    if low < orig.low or high > orig.high:
        raise DecisionError(
            f"{edit.name}: {low:g}:{high:g} leaves the spec's range {orig.describe()}; "
            "bounds must stay inside it (edit the spec to search wider)"
        )
    # Start from the spec's parameter when it was frozen, so the step grid keeps its origin.
    base = space if edit.name in space else in_spec_order(space.unfreeze(orig), spec)
    snapped = base.with_bounds(edit.name, low, high)
    return _clamp(snapped, orig)


def _clamp(space: Space, orig: Numeric) -> Space:
    """Snapping outward may step past a spec bound that is off the step grid; step back in."""
    p = space[orig.name]
    assert not isinstance(p, CategoricalParam)
    step = p.step or 0
    low = p.low + step if p.low < orig.low else p.low
    high = p.high - step if p.high > orig.high else p.high
    if (low, high) == (p.low, p.high):
        return space
    if low >= high:
        raise DecisionError(f"{orig.name}: the range is narrower than one step ({step:g})")
    return space.with_bounds(orig.name, low, high)


def _edit_choices(space: Space, edit: DropChoice | RestoreChoice, spec: Spec) -> Space:
    orig = original_param(spec, edit.name)
    if not isinstance(orig, CategoricalParam):
        raise DecisionError(f"{edit.name} is numeric: edit its bounds (low and high)")
    if edit.name not in space:
        value = space.frozen_values.get(edit.name)
        raise DecisionError(
            f"{edit.name} is frozen at {value!r}: search it again first (it comes back with "
            "all its choices), or freeze it at another choice"
        )
    cur = space[edit.name]
    assert isinstance(cur, CategoricalParam)
    if isinstance(edit, DropChoice):
        if not any(same_choice(edit.choice, c) for c in cur.choices):
            raise DecisionError(
                f"{edit.name} has no choice {edit.choice!r} to drop (now: {cur.describe()})"
            )
        rest = tuple(c for c in cur.choices if not same_choice(c, edit.choice))
        if not rest:
            raise DecisionError(
                f"dropping {edit.choice!r} would leave {edit.name} with no choice; "
                f"to keep one value, freeze {edit.name} at {edit.choice!r}"
            )
        return space.with_choices(edit.name, rest)
    if not any(same_choice(edit.choice, c) for c in orig.choices):
        raise DecisionError(
            f"{edit.choice!r} is not one of {edit.name}'s choices in the spec: {orig.describe()}"
        )
    wanted = [*cur.choices, edit.choice]
    return space.with_choices(
        edit.name, tuple(c for c in orig.choices if any(same_choice(c, w) for w in wanted))
    )


def _set_fidelity(plan: SprintPlan, edit: SetFidelity, spec: Spec) -> Fidelity:
    fid, key, value = plan.fidelity, edit.key, edit.value
    if key == fid.resource:
        v = positive(key, value)
        if v > spec.fidelity.max:
            raise DecisionError(
                f"{key} = {v:g} is above the spec's fidelity.max {spec.fidelity.max:g}"
            )
        return replace(fid, amount=v)
    if key in FRACTIONS:
        v = positive(key, value)
        if v > 1:
            raise DecisionError(f"{key} must be in (0, 1], got {v:g}")
        if key == "train_fraction":
            return replace(fid, train_fraction=v)
        return replace(fid, valid_fraction=v)
    known = {**spec.fidelity.extra, **fid.extra}
    if key not in known:
        keys = ", ".join([fid.resource, *FRACTIONS, *known])
        raise DecisionError(f"the fidelity has no key {key!r} (keys: {keys})")
    return replace(fid, extra={**fid.extra, key: value})
