"""The fidelity gate as shown: one sprint's carried-over configurations against their sources."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.advisor.gate import matched_pairs
from engine.proposal import ClosedSprint, GateEvidence


@dataclass(frozen=True)
class GatePart:
    """The fidelity gate of a proposal: its verdict and the pairs it was computed from."""

    evidence: GateEvidence
    low: str  # the lower fidelity, described
    high: str
    #: (value at the lower fidelity, value at the higher) per carried-over configuration.
    pairs: tuple[tuple[float, float], ...]
    #: The sprints compared: the one the configurations came from, and the one that re-ran them
    #: (0: not known, as for a gate whose earlier sprint is missing).
    low_sprint: int = 0
    high_sprint: int = 0
    #: Whether the advisor judged it (False: computed here, as it stands, for a sprint that
    #: still runs or that no proposal followed).
    judged: bool = True

    @property
    def ranks(self) -> tuple[tuple[int, int], ...]:
        """The pairs as (rank at the lower fidelity, rank at the higher), 1 = the first value
        in order; ties share the lower rank. Spearman's correlation is that of these ranks."""
        return tuple(
            zip(_ranks([a for a, _ in self.pairs]), _ranks([b for _, b in self.pairs]), strict=True)
        )


def gate_part(
    evidence: GateEvidence, low: ClosedSprint | None, high: ClosedSprint, maximize: bool
) -> GatePart:
    """The gate judged on ``high`` with the pairs drawn as the advisor matched them (its own
    :func:`matched_pairs`, so the picture is what the verdict was computed from)."""
    if low is None:
        return GatePart(evidence, "", high.plan.fidelity.describe(), (), 0, high.number)
    return GatePart(
        evidence,
        low.plan.fidelity.describe(),
        high.plan.fidelity.describe(),
        tuple(matched_pairs(low, high, maximize)),
        low.number,
        high.number,
    )


def _ranks(values: Sequence[float]) -> list[int]:
    order = sorted(values)
    return [order.index(v) + 1 for v in values]


__all__ = ["GatePart", "gate_part"]
