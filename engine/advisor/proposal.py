"""What the advisor reads (closed sprints) and what it returns (a proposal with evidence)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from optuna.trial import FrozenTrial

from engine.sprint import SprintPlan


@dataclass(frozen=True)
class ClosedSprint:
    """A finished sprint: its 1-based number in the session, its plan and its trials."""

    number: int
    plan: SprintPlan
    trials: Sequence[FrozenTrial]


@dataclass(frozen=True)
class Proposal:
    """The suggested next sprint, the configurations to re-evaluate first, and why."""

    plan: SprintPlan
    carry_over: list[dict[str, Any]]
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_store(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_dict(),
            "carry_over": self.carry_over,
            "evidence": self.evidence,
        }
