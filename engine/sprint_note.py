"""A sprint's part of the session's story as Markdown: its plan, the proposal, the decision.

Pure: records in, one note per sprint out. ``engine.dashboard_notes`` stores them where
optuna-dashboard shows a study's note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from engine.advisor.changes import describe, space_changes
from engine.plan_text import ARROW, plan_diff, pruner_text
from engine.proposal import Evidence, ParamChange
from engine.records import DecisionRecord, ProposalRecord, SprintRecord
from engine.sprint import SprintPlan
from engine.states import Action, ProposalStatus, SprintState


@dataclass(frozen=True)
class Story:
    """What the notes are written from: one session's records, as the store hands them out."""

    session: str
    sprints: Sequence[SprintRecord]
    proposals: Sequence[ProposalRecord]
    decisions: Sequence[DecisionRecord]

    def proposal_after(self, number: int) -> ProposalRecord | None:
        return next((p for p in self.proposals if p.after_sprint == number), None)

    def decision_on(self, proposal: ProposalRecord) -> DecisionRecord | None:
        return next((d for d in self.decisions if d.proposal_id == proposal.id), None)


def sprint_notes(story: Story) -> dict[str, str]:
    """Each sprint's note, by the name of its Optuna study."""
    return {s.study_name: sprint_note(story, s) for s in story.sprints}


def sprint_note(story: Story, sprint: SprintRecord) -> str:
    plan, k = sprint.plan, sprint.number
    lines = [f"## Sprint {k}: {plan.name}", "", _origin(story, k), ""]
    lines += _plan_lines(plan, sprint)
    lines += ["", "### Space", "", *_space_lines(plan)]
    proposal = story.proposal_after(k)
    if proposal is not None:
        lines += ["", *_proposal_lines(proposal, plan)]
        decision = story.decision_on(proposal)
        if decision is not None:
            lines += ["", *_decision_lines(story, proposal, decision)]
        elif proposal.status == ProposalStatus.OPEN:
            lines += ["", "_Waiting for a decision._"]
    elif sprint.state == SprintState.CLOSED:
        lines += ["", "No proposal after this sprint: the session finished with it."]
    return "\n".join(lines) + "\n"


def _origin(story: Story, k: int) -> str:
    if k == 1:
        return f"Session `{story.session}`: the spec's first sprint."
    before = story.proposal_after(k - 1)
    decision = None if before is None else story.decision_on(before)
    if decision is None:
        return f"Session `{story.session}`."
    return (
        f"Session `{story.session}`: created from the decision on the proposal after sprint "
        f"{k - 1}, **{decision.action}** by {decision.operator} at {_when(decision.created_at)}."
    )


def _plan_lines(plan: SprintPlan, sprint: SprintRecord) -> list[str]:
    rows = [
        ("state", str(sprint.state)),
        ("fidelity", plan.fidelity.describe()),
        ("sampler", plan.sampler),
        ("pruner", pruner_text(plan)),
        ("budget", f"{plan.budget} trials"),
    ]
    if plan.timeout is not None:
        rows.append(("time limit", f"{plan.timeout:g} s"))
    if plan.trial_timeout is not None:
        rows.append(("trial time limit", f"{plan.trial_timeout:g} s"))
    return ["| | |", "| --- | --- |", *(f"| {label} | {_cell(text)} |" for label, text in rows)]


def _space_lines(plan: SprintPlan) -> list[str]:
    names = [*plan.space.names, *plan.space.frozen_values]
    return [f"- `{n}`: {describe(plan.space, n)}" for n in names] or ["(empty)"]


def _proposal_lines(proposal: ProposalRecord, closed: SprintPlan) -> list[str]:
    ev, plan = proposal.evidence, proposal.plan
    lines = [f"### Proposal after sprint {proposal.after_sprint}", ""]
    if ev.summary:
        lines += [ev.summary, ""]
    lines += [f"- {fact}" for fact in _facts(ev)]
    nxt = plan_diff(closed, plan, spaces=False)
    lines.append(f"- next sprint {proposal.after_sprint + 1}: {plan.name}")
    lines += [f"  - {_code(line)}" for line in nxt]
    if ev.next is not None and ev.next.reason:
        lines.append(f"  - why: {ev.next.reason}")
    lines += _param_lines(ev.params or space_changes(closed.space, plan.space))
    n = len(proposal.carry_over)
    lines.append(f"- carry over: {n} configuration{'s' * (n != 1)}, re-evaluated first")
    return lines


def _facts(ev: Evidence) -> list[str]:
    facts = []
    s = ev.sprint
    if s is not None:
        facts.append(
            f"trials: {s.trials} ({s.complete} complete, {s.pruned} pruned, {s.fail} failed)"
        )
    if ev.best is not None and ev.best.value is not None:
        facts.append(f"best: {ev.best.value:.4g} (trial {ev.best.trial})")
    if ev.gate is not None:
        facts.append(f"fidelity gate: **{ev.gate.verdict}**" + _tail(ev.gate.reason))
    return facts


def _param_lines(changes: dict[str, ParamChange]) -> list[str]:
    lines = []
    kept = [n for n, c in changes.items() if c.action == "keep"]
    for name, c in changes.items():
        if c.action != "keep":
            change = f"`{name}`: {_code(f'{c.old} {ARROW} {c.new}')} ({c.action})"
            lines.append(f"- {change}" + _tail(c.reason))
    if kept:
        lines.append("- unchanged: " + ", ".join(f"`{n}`" for n in kept))
    return lines


def _decision_lines(story: Story, proposal: ProposalRecord, d: DecisionRecord) -> list[str]:
    lines = [f"### Decision: {d.action}", "", f"By {d.operator} at {_when(d.created_at)}."]
    if d.note:
        lines += ["", *(f"> {line}" for line in d.note.splitlines())]
    k = proposal.after_sprint + 1
    following = next((s for s in story.sprints if s.number == k), None)
    runs = f"Sprint {k}" + ("" if following is None else f" (`{following.study_name}`)")
    edits = [] if d.applied is None else plan_diff(proposal.plan, d.applied)
    if d.action == Action.REJECTED:
        tail = "; against the proposal:" if edits else " (the proposal had left it as it was)."
        lines += ["", f"{runs} keeps this sprint's space{tail}"]
    elif d.action == Action.EDITED and edits:
        lines += ["", f"{runs} runs the proposal with these edits:"]
    else:
        lines += ["", f"{runs} runs the proposal as it stands."]
        edits = []
    if edits:
        lines += ["", "```", *edits, "```"]
    return lines


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")  # the store keeps UTC


def _tail(reason: str) -> str:
    return f": {reason}" if reason else ""


def _code(text: str) -> str:
    return f"`{text}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
