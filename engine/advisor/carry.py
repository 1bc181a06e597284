"""Carry-over: configurations the next sprint re-evaluates first, at its own fidelity.

The best distinct configurations inside the proposed space warm-start the next sprint. A few
probes follow, taken at evenly spread ranks below them down to the worst one the space keeps:
the top few alone differ by little more than noise, so their rank correlation across two
fidelities is mostly noise too; spread ranks give the fidelity gate a signal to read.

Probes *outside* the proposed space go further: configurations the cut left out, re-run at the
next fidelity where they lie, so the gate compares the two fidelities over the whole range the
last sprint ranked, not only over the near-ties the cut kept (where a fidelity that ranks well
over the box ranks by noise). A sampler never learns from them: the GP leaves out trials
outside its space, and the advisor ranks and cuts on the trials inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from optuna.trial import FrozenTrial

from engine.space import Space, same_value


def carry_over(
    ranked: Sequence[FrozenTrial],
    space: Space,
    fill: Mapping[str, Any],
    n_best: int,
    n_probes: int,
) -> tuple[list[dict[str, Any]], int]:
    """(configurations, how many of them are probes), from completed trials ranked best first.

    ``fill`` supplies parameters a trial lacks because they were frozen when it ran and are
    searched again now (their frozen value, which lies in the restored range).
    """
    candidates: list[dict[str, Any]] = []
    for t in ranked:
        config = _config(t, space, fill)
        if space.contains(config) and not any(_same(config, c) for c in candidates):
            candidates.append(config)
    best, rest = candidates[:n_best], candidates[n_best:]
    probes = spread(rest, n_probes)
    return best + probes, len(probes)


def outside_probes(
    ranked: Sequence[FrozenTrial],
    space: Space,
    fill: Mapping[str, Any],
    taken: Sequence[Mapping[str, Any]],
    count: int,
) -> list[dict[str, Any]]:
    """Up to ``count`` configurations of ``ranked`` (completed, best first) that ``space`` leaves
    out but can still run (:meth:`Space.runs`), at evenly spread ranks; none of ``taken``."""
    candidates: list[dict[str, Any]] = []
    for t in ranked:
        config = _config(t, space, fill)
        if space.contains(config) or not space.runs(config):
            continue
        if not any(_same(config, c) for c in [*taken, *candidates]):
            candidates.append(config)
    return spread(candidates, count)


def spread(items: Sequence[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """``n`` items at evenly spaced positions, the last one included."""
    if n <= 0 or not items:
        return []
    if n >= len(items):
        return list(items)
    picks = sorted({round((i + 1) * (len(items) - 1) / n) for i in range(n)})
    return [items[i] for i in picks]


def _config(t: FrozenTrial, space: Space, fill: Mapping[str, Any]) -> dict[str, Any]:
    """``t``'s values of ``space``'s searched parameters, ``fill``'s where it lacks one."""
    return {n: t.params.get(n, fill.get(n)) for n in space.names}


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)


def fit_carry_over(
    configs: Sequence[Mapping[str, Any]], proposed: Space, decided: Space
) -> list[dict[str, Any]]:
    """The proposal's carry-over fitted to the space the operator decided on.

    Carry-over configurations hold the proposed space's searched parameters. After an edit or
    a rejection, a parameter searched now but frozen in the proposal takes its proposed frozen
    value; one frozen now is left out; configurations outside the decided space are dropped,
    but for the probes the proposal placed outside its own space, which run where they lie
    while the decided space can run them.
    """
    fill = proposed.frozen_values
    fitted: list[dict[str, Any]] = []
    for c in configs:
        config = {n: c[n] if n in c else fill.get(n) for n in decided.names}
        probe = not proposed.contains(c) and decided.runs(config)
        if (probe or decided.contains(config)) and not any(_same(config, f) for f in fitted):
            fitted.append(config)
    return fitted
