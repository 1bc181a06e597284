"""How the advisor ranks a sprint's trials: completed ones by value, then pruned ones by depth.

A completed trial ran the sprint's whole fidelity, so it outranks every pruned trial, however
good the pruned one looked when it stopped. Pruned trials are ranked among themselves by how far
they got (deeper first) and then by their last intermediate value, so two values are only ever
compared at the same step. In practice pruned trials only reach the top-k when fewer than k
trials completed (aggressive Hyperband, a sprint cut short by its time limit). Failed, running
and waiting trials, and pruned ones that reported nothing, are not ranked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from optuna.trial import FrozenTrial, TrialState

from engine.spec import AdvisorSpec

RANKING_RULE = (
    "completed trials by value; pruned trials after them, deeper first, then by their last "
    "intermediate value (values compared only at equal steps); failed trials not counted"
)


def score(trial: FrozenTrial) -> tuple[float, float] | None:
    """(step reached, value there) for a rankable trial; completed trials reach step inf."""
    if trial.state == TrialState.COMPLETE and trial.value is not None:
        return math.inf, float(trial.value)
    if trial.state == TrialState.PRUNED and trial.intermediate_values:
        step = max(trial.intermediate_values)
        return float(step), float(trial.intermediate_values[step])
    return None


def rank_trials(trials: Sequence[FrozenTrial], maximize: bool) -> list[FrozenTrial]:
    """Rankable trials, best first (see the module docstring for how pruned trials count)."""
    sign = -1.0 if maximize else 1.0
    keyed = [(s, t) for t in trials if (s := score(t)) is not None and math.isfinite(s[1])]
    keyed.sort(key=lambda st: (-st[0][0], sign * st[0][1], st[1].number))
    return [t for _, t in keyed]


def complete(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    return [t for t in trials if t.state == TrialState.COMPLETE and t.value is not None]


def final_value(trial: FrozenTrial) -> float:
    """The value of a trial :func:`complete` kept (so it has one)."""
    assert trial.value is not None, f"trial {trial.number} has no final value"
    return float(trial.value)


def top_k_size(n_ranked: int, settings: AdvisorSpec) -> int:
    """k: ``top_k``, capped by ``ceil(top_quantile * n)`` so a small sprint keeps a true elite."""
    k = settings.top_k
    if settings.top_quantile is not None:
        k = min(k, math.ceil(settings.top_quantile * n_ranked))
    return max(1, min(k, n_ranked)) if n_ranked else 0


def tied_with_kth(ranked: Sequence[FrozenTrial], k: int, tolerance: float) -> tuple[int, int]:
    """How many trials tie with the k-th (same step, values within ``tolerance``): those
    ranked above it, and those past it, which would be left out of the top-k by trial number.

    A sprint whose values tie across the k-th place cannot say which tied trials belong in
    the top: a one-epoch scout that scores many configurations exactly 0 picks its "top" ones
    by trial number. The advisor then takes every tie into the top rather than cut on them.
    """
    if not 0 < k < len(ranked):
        return 0, 0
    kth = score(ranked[k - 1])

    def ties(t: FrozenTrial) -> bool:
        s = score(t)
        assert s is not None and kth is not None  # ranked trials have a score
        return s[0] == kth[0] and abs(s[1] - kth[1]) <= tolerance

    # Ranked best first: the ties with the k-th sit right around it.
    above = next((i for i, t in enumerate(reversed(ranked[: k - 1])) if not ties(t)), k - 1)
    past = next((i for i, t in enumerate(ranked[k:]) if not ties(t)), len(ranked) - k)
    return (above, past) if past else (0, 0)
