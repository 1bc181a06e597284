"""Growing a space back: the hull of two spaces, restoring unconfirmed fixes, spec order."""

from __future__ import annotations

from engine.advisor.recheck import Unconfirmed
from engine.space import CategoricalParam, Choice, Param, Space, same_choice


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
