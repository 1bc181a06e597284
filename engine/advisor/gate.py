"""The fidelity gate: do the two fidelities rank the carried-over configurations alike?

The sprint just closed re-evaluated configurations carried over from the sprint before it, at
its own (usually higher) fidelity. Spearman's rank correlation between the two sets of values
says whether the lower fidelity ranks configurations the way the higher one does. When it does
not, cuts made on the lower fidelity's evidence may have locked in a bad region.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from engine.advisor.ranking import complete, final_value, rank_trials
from engine.attrs import CARRIED
from engine.proposal import ClosedSprint, GateEvidence
from engine.space import same_value

# Spearman over three points takes only four values; below four pairs it says little.
MIN_PAIRS = 4


def fidelity_gate(
    previous: ClosedSprint | None, closed: ClosedSprint, threshold: float, maximize: bool
) -> GateEvidence:
    """Compare each completed carry-over trial of ``closed`` with its source in ``previous``."""
    if previous is None:
        return _gate(0, None, threshold, None, "first sprint: nothing evaluated at two fidelities")
    pairs = matched_pairs(previous, closed, maximize)
    low, high = previous.plan.fidelity.describe(), closed.plan.fidelity.describe()
    where = f"{len(pairs)} carried-over configurations, {low} -> {high}"
    if len(pairs) < MIN_PAIRS:
        return _gate(
            len(pairs), None, threshold, None, f"{where}: fewer than {MIN_PAIRS}, no verdict"
        )
    from scipy.stats import spearmanr  # here: scipy.stats takes 1 s to import

    rho = float(spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic)
    if not math.isfinite(rho):
        return _gate(len(pairs), None, threshold, None, f"{where}: values tie, no verdict")
    rho = round(rho, 4)
    if rho >= threshold:
        reason = f"Spearman {rho:.2f} over {where}: the lower fidelity ranks alike"
        return _gate(len(pairs), rho, threshold, True, reason)
    reason = (
        f"Spearman {rho:.2f} < {threshold:.2f} over {where}: the lower fidelity is not to be "
        "trusted here, so its cuts are not either"
    )
    return _gate(len(pairs), rho, threshold, False, reason)


def matched_pairs(
    previous: ClosedSprint, closed: ClosedSprint, maximize: bool
) -> list[tuple[float, float]]:
    """(value before, value now) per completed carry-over trial with a completed source."""
    names = closed.plan.space.names
    sources = [
        (previous.plan.space.config(t.params), final_value(t))
        for t in rank_trials(complete(previous.trials), maximize)
    ]
    pairs = []
    for t in complete(closed.trials):
        if not t.user_attrs.get(CARRIED):
            continue
        # Compared on the parameters searched now; a source that had one frozen matches on
        # its frozen value, which is what the carry-over used when it restored it.
        now = {n: t.params[n] for n in names if n in t.params}
        match = next((v for cfg, v in sources if _agrees(now, cfg)), None)
        if match is not None:
            pairs.append((match, final_value(t)))
    return pairs


def _agrees(now: Mapping[str, Any], before: Mapping[str, Any]) -> bool:
    return all(n in before and same_value(v, before[n]) for n, v in now.items())


def _gate(
    pairs: int, spearman: float | None, threshold: float, passed: bool | None, reason: str
) -> GateEvidence:
    return GateEvidence(
        pairs=pairs, spearman=spearman, threshold=threshold, passed=passed, reason=reason
    )
