"""The session's event feed: prunes, failures, retries, sprint transitions, proposals, decisions.

Built from what the store and the studies already hold (no event table): each event's time is
when its trial finished or its record was written. Only the newest events get their text, so a
session with many thousand trials stays cheap to poll.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from optuna.trial import FrozenTrial, TrialState

from engine.attrs import FAIL_REASON, OVER_BUDGET, RETRY_OF
from engine.records import DecisionRecord, ProposalRecord, SprintRecord
from engine.states import SprintState

EventKind = Literal["prune", "failure", "retry", "sprint", "proposal", "decision"]


@dataclass(frozen=True)
class Event:
    at: datetime  # naive UTC, like the store's timestamps
    kind: EventKind
    sprint: int
    trial: int | None
    text: str


@dataclass(frozen=True)
class _Pending:
    at: datetime
    kind: EventKind
    sprint: int
    trial: int | None
    text: str  # for a prune: filled in once the newest events are known


Explain = Callable[[SprintRecord, Sequence[FrozenTrial], set[int]], dict[int, str]]


def utc(local: datetime) -> datetime:
    """Optuna stamps trials in local time; the store in UTC. Compare them in UTC."""
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def session_events(
    sprints: Sequence[SprintRecord],
    trials: Callable[[SprintRecord], Sequence[FrozenTrial]],
    handed_back: Callable[[SprintRecord], set[int]],
    proposals: Sequence[ProposalRecord],
    decisions: Sequence[DecisionRecord],
    explain: Explain,
    limit: int = 200,
) -> list[Event]:
    """The newest ``limit`` events, oldest first; ``explain`` words the prunes among them."""
    pending: list[_Pending] = []
    for sprint in sprints:
        pending += _sprint_events(sprint)
        if sprint.state != SprintState.SETUP:
            pending += _trial_events(sprint, trials(sprint), handed_back(sprint))
    by_sprint = {p.id: p.after_sprint for p in proposals}
    for p in proposals:
        pending.append(_Pending(p.created_at, "proposal", p.after_sprint, None, _proposal_text(p)))
    for d in decisions:
        after = by_sprint.get(d.proposal_id, 0)
        pending.append(_Pending(d.created_at, "decision", after, None, _decision_text(d, after)))
    pending.sort(key=lambda e: (e.at, e.sprint, e.trial if e.trial is not None else -1))
    newest = pending[-limit:]
    texts: dict[tuple[int, int], str] = {}
    for sprint in sprints:
        numbers = {e.trial for e in newest if e.kind == "prune" and e.sprint == sprint.number}
        found = explain(sprint, trials(sprint), numbers) if numbers else {}  # type: ignore[arg-type]
        texts.update({(sprint.number, n): text for n, text in found.items()})
    return [
        Event(e.at, e.kind, e.sprint, e.trial, texts.get((e.sprint, e.trial or -1), e.text))
        for e in newest
    ]


def _sprint_events(sprint: SprintRecord) -> list[_Pending]:
    plan = sprint.plan
    started = (
        f"sprint {sprint.number} {plan.name} started: {plan.fidelity.describe()}, "
        f"{plan.sampler}/{plan.pruner}, {plan.budget} trials"
    )
    out = [_Pending(sprint.started_at, "sprint", sprint.number, None, started)]
    if sprint.closed_at is not None:
        closed = f"sprint {sprint.number} {plan.name} closed"
        out.append(_Pending(sprint.closed_at, "sprint", sprint.number, None, closed))
    return out


def _trial_events(
    sprint: SprintRecord, trials: Sequence[FrozenTrial], handed_back: set[int]
) -> list[_Pending]:
    out: list[_Pending] = []
    by_number = {t.number: t for t in trials}
    k = sprint.number
    for t in trials:
        if t.user_attrs.get(OVER_BUDGET):
            continue
        origin = t.user_attrs.get(RETRY_OF)
        if origin is not None and origin in by_number:
            old = by_number[origin]
            at = old.datetime_complete or old.datetime_start
            if at is not None:
                text = f"trial {origin} re-queued as trial {t.number} ({_retry_reason(old)})"
                out.append(_Pending(utc(at), "retry", k, t.number, text))
        if t.datetime_complete is None or t.number in handed_back:
            continue
        at = utc(t.datetime_complete)
        if t.state == TrialState.PRUNED:
            out.append(_Pending(at, "prune", k, t.number, f"trial {t.number} pruned"))
        elif t.state == TrialState.FAIL:
            reason = str(t.user_attrs.get(FAIL_REASON) or "no reason recorded").splitlines()[0]
            out.append(_Pending(at, "failure", k, t.number, f"trial {t.number} failed: {reason}"))
    return out


def _retry_reason(old: FrozenTrial) -> str:
    reason = str(old.user_attrs.get(FAIL_REASON) or "")
    if reason:
        return reason.splitlines()[0]
    return "its worker stopped sending heartbeats"


def _proposal_text(p: ProposalRecord) -> str:
    summary = p.evidence.summary or None
    text = f"proposal after sprint {p.after_sprint}: next {p.plan.name}"
    return text + (f"; {summary}" if summary else f" at {p.plan.fidelity.describe()}")


def _decision_text(d: DecisionRecord, after: int) -> str:
    text = f"proposal after sprint {after} {d.action} by {d.operator}"
    return text + (f": {d.note}" if d.note else "")
