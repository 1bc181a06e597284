"""The cut of a space on one sprint's top-k: ranges, choices, and freezing by importance.

Numeric ranges are cut in :mod:`engine.advisor.ranges`; categorical choices tried but absent
from the top-k are proposed for dropping here (:func:`cut_choices`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from engine.advisor.evidence import kept
from engine.advisor.importance import Importance
from engine.advisor.ranges import cut_range
from engine.space import CategoricalParam, Choice, Param, Space, same_choice
from engine.spec import AdvisorSpec


@dataclass
class Cut:
    """The cut space and, per parameter, why and with what evidence."""

    space: Space
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def cut_space(
    current: Space,
    original: Space,
    ranked: Sequence[FrozenTrial],
    k: int,
    importance: Importance,
    settings: AdvisorSpec,
    maximize: bool,
) -> Cut:
    """Cut every searched parameter on the top-k of ``ranked`` (best first, more than k)."""
    best = ranked[0]
    cut = Cut(current)
    collapsed: dict[str, Any] = {}
    for p in current.params:
        d = cut.details.setdefault(p.name, {})
        if importance.values is not None:
            d["importance"] = importance.values.get(p.name)
        if any(p.name not in t.params for t in ranked):
            d["reason"] = "some ranked trials lack this parameter: left as it is"
        elif isinstance(p, CategoricalParam):
            _cut_choices(cut, p, ranked, k, maximize, collapsed)
        else:
            orig = original[p.name] if p.name in original else p
            _cut_range(cut, p, orig if orig.kind == p.kind else p, ranked[:k], best, settings)
            new = cut.space[p.name]
            if not isinstance(new, CategoricalParam) and new.low == new.high:
                collapsed[p.name] = new.low
                d["reason"] += "; the range shrank to one value: freeze it"
    _freeze(cut, current, best, collapsed, importance, settings)
    for p in current.params:
        if p.name in cut.space:
            one = Space((cut.space[p.name],))
            cut.details[p.name]["kept_trials"] = kept(ranked, one)
    return cut


def _cut_choices(
    cut: Cut,
    p: CategoricalParam,
    ranked: Sequence[FrozenTrial],
    k: int,
    maximize: bool,
    collapsed: dict[str, Any],
) -> None:
    cc = cut_choices(p, [(t.params[p.name], _final(t)) for t in ranked], k, maximize)
    cut.details[p.name].update(reason=cc.reason, choices=cc.stats)
    if len(cc.kept) == 1:
        # One choice left is a frozen value in disguise; freezing keeps every sampler happy.
        collapsed[p.name] = cc.kept[0]
        cut.details[p.name]["reason"] = (
            f"only {cc.kept[0]!r} was tried or reached the top-{k}: freeze it"
        )
    elif cc.dropped:
        cut.space = cut.space.with_choices(p.name, cc.kept)


def _cut_range(
    cut: Cut,
    p: Param,
    orig: Param,
    top: Sequence[FrozenTrial],
    best: FrozenTrial,
    settings: AdvisorSpec,
) -> None:
    assert not isinstance(p, CategoricalParam) and not isinstance(orig, CategoricalParam)
    rc = cut_range(
        p,
        orig,
        [t.params[p.name] for t in top],
        best.params[p.name],
        settings.margin,
        settings.edge,
        settings.widen,
    )
    cut.space = cut.space.with_bounds(p.name, rc.low, rc.high)
    d = cut.details[p.name]
    d.update(reason=rc.reason, top_k_span=list(rc.span))
    if rc.widened:
        d["widened"] = list(rc.widened)
    if rc.at_spec_bound:
        d["at_spec_bound"] = list(rc.at_spec_bound)


def _freeze(
    cut: Cut,
    current: Space,
    best: FrozenTrial,
    collapsed: dict[str, Any],
    importance: Importance,
    settings: AdvisorSpec,
) -> None:
    """Freeze unimportant and collapsed parameters; never every one of them."""
    values = importance.values or {}
    low = {
        n: best.params[n]
        for n in current.names
        if n in values and values[n] < settings.freeze_threshold and n in best.params
    }
    for n in low:
        cut.details[n]["reason"] = (
            f"importance {values[n]:.3f} < {settings.freeze_threshold:g} "
            f"({importance.method}): freeze at the best trial's value {_show(best.params[n])}"
        )
    chosen = {**low, **collapsed}
    if chosen and set(chosen) >= set(current.names):
        keep = max(current.names, key=lambda n: values.get(n, 0.0))
        chosen.pop(keep)
        p = current[keep]
        if keep in collapsed and not isinstance(p, CategoricalParam):
            cut.space = cut.space.with_bounds(keep, p.low, p.high)
        cut.details[keep]["reason"] = "kept searched: freezing every parameter leaves nothing"
        cut.notes.append(f"{keep} stays searched so the space is not empty")
    for n, value in chosen.items():
        cut.space = cut.space.freeze(n, value)


def _final(t: FrozenTrial) -> float | None:
    """A trial's final value; pruned trials have none to compare with completed ones."""
    return float(t.value) if t.state == TrialState.COMPLETE and t.value is not None else None


def _show(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


# -- categorical cuts -------------------------------------------------------------------
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
    stats: list[dict[str, Any]] = []
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
