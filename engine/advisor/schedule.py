"""The next sprint's plan before any cut: the spec's next sprint, or a step up past the plan.

While the spec's plan lasts, the next sprint is the next planned one (its sampler, pruner,
fidelity and trials). When it has run out the session finishes, unless the spec asks for
``advisor.extra_sprints``: each extra sprint repeats the last planned sprint's settings at the
previous fidelity times ``fidelity_step``, never above ``fidelity.max`` (at the max it stays
there: more trials in the cut space, same fidelity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from engine.objective import Fidelity
from engine.space import Space
from engine.spec import Spec
from engine.sprint import SprintPlan, planned_sprint


@dataclass(frozen=True)
class NextSprint:
    plan: SprintPlan
    reason: str
    index: int  # the spec's sprint (0-based) it follows: itself, or the last for an extra one


def next_sprint(
    spec: Spec, closed_number: int, closed: SprintPlan, space: Space
) -> NextSprint | None:
    """The plan for sprint ``closed_number + 1`` over ``space``; None when the session ends."""
    planned = len(spec.sprints)
    if closed_number < planned:
        plan = planned_sprint(spec, closed_number, space=space)
        return NextSprint(plan, f"planned sprint {closed_number + 1} of {planned}", closed_number)
    extra = closed_number - planned + 1
    if extra > spec.advisor.extra_sprints:
        return None
    fidelity, why = stepped(closed.fidelity, spec.advisor.fidelity_step, spec.fidelity.max)
    last = planned_sprint(spec, planned - 1, space=space)
    plan = replace(last, name=f"extra-{extra}", fidelity=fidelity)
    return NextSprint(
        plan,
        f"extra sprint {extra} of {spec.advisor.extra_sprints} past the plan: {why}",
        planned - 1,
    )


def stepped(fidelity: Fidelity, factor: float, maximum: float) -> tuple[Fidelity, str]:
    """``fidelity`` with its resource times ``factor``, capped at ``maximum``; whole stays whole."""
    amount = fidelity.amount * factor
    if float(fidelity.amount).is_integer() and float(maximum).is_integer():
        amount = float(math.ceil(amount - 1e-9))
    if amount >= maximum:
        if fidelity.amount >= maximum:
            return replace(fidelity, amount=maximum), f"already at the maximum {maximum:g}"
        return replace(fidelity, amount=maximum), f"x{factor:g}, capped at the maximum {maximum:g}"
    return replace(fidelity, amount=amount), f"{fidelity.resource} x{factor:g}"
