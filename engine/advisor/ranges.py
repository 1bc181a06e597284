"""Numeric cuts: the top-k span plus a margin, or a widening when the best trials hit an edge."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from engine.space import Numeric

# A third of the top-k inside the edge band is far above chance (the band is a few percent of
# the range), so the optimum probably lies at or beyond that edge.
CROWD_SHARE = 1 / 3


@dataclass(frozen=True)
class RangeCut:
    """A proposed range (in the parameter's units, not yet snapped) and why."""

    low: float
    high: float
    span: tuple[float, float]
    widened: tuple[str, ...]
    at_spec_bound: tuple[str, ...]
    reason: str


def to_axis(p: Numeric, x: float) -> float:
    """Where the sampler sees ``x``: log space for log parameters."""
    return math.log(x) if p.log else float(x)


def from_axis(p: Numeric, u: float) -> float:
    return math.exp(u) if p.log else u


def cut_range(
    current: Numeric,
    original: Numeric,
    top: Sequence[float],
    best: float,
    margin: float,
    edge: float,
    widen: float,
) -> RangeCut:
    """The top-k span widened by ``margin`` x range, clipped to the current range; an edge
    crowded by the best trials is instead moved outward toward the original (spec) bound."""
    lo, hi = to_axis(current, current.low), to_axis(current, current.high)
    width = hi - lo
    axis = [to_axis(current, v) for v in top]
    s_lo, s_hi = min(axis), max(axis)
    span = (from_axis(current, s_lo), from_axis(current, s_hi))
    if width <= 0:
        return RangeCut(current.low, current.high, span, (), (), "a single value: nothing to cut")
    new_lo, new_hi = max(lo, s_lo - margin * width), min(hi, s_hi + margin * width)
    reason = f"top-{len(top)} span {_fmt(span[0])}..{_fmt(span[1])} + {margin:.0%} margin"
    widened: list[str] = []
    stuck: list[str] = []
    notes: list[str] = []
    band = edge * width
    best_u = to_axis(current, best)
    for side in ("low", "high"):
        near = [u <= lo + band if side == "low" else u >= hi - band for u in axis]
        best_near = best_u <= lo + band if side == "low" else best_u >= hi - band
        if edge <= 0 or not (best_near or sum(near) >= CROWD_SHARE * len(axis)):
            continue
        crowd = f"{sum(near)} of top-{len(axis)}" + (" incl. the best" if best_near else "")
        limit = to_axis(original, original.low if side == "low" else original.high)
        room = lo - limit if side == "low" else limit - hi
        if room <= 1e-12 * max(1.0, abs(limit)):
            stuck.append(side)
            new_lo, new_hi = (lo, new_hi) if side == "low" else (new_lo, hi)
            notes.append(
                f"{crowd} sit at the spec's {side} bound {_fmt(from_axis(original, limit))}: "
                "it cannot widen past the spec (widen the spec if the optimum may lie beyond)"
            )
            continue
        widened.append(side)
        step = min(room, widen * width)
        if side == "low":
            new_lo = moved = lo - step
        else:
            new_hi = moved = hi + step
        notes.append(
            f"{crowd} crowd the {side} edge: widen it to {_fmt(from_axis(current, moved))} "
            f"toward the spec's {_fmt(from_axis(original, limit))}"
        )
    low = _exact(current, original, new_lo, lo, current.low)
    high = _exact(current, original, new_hi, hi, current.high)
    if notes:
        reason += "; " + "; ".join(notes)
    return RangeCut(low, high, span, tuple(widened), tuple(stuck), reason)


def _exact(current: Numeric, original: Numeric, u: float, current_u: float, bound: float) -> float:
    """Map back from the axis, keeping unchanged and spec bounds exact (no exp/log round-off)."""
    if u == current_u:
        return bound
    for b in (original.low, original.high):
        if math.isclose(u, to_axis(original, b), rel_tol=1e-12, abs_tol=1e-12):
            return b
    return max(original.low, min(original.high, from_axis(current, u)))


def _fmt(x: float) -> str:
    return f"{x:.4g}"
