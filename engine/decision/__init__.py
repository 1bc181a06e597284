"""Decisions on a proposal: typed operator edits, their validation, and the command-line parser."""

from __future__ import annotations

from engine.decision.apply import apply_edits
from engine.decision.edits import (
    DropChoice,
    Edit,
    Freeze,
    RestoreChoice,
    SetBounds,
    SetFidelity,
    SetMinResource,
    SetPruner,
    SetSampler,
    SetTrials,
    Unfreeze,
)
from engine.decision.parse import EDIT_FLAGS, number, parse_edit, parse_edits, whole
from engine.decision.validate import validate_plan

__all__ = [
    "EDIT_FLAGS",
    "DropChoice",
    "Edit",
    "Freeze",
    "RestoreChoice",
    "SetBounds",
    "SetFidelity",
    "SetMinResource",
    "SetPruner",
    "SetSampler",
    "SetTrials",
    "Unfreeze",
    "apply_edits",
    "number",
    "parse_edit",
    "parse_edits",
    "validate_plan",
    "whole",
]
