"""A sprint plan in the operator's words: its pruner, and what changed between two plans."""

from __future__ import annotations

from engine.advisor.changes import space_changes
from engine.sprint import SprintPlan

ARROW = "->"


def plan_diff(
    old: SprintPlan, new: SprintPlan, spaces: bool = True, always: bool = False
) -> list[str]:
    """One line per change between two plans (for ``history``); ``always``: unchanged too."""
    rows = [
        ("fidelity", old.fidelity.describe(), new.fidelity.describe()),
        ("trials", str(old.budget), str(new.budget)),
        ("sampler", old.sampler, new.sampler),
        ("pruner", pruner_text(old), pruner_text(new)),
    ]
    lines = [_change(label, a, b) for label, a, b in rows if always or a != b]
    if spaces:
        for name, c in space_changes(old.space, new.space).items():
            if c.action != "keep":
                lines.append(f"{name}: {c.old} {ARROW} {c.new} ({c.action})")
    return lines


def pruner_text(plan: SprintPlan) -> str:
    """``hyperband from epochs 2``: the pruner and the first step it may stop a trial at."""
    if plan.pruner == "none":
        return "none"
    return f"{plan.pruner} from {plan.fidelity.resource} {plan.min_resource}"


def _change(label: str, a: str, b: str) -> str:
    return f"{label:<9} {a}" if a == b else f"{label:<9} {a} {ARROW} {b}"
