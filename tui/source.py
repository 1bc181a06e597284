"""Where the app's data comes from and where its actions go: one session through the engine.

Screens call a :class:`Source` only from thread workers. :class:`EngineSource` is the real one;
tests may hand the app another object with the same methods (pinned data for snapshots).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from engine import (
    Action,
    ChartViews,
    CrossSprint,
    Dashboard,
    DecisionRecord,
    ProposalView,
    SprintPlan,
    Standing,
    TrialDetail,
    Watch,
    enqueue_copy,
    fail_trial,
    mask_url,
    proposal_view,
    read_cross_sprint,
    requeue_trial,
)

if TYPE_CHECKING:
    from engine import Session


class Source(Protocol):
    name: str
    where: str  # the storage, fit to show (no password)

    def dashboard(self, sprint: int | None = None) -> Dashboard: ...
    def trial(self, sprint: int, number: int) -> TrialDetail: ...
    def chart_views(
        self, sprint: int | None = None, pair: tuple[str, str] | None = None
    ) -> ChartViews | None: ...
    def proposal(self) -> ProposalView | None: ...
    def campaign(self) -> CrossSprint: ...
    def standing(self, after_sprint: int) -> Standing: ...
    def decide(
        self, action: Action, plan: SprintPlan | None, note: str, after_sprint: int
    ) -> DecisionRecord: ...
    def fail(self, sprint: int, number: int) -> None: ...
    def requeue(self, sprint: int, number: int) -> None: ...
    def enqueue(self, params: Mapping[str, Any]) -> int: ...
    def close(self) -> None: ...


class EngineSource:
    """A session read through :class:`engine.read.views.Watch` and changed through the engine."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.where = mask_url(url)
        self.watch = Watch(name, url)
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The session's lifecycle, for actions: loaded on the first one, on the watch's store."""
        if self._session is None:
            from engine import Session  # the lifecycle loads only once the operator acts

            read = self.watch.session
            self._session = Session(read.store, read.record)
        return self._session

    def dashboard(self, sprint: int | None = None) -> Dashboard:
        return self.watch.dashboard(sprint)

    def trial(self, sprint: int, number: int) -> TrialDetail:
        return self.watch.trial(sprint, number)

    def chart_views(
        self, sprint: int | None = None, pair: tuple[str, str] | None = None
    ) -> ChartViews | None:
        return self.watch.chart_views(sprint, pair)

    def proposal(self) -> ProposalView | None:
        return proposal_view(self.watch.session)

    def campaign(self) -> CrossSprint:
        """The sprints side by side, every sprint's trials read once (the watch's caches)."""
        session = self.watch.session
        with session.one_read():
            return read_cross_sprint(session)

    def standing(self, after_sprint: int) -> Standing:
        return self.watch.session.standing(after_sprint)

    def decide(
        self, action: Action, plan: SprintPlan | None, note: str, after_sprint: int
    ) -> DecisionRecord:
        """Decide the proposal after ``after_sprint``: refused if it is no longer the open one."""
        return self.session.decide(action, plan=plan, note=note, after=after_sprint)

    def fail(self, sprint: int, number: int) -> None:
        fail_trial(self.session, sprint, number)

    def requeue(self, sprint: int, number: int) -> None:
        requeue_trial(self.session, sprint, number)

    def enqueue(self, params: Mapping[str, Any]) -> int:
        return enqueue_copy(self.session, params)

    def close(self) -> None:
        self.watch.close()
