"""The frozen records that leave the store: sessions, sprints, proposals, decisions, workers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from engine.proposal import Evidence, Proposal
from engine.sprint import SprintPlan
from engine.states import Action, ProposalStatus, SessionState, SprintState


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class SessionRecord:
    id: int
    name: str
    state: SessionState
    spec: dict[str, Any]
    spec_text: str
    sys_path: list[str]
    stop_requested: bool
    created_at: datetime


@dataclass(frozen=True)
class SprintRecord:
    id: int
    session_id: int
    number: int
    study_name: str
    plan: SprintPlan
    state: SprintState
    started_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True)
class ProposalRecord(Proposal):
    """A proposal as stored: the advisor's :class:`Proposal` with its row's identity."""

    id: int
    session_id: int
    after_sprint: int
    status: ProposalStatus
    created_at: datetime


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    proposal_id: int
    session_id: int
    action: Action
    applied: SprintPlan | None
    operator: str
    note: str
    created_at: datetime


@dataclass(frozen=True)
class WorkerRecord:
    id: int
    session_id: int
    host: str
    pid: int
    gpu: str | None
    log_path: str | None
    started_at: datetime
    last_seen: datetime
    stopped_at: datetime | None


# -- from a database row (any mapping-like row) ------------------------------------------
def session_from_row(row: Any) -> SessionRecord:
    m = dict(row._mapping)
    return SessionRecord(**{**m, "spec": _json(m["spec"]), "sys_path": _json(m["sys_path"])})


def sprint_from_row(row: Any) -> SprintRecord:
    m = dict(row._mapping)
    return SprintRecord(**{**m, "plan": SprintPlan.from_dict(_json(m["plan"]))})


def proposal_from_row(row: Any) -> ProposalRecord:
    m = dict(row._mapping)
    return ProposalRecord(
        **{
            **m,
            "plan": SprintPlan.from_dict(_json(m["plan"])),
            "evidence": Evidence.read(_json(m["evidence"])),
            "carry_over": _json(m["carry_over"]),
        }
    )


def decision_from_row(row: Any) -> DecisionRecord:
    m = dict(row._mapping)
    applied = _json(m["applied"])
    return DecisionRecord(
        **{**m, "applied": None if applied is None else SprintPlan.from_dict(applied)}
    )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Standing:
    """What became of the proposal after sprint ``after_sprint`` (the one a review shows)."""

    after_sprint: int
    open: bool
    exists: bool  # there is a proposal after that sprint at all
    decision: DecisionRecord | None  # how it was decided, once it was
    waiting: int | None  # the sprint that the proposal open now follows, if another one

    def describe(self) -> str:
        if self.open:
            return f"the proposal after sprint {self.after_sprint} waits for a decision"
        d = self.decision
        head = (
            f"This proposal was {d.action} elsewhere by {d.operator} at "
            f"{d.created_at.strftime('%H:%M:%S')}"
            if d is not None
            else "This proposal is no longer open"
        )
        tail = (
            f"; a newer proposal (after sprint {self.waiting}) waits: r loads it"
            if self.waiting is not None
            else ""
        )
        return f"{head}. Nothing here can change it{tail}."
