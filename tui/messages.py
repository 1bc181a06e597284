"""Messages the app's thread workers post: one result (or one error) per call to the engine."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from engine import (
    ChartViews,
    CrossSprint,
    Dashboard,
    DecisionRecord,
    ProposalView,
    SessionSummary,
    Standing,
    TrialDetail,
)


@dataclass
class DashboardLoaded(Message):
    """A fresh poll of the session; a newer one replaces any still waiting in the queue."""

    dashboard: Dashboard

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DashboardLoaded)


@dataclass
class ChartsLoaded(Message):
    """The full-screen charts' data of one sprint (None: no sprint ran yet)."""

    views: ChartViews | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ChartsLoaded)


@dataclass
class SessionsLoaded(Message):
    sessions: list[SessionSummary]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SessionsLoaded)


@dataclass
class TrialLoaded(Message):
    detail: TrialDetail

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TrialLoaded)


@dataclass
class CampaignLoaded(Message):
    """A fresh read of the sprints side by side; a newer one replaces any still waiting."""

    view: CrossSprint

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CampaignLoaded)


@dataclass
class ProposalLoaded(Message):
    review: ProposalView | None


@dataclass
class StandingLoaded(Message):
    """What became of the proposal a review shows; a newer check replaces a waiting one."""

    standing: Standing

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StandingLoaded)


@dataclass
class Decided(Message):
    decision: DecisionRecord


@dataclass
class ActionDone(Message):
    """An operation on a trial went through; ``text`` says what happened."""

    text: str


@dataclass
class EngineFailed(Message):
    """The engine refused or failed; ``text`` is its message, fit for the operator."""

    text: str
    quiet: bool = False  # a poll that met the storage away: the app's header says it
