"""Categorical cuts: choices tried but absent from the top-k are proposed for dropping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.space import CategoricalParam, Choice, same_choice


@dataclass(frozen=True)
class ChoiceCut:
    """The choices to keep and to drop, each choice's record, and why."""

    kept: tuple[Choice, ...]
    dropped: tuple[Choice, ...]
    stats: list[dict[str, Any]]
    reason: str


def cut_choices(
    param: CategoricalParam,
    ranked: Sequence[tuple[Any, float | None]],
    k: int,
    maximize: bool,
) -> ChoiceCut:
    """``ranked`` holds (choice, final value or None if pruned) per ranked trial, best first;
    the first k are the top-k. A choice's count is its ranked trials; its best is over final
    values only, since a pruned trial's last value was measured at a lower step.

    A choice never tried is kept: absence from the top-k says nothing about it. At least one
    choice always stays, since the best trial's choice is in the top-k.
    """
    pick = max if maximize else min
    stats = []
    for c in param.choices:
        count = sum(same_choice(choice, c) for choice, _ in ranked)
        values = [v for choice, v in ranked if same_choice(choice, c) and v is not None]
        in_top = sum(same_choice(choice, c) for choice, _ in ranked[:k])
        best = pick(values) if values else None
        stats.append({"choice": c, "count": count, "top_k": in_top, "best": best})
    dropped = tuple(s["choice"] for s in stats if s["count"] > 0 and s["top_k"] == 0)
    kept = tuple(c for c in param.choices if not any(same_choice(c, d) for d in dropped))
    if not dropped:
        reason = f"every tried choice appears in the top-{k}"
    else:
        names = ", ".join(str(d) for d in dropped)
        reason = f"{names}: tried but never in the top-{k}"
    return ChoiceCut(kept, dropped, stats, reason)
