"""What changed between two spaces, parameter by parameter, in the operator's words."""

from __future__ import annotations

from typing import Literal

from engine.proposal import ParamChange
from engine.space import CategoricalParam, Param, Space, same_choice, same_value, show_value

Action = Literal[
    "keep", "cut", "widen", "shift", "freeze", "unfreeze", "refreeze", "drop", "restore", "swap"
]


def describe(space: Space, name: str) -> str:
    """A parameter's range, choices or frozen value as one short string."""
    if name in space:
        return space[name].describe()
    frozen = space.frozen_values
    if name not in frozen:
        return "(absent)"
    return f"= {show_value(frozen[name])} (frozen)"


def space_changes(old: Space, new: Space) -> dict[str, ParamChange]:
    """Per parameter (old order, then new ones): ``old``, ``new`` and the ``action``."""
    names = list(dict.fromkeys([*old.names, *old.frozen_values, *new.names, *new.frozen_values]))
    return {
        n: ParamChange(old=describe(old, n), new=describe(new, n), action=action(old, new, n))
        for n in names
    }


def action(old: Space, new: Space, name: str) -> Action:
    searched_before, searched_now = name in old, name in new
    if searched_before and not searched_now:
        return "freeze"
    if searched_now and not searched_before:
        return "unfreeze"
    if not searched_now:
        before, now = old.frozen_values.get(name), new.frozen_values.get(name)
        return "keep" if same_value(before, now) else "refreeze"
    return _compare(old[name], new[name])


def _compare(p: Param, q: Param) -> Action:
    if isinstance(p, CategoricalParam) and isinstance(q, CategoricalParam):
        gone = [c for c in p.choices if not any(same_choice(c, k) for k in q.choices)]
        back = [c for c in q.choices if not any(same_choice(c, k) for k in p.choices)]
        if gone and back:
            return "swap"
        return "drop" if gone else "restore" if back else "keep"
    if isinstance(p, CategoricalParam) or isinstance(q, CategoricalParam):
        return "swap"
    lower, higher = q.low < p.low, q.high > p.high
    narrower = q.low > p.low or q.high < p.high
    if (lower or higher) and narrower:
        return "shift"
    return "widen" if lower or higher else "cut" if narrower else "keep"
