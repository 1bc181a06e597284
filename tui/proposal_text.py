"""A proposal as plain text: old -> new per parameter, with the evidence behind each change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine import (
    CarryCounts,
    Evidence,
    ParamChange,
    Proposal,
    SprintPlan,
    plan_diff,
    space_changes,
)

ARROW = "->"


def render_proposal(proposal: Proposal, closed: SprintPlan, after_sprint: int) -> str:
    """The whole proposal for ``sprintopt propose``: header, next sprint, space diff, carry-over."""
    ev, plan = proposal.evidence, proposal.plan
    lines = [f"Proposal after sprint {after_sprint} ({closed.name}, {closed.fidelity.describe()})"]
    if ev.summary:
        lines.append(f"  {ev.summary}")
    lines += _sprint_lines(ev)
    lines += ["", f"Next sprint {after_sprint + 1}: {plan.name}"]
    lines += ["  " + line for line in plan_diff(closed, plan, spaces=False, always=True)]
    if ev.next is not None and ev.next.reason:
        lines.append(f"  why: {ev.next.reason}")
    lines += ["", _space_header(ev)]
    lines += _param_lines(closed, plan, ev.params)
    lines += ["", *_carry_lines(proposal.carry_over, ev.carry_over)]
    if ev.notes:
        lines += ["", "Notes:", *(f"  - {n}" for n in ev.notes)]
    return "\n".join(lines)


def _sprint_lines(ev: Evidence) -> list[str]:
    lines = []
    s, top, best = ev.sprint, ev.top_k, ev.best
    if s is not None:
        lines.append(
            f"  trials: {s.trials} ({s.complete} complete, {s.pruned} pruned, {s.fail} failed)"
        )
    vals = [v for v in top.values if v is not None] if top is not None else []
    if top is not None and vals:
        lines.append(f"  top-{top.k}: values {_num(vals[0])} .. {_num(vals[-1])}")
    if best is not None:
        lines.append(f"  best: {_num(best.value)} (trial {best.trial})")
    gate = ev.gate
    if gate is not None:
        lines.append(f"  fidelity gate: {gate.verdict}: {gate.reason}")
    imp = ev.importance
    if imp is not None and imp.values:
        ranked = sorted(imp.values.items(), key=lambda kv: -kv[1])
        lines.append(
            f"  importance ({imp.method}): " + ", ".join(f"{n} {v:.2f}" for n, v in ranked)
        )
    elif imp is not None:
        lines.append(f"  importance: {imp.reason or 'not computed'}")
    return lines


def _space_header(ev: Evidence) -> str:
    parts = []
    kept = ev.kept
    if kept is not None:
        parts.append(
            f"keeps {kept.trials} of {kept.of} trials, {kept.top_k} of the top-{kept.of_top_k}"
        )
    if ev.volume.describe():
        parts.append(ev.volume.describe())
    if ev.stability and "*" in ev.stability:
        parts.append(f"stability {ev.stability['*']:.2f}")
    return "Space" + (f" ({'; '.join(parts)})" if parts else "")


def _param_lines(
    closed: SprintPlan, plan: SprintPlan, params: Mapping[str, ParamChange]
) -> list[str]:
    changes = dict(params) or space_changes(closed.space, plan.space)
    width = max((len(n) for n in changes), default=0)
    old_w = max((len(c.old) for c in changes.values()), default=0)
    lines = []
    for name, c in changes.items():
        lines.append(f"  {name:<{width}}  {c.old:<{old_w}} {ARROW} {c.new}  [{c.action}]")
        facts = []
        if c.importance is not None:
            facts.append(f"importance {c.importance:.3f}")
        if c.kept_trials is not None:
            facts.append(f"keeps {c.kept_trials} trials")
        pad = " " * (width + 4)
        if c.reason:
            lines.append(f"{pad}{c.reason}" + (f" ({', '.join(facts)})" if facts else ""))
        for st in c.choices or ():
            best = "-" if st.best is None else _num(st.best)
            lines.append(
                f"{pad}  {st.choice!s}: {st.count} tried, {st.top_k} in the top-k, best {best}"
            )
        if c.unconfirmed:
            lines.append(f"{pad}unconfirmed: {c.unconfirmed}")
    return lines


def _carry_lines(configs: Sequence[Mapping[str, Any]], info: CarryCounts | None) -> list[str]:
    if not configs:
        return ["Carry over: nothing"]
    probes = info.probes if info is not None else 0
    outside = info.outside if info is not None else 0
    head = f"Carry over {len(configs)}, re-evaluated first"
    if probes:
        where = f", the last {outside} outside the new ranges" if outside else ""
        head += f" (the last {probes}: probes at spread ranks{where}, for the fidelity gate)"
    body = [
        "  " + " ".join(f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in c.items())
        for c in configs
    ]
    return [head + ":", *body]


def _num(x: Any) -> str:
    return "-" if x is None else f"{x:.4g}" if isinstance(x, float) else str(x)
