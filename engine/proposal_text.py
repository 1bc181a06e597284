"""A proposal as plain text: old -> new per parameter, with the evidence behind each change."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from engine.advisor.changes import space_changes
from engine.sprint import SprintPlan

ARROW = "->"


class ProposalLike(Protocol):
    """A proposal fresh from the advisor or read back from the store."""

    plan: SprintPlan
    carry_over: list[dict[str, Any]]
    evidence: dict[str, Any]


def render_proposal(proposal: ProposalLike, closed: SprintPlan, after_sprint: int) -> str:
    """The whole proposal for ``sprintopt propose``: header, next sprint, space diff, carry-over."""
    ev, plan = proposal.evidence, proposal.plan
    lines = [f"Proposal after sprint {after_sprint} ({closed.name}, {closed.fidelity.describe()})"]
    if ev.get("summary"):
        lines.append(f"  {ev['summary']}")
    lines += _sprint_lines(ev)
    lines += ["", f"Next sprint {after_sprint + 1}: {plan.name}"]
    lines += ["  " + line for line in plan_diff(closed, plan, spaces=False, always=True)]
    if ev.get("next", {}).get("reason"):
        lines.append(f"  why: {ev['next']['reason']}")
    lines += ["", _space_header(ev)]
    lines += _param_lines(closed, plan, ev.get("params"))
    lines += ["", *_carry_lines(proposal.carry_over, ev.get("carry_over", {}))]
    notes = ev.get("notes") or []
    if notes:
        lines += ["", "Notes:", *(f"  - {n}" for n in notes)]
    return "\n".join(lines)


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
            if c["action"] != "keep":
                lines.append(f"{name}: {c['old']} {ARROW} {c['new']} ({c['action']})")
    return lines


def pruner_text(plan: SprintPlan) -> str:
    """``hyperband from epochs 2``: the pruner and the first step it may stop a trial at."""
    if plan.pruner == "none":
        return "none"
    return f"{plan.pruner} from {plan.fidelity.resource} {plan.min_resource}"


def _change(label: str, a: str, b: str) -> str:
    return f"{label:<9} {a}" if a == b else f"{label:<9} {a} {ARROW} {b}"


def _sprint_lines(ev: Mapping[str, Any]) -> list[str]:
    lines = []
    s, top, best = ev.get("sprint"), ev.get("top_k"), ev.get("best")
    if s:
        lines.append(
            f"  trials: {s['trials']} ({s.get('complete', 0)} complete, {s.get('pruned', 0)} "
            f"pruned, {s.get('fail', 0)} failed)"
        )
    if top and top.get("values"):
        vals = [v for v in top["values"] if v is not None]
        lines.append(f"  top-{top['k']}: values {_num(vals[0])} .. {_num(vals[-1])}")
    if best:
        lines.append(f"  best: {_num(best['value'])} (trial {best['trial']})")
    gate = ev.get("gate")
    if gate:
        verdict = {True: "passed", False: "FAILED", None: "no verdict"}[gate.get("passed")]
        lines.append(f"  fidelity gate: {verdict}: {gate['reason']}")
    imp = ev.get("importance")
    if imp and imp.get("values"):
        ranked = sorted(imp["values"].items(), key=lambda kv: -kv[1])
        lines.append(
            f"  importance ({imp['method']}): " + ", ".join(f"{n} {v:.2f}" for n, v in ranked)
        )
    elif imp:
        lines.append(f"  importance: {imp.get('reason', 'not computed')}")
    return lines


def _space_header(ev: Mapping[str, Any]) -> str:
    parts = []
    kept = ev.get("kept")
    if kept:
        parts.append(
            f"keeps {kept['trials']} of {kept['of']} trials, "
            f"{kept['top_k']} of the top-{kept['of_top_k']}"
        )
    if ev.get("volume_ratio") is not None:
        parts.append(f"volume x{ev['volume_ratio']:.3g}")
    stab = ev.get("stability") or {}
    if "*" in stab:
        parts.append(f"stability {stab['*']:.2f}")
    return "Space" + (f" ({'; '.join(parts)})" if parts else "")


def _param_lines(
    closed: SprintPlan, plan: SprintPlan, params: Mapping[str, Any] | None
) -> list[str]:
    changes = params or space_changes(closed.space, plan.space)
    width = max((len(n) for n in changes), default=0)
    old_w = max((len(c["old"]) for c in changes.values()), default=0)
    lines = []
    for name, c in changes.items():
        lines.append(f"  {name:<{width}}  {c['old']:<{old_w}} {ARROW} {c['new']}  [{c['action']}]")
        facts = []
        if c.get("importance") is not None:
            facts.append(f"importance {c['importance']:.3f}")
        if c.get("kept_trials") is not None:
            facts.append(f"keeps {c['kept_trials']} trials")
        pad = " " * (width + 4)
        if c.get("reason"):
            lines.append(f"{pad}{c['reason']}" + (f" ({', '.join(facts)})" if facts else ""))
        for s in c.get("choices") or []:
            best = "-" if s.get("best") is None else _num(s["best"])
            lines.append(
                f"{pad}  {s['choice']!s}: {s['count']} tried, {s['top_k']} in the top-k, "
                f"best {best}"
            )
        if c.get("unconfirmed"):
            lines.append(f"{pad}unconfirmed: {c['unconfirmed']}")
    return lines


def _carry_lines(configs: Sequence[Mapping[str, Any]], info: Mapping[str, Any]) -> list[str]:
    if not configs:
        return ["Carry over: nothing"]
    probes = int(info.get("probes", 0))
    head = f"Carry over {len(configs)}, re-evaluated first"
    if probes:
        head += f" (the last {probes}: probes at spread ranks, for the fidelity gate)"
    body = [
        "  " + " ".join(f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in c.items())
        for c in configs
    ]
    return [head + ":", *body]


def _num(x: Any) -> str:
    return "-" if x is None else f"{x:.4g}" if isinstance(x, float) else str(x)
