"""Re-check what was fixed on cheaper evidence (frozen parameters, dropped choices), and grow a
space back: the hull of two spaces, restoring unconfirmed fixes, spec order.

A parameter frozen (or a choice dropped) after sprint j was fixed on sprint j's fidelity. Once a
later sprint has run at a higher fidelity, the fix has not been confirmed there (it could not
be: the parameter was not searched), and one-epoch evidence is known to mislead. Such fixes are
proposed for restoring, so the next sprint searches them again at the higher fidelity and the
advisor can fix them afresh on better evidence. Values frozen in the spec itself stay frozen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.objective import Fidelity
from engine.proposal import ClosedSprint
from engine.space import CategoricalParam, Choice, Param, Space, same_choice


@dataclass(frozen=True)
class Unconfirmed:
    """Fixes made on lower-fidelity evidence: params to unfreeze, choices to restore."""

    params: dict[str, Param] = field(default_factory=dict)
    choices: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)


def fidelity_cost(f: Fidelity) -> tuple[float, float]:
    """Orders fidelities: resource x training data first, then the validation share."""
    return f.amount * f.train_fraction, f.valid_fraction


def rises(higher: Fidelity, lower: Fidelity) -> bool:
    return fidelity_cost(higher) > fidelity_cost(lower)


def unconfirmed(
    original: Space, history: Sequence[ClosedSprint], closed: ClosedSprint
) -> Unconfirmed:
    """What ``closed``'s space has fixed on evidence from a lower fidelity than ``closed``'s."""
    space, now = closed.plan.space, closed.plan.fidelity
    found = Unconfirmed()
    for name, value in space.frozen:
        if name not in original:
            continue  # frozen in the spec: the user's choice, not the advisor's
        source = _last_searching(history, name)
        if source is not None and rises(now, source.plan.fidelity):
            found.params[name] = source.plan.space[name]
            found.reasons[name] = (
                f"frozen at {value!r} on sprint {source.number}'s evidence "
                f"({source.plan.fidelity.describe()}); unconfirmed at {now.describe()}"
            )
    for p in space.params:
        orig = original[p.name] if p.name in original else None
        if not isinstance(p, CategoricalParam) or not isinstance(orig, CategoricalParam):
            continue
        back, sources = [], []
        for c in orig.choices:
            if any(same_choice(c, k) for k in p.choices):
                continue
            source = _last_offering(history, p.name, c)
            if source is not None and rises(now, source.plan.fidelity):
                back.append(c)
                sources.append(f"sprint {source.number} ({source.plan.fidelity.describe()})")
        if back:
            found.choices[p.name] = tuple(back)
            found.reasons[p.name] = (
                f"{', '.join(map(str, back))} dropped on the evidence of "
                f"{', '.join(dict.fromkeys(sources))}; unconfirmed at {now.describe()}"
            )
    return found


def _last_searching(history: Sequence[ClosedSprint], name: str) -> ClosedSprint | None:
    return next((s for s in reversed(history) if name in s.plan.space), None)


def _last_offering(history: Sequence[ClosedSprint], name: str, c: Choice) -> ClosedSprint | None:
    for s in reversed(history):
        p = s.plan.space[name] if name in s.plan.space else None
        if isinstance(p, CategoricalParam) and any(same_choice(c, k) for k in p.choices):
            return s
    return None


# -- growing a space back: the hull of two spaces, restoring fixes, spec order -----------
def hull(a: Space, b: Space, original: Space) -> Space:
    """The smallest space holding both: ranges joined, choices united, frozen only if in both."""
    out = a
    for q in b.params:
        if q.name not in out:
            out = out.unfreeze(q)
            continue
        p = out[q.name]
        if isinstance(p, CategoricalParam) and isinstance(q, CategoricalParam):
            out = out.with_choices(p.name, _union(p.choices, q.choices, original, p.name))
        elif not isinstance(p, CategoricalParam) and not isinstance(q, CategoricalParam):
            out = out.with_bounds(p.name, min(p.low, q.low), max(p.high, q.high))
    return in_spec_order(out, original)


def restore(space: Space, fixes: Unconfirmed, original: Space) -> Space:
    """Search unconfirmed frozen parameters again and give back unconfirmed dropped choices."""
    for name, param in fixes.params.items():
        if name not in space:
            space = space.unfreeze(param)
    for name, back in fixes.choices.items():
        p = space[name] if name in space else None
        if isinstance(p, CategoricalParam):
            space = space.with_choices(name, _union(p.choices, back, original, name))
    return in_spec_order(space, original)


def in_spec_order(space: Space, original: Space) -> Space:
    """Parameters in the spec's order (an unfrozen one would otherwise move to the end)."""
    order = {n: i for i, n in enumerate([*original.names, *original.frozen_values])}
    params: tuple[Param, ...] = tuple(
        sorted(space.params, key=lambda p: order.get(p.name, len(order)))
    )
    return Space(params, space.frozen)


def _union(
    first: tuple[Choice, ...], second: tuple[Choice, ...], original: Space, name: str
) -> tuple[Choice, ...]:
    every = [*first, *(c for c in second if not any(same_choice(c, k) for k in first))]
    spec = original[name] if name in original else None
    if not isinstance(spec, CategoricalParam):
        return tuple(every)
    rank = {i: c for i, c in enumerate(spec.choices)}

    def position(c: Choice) -> int:
        return next((i for i, k in rank.items() if same_choice(c, k)), len(rank))

    return tuple(sorted(every, key=position))
