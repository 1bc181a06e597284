"""The advisor: a pure function from closed sprints to the next sprint's proposal with evidence."""

from __future__ import annotations

from engine.advisor.carry import fit_carry_over
from engine.advisor.evidence import inside, volume
from engine.advisor.propose import propose
from engine.advisor.ranking import rank_trials
from engine.proposal import ClosedSprint, Proposal

__all__ = [
    "ClosedSprint",
    "Proposal",
    "fit_carry_over",
    "inside",
    "propose",
    "rank_trials",
    "volume",
]
