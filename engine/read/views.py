"""What the app shows, cheap to poll: a watch on one session that hands out frozen views.

A :class:`Watch` keeps each sprint's trials between polls (:class:`TrialCache`): a poll reads
from the store only the trials that may have changed, in bulk, never Optuna's whole study. It
never writes: a watch does not reap stale trials (workers and ``sprintopt run`` do) and takes
no write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from engine.attrs import FAIL_REASON, PREFIX, RETRY_OF, TRACEBACK, WORKER
from engine.read.chart_views import ChartViews, ChartViewsMemo
from engine.read.events import Event, EventsMemo, session_events, utc
from engine.read.memo import Patch
from engine.read.model import PollMemo, SessionView, SprintView, TrialRow, session_view
from engine.read.plots import (
    IMPORTANCE_TRIALS,
    METHOD_NAMES,
    ChartData,
    ChartMemo,
    chart_data,
    live_importance,
)
from engine.read.prunes import PruneReason, prune_reasons
from engine.read.reader import SessionReader, TrialCache
from engine.read.sessions import SessionSummary as SessionSummary
from engine.read.sessions import describe_url as describe_url
from engine.read.sessions import find_sessions as find_sessions
from engine.read.workers import WorkerRow, worker_rows
from engine.records import SprintRecord
from engine.spec import Spec
from engine.states import SprintState


class LiveSession(SessionReader):
    """A session whose trials are read incrementally: one :class:`TrialCache` per sprint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._caches: dict[str, TrialCache] = {}
        self._lock = threading.Lock()  # the app's thread workers may poll at once
        self._scope = threading.local()

    @contextmanager
    def one_read(self) -> Iterator[None]:
        """Within it (in this thread) each sprint's trials are read once, so the parts of one
        screen (table, events, charts) show one read; outside it every call reads."""
        if getattr(self._scope, "read", None) is not None:
            yield
            return
        self._scope.read = set()
        try:
            yield
        finally:
            self._scope.read = None

    def cache(self, sprint: SprintRecord) -> TrialCache:
        """The sprint's trials, brought up to date (once per :meth:`one_read`)."""
        study = sprint.study_name
        read: set[str] | None = getattr(self._scope, "read", None)
        with self._lock:
            cache = self._caches.get(study)
            if cache is None:
                cache = self._caches[study] = TrialCache(study)
            if read is None or study not in read:
                cache.update(self.store)
                if read is not None:
                    read.add(study)
            return cache

    def trials(self, sprint: SprintRecord) -> list[FrozenTrial]:
        return self.cache(sprint).trials

    def trials_patch(self, sprint: SprintRecord) -> Patch | None:
        # Of the list handed out last: no read of its own, which would make a newer one.
        with self._lock:
            cache = self._caches.get(sprint.study_name)
        return None if cache is None else cache.patch


@dataclass(frozen=True)
class Progress:
    """The shown sprint's progress and pace."""

    sprint: SprintView | None
    done: int
    running: int
    waiting: int
    per_trial: float | None  # mean wall time of its finished trials, seconds
    eta: float | None  # seconds left at that pace with the live workers


@dataclass(frozen=True)
class Dashboard:
    view: SessionView
    shown: int | None  # the sprint the table and charts show
    progress: Progress
    events: tuple[Event, ...]
    charts: ChartData | None
    #: The workers that have not left, with their GPUs.
    workers: tuple[WorkerRow, ...] = ()
    #: The first poll of a big session: the trials only, no events or charts yet (empty
    #: here); the next poll, which a screen makes at once, has them.
    partial: bool = False


#: A watch's first poll over more trials than this leaves the events and charts to the next:
#: the first screen (the trials table) waits for about 0.9 s of reading at 10,000, not 1.3.
QUICK_FIRST_TRIALS = 2_000


@dataclass(frozen=True)
class TrialDetail:
    sprint: int
    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    fidelity: str
    intermediate: tuple[tuple[int, float], ...]
    user_attrs: dict[str, Any]
    reason: str | None
    traceback: str | None
    started: datetime | None
    finished: datetime | None
    worker: int | None
    retry_of: int | None
    #: Why it was pruned (None unless it was).
    pruned: PruneReason | None = None


def _progress(
    view: SessionView, shown: SprintView | None, pace: tuple[int, float | None]
) -> Progress:
    """``pace``: how many of the shown sprint's trials finished, and their mean wall time."""
    if shown is None:
        return Progress(None, 0, 0, 0, None, None)
    finished, per_trial = pace
    running = shown.counts.get("running", 0)
    left = max(0, shown.budget - finished)
    eta = None
    if per_trial is not None and view.workers_alive and shown.state == SprintState.RUNNING:
        eta = left * per_trial / view.workers_alive
    return Progress(shown, finished, running, shown.counts.get("waiting", 0), per_trial, eta)


def _pace(rows: list[TrialRow]) -> tuple[int, float | None]:
    finished = [r for r in rows if r.state in ("complete", "pruned", "failed")]
    times = [r.wall_time for r in finished if r.wall_time is not None]
    return len(finished), sum(times) / len(times) if times else None


Importance = tuple[tuple[tuple[str, float], ...], str]


class LiveImportance:
    """The live importance of the shown sprint. fANOVA over hundreds of trials takes seconds,
    so it is recomputed only when the completed trials grew by a tenth (or the sprint changed),
    and, over :attr:`INLINE` trials or more, in a thread of its own, started from the second
    poll on: no poll waits for it, and the first screen of a big session is drawn before it
    competes for the interpreter. The watch's first computation goes the same way whatever the
    size: it imports the method's library (fANOVA's scikit-learn: 1.7 s), which held up the
    first screen of a 20-trial session by as much. Meanwhile the chart keeps the sprint's last
    importance or says that it is being computed."""

    INLINE = 100

    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self._lock = threading.Lock()
        self._last: tuple[int, int, Importance] | None = None  # (sprint, completed, importance)
        self._busy = False
        self._first = True
        self._counted: tuple[Sequence[FrozenTrial], int] | None = None  # trials, completed

    def first_screen_shown(self) -> None:
        """The first screen went out without charts (a partial poll): the next poll may start
        the thread at once."""
        self._first = False

    def of(self, sprint: SprintRecord, trials: Sequence[FrozenTrial]) -> Importance:
        if self._counted is None or self._counted[0] is not trials:
            self._counted = trials, sum(t.state == TrialState.COMPLETE for t in trials)
        done = self._counted[1]
        with self._lock:
            last = self._last
            mine = last is not None and last[0] == sprint.number
            if last is not None and mine and done < max(last[1] + 1, 1.1 * last[1]):
                return last[2]
            some = done >= self._spec.advisor.importance_min_trials  # else nothing to compute
            if min(done, IMPORTANCE_TRIALS) >= self.INLINE or (last is None and some):
                if self._first:  # the first screen is drawn before the thread competes with it
                    self._first = False
                elif not self._busy:
                    self._busy = True
                    args = (sprint, list(trials), done)
                    threading.Thread(target=self._work, args=args, daemon=True).start()
                if last is not None and mine:
                    return last[2]
                name = METHOD_NAMES.get(self._spec.advisor.importance, "importance")
                trials_used = min(done, IMPORTANCE_TRIALS)
                return (), f"importance by {name}: being computed on {trials_used} trials"
        return self._compute(sprint, trials, done)

    def _compute(
        self, sprint: SprintRecord, trials: Sequence[FrozenTrial], done: int
    ) -> Importance:
        imp = live_importance(trials, sprint.plan, self._spec)
        with self._lock:
            self._last = (sprint.number, done, imp)
        return imp

    def _work(self, sprint: SprintRecord, trials: list[FrozenTrial], done: int) -> None:
        try:
            self._compute(sprint, trials, done)
        except Exception as exc:  # said on the chart: no poll waits for this thread to raise
            name = METHOD_NAMES.get(self._spec.advisor.importance, "importance")
            failed = (), f"importance by {name}: could not be computed ({type(exc).__name__})"
            with self._lock:
                self._last = (sprint.number, done, failed)
        finally:
            with self._lock:
                self._busy = False


class Watch:
    """Read-only views of one session, for a screen that polls.

    What a poll shows is worked out again only from what changed: the trials come from the
    session's :class:`TrialCache` s, rows are kept per trial (:class:`PollMemo`), and the events
    and charts are kept while their inputs (each sprint's trials and hand-backs, the
    proposals and decisions) are the same.
    """

    def __init__(self, name: str, url: str) -> None:
        self.session = LiveSession.open_readonly(name, url)
        self._prunes: dict[tuple[str, int], PruneReason] = {}
        self._rows = PollMemo()
        self._importance = LiveImportance(self.session.spec)
        self._events: tuple[object, tuple[Event, ...]] | None = None
        self._events_memo = EventsMemo()
        self._chart: tuple[object, ChartData] | None = None
        self._chart_views = ChartViewsMemo()
        self._chart_memo = ChartMemo()
        self._pace: tuple[list[TrialRow], tuple[int, float | None]] | None = None
        self._polled = False  # whether a poll has returned (the first may be partial)

    def _reasons(
        self, sprint: SprintRecord, trials: Sequence[FrozenTrial], numbers: set[int]
    ) -> dict[int, PruneReason]:
        """Why trials were pruned, each worked out once: a finished trial's never changes."""
        study = sprint.study_name
        missing = {n for n in numbers if (study, n) not in self._prunes}
        if missing:
            found = prune_reasons(trials, sprint.plan, study, self.session.maximize, missing)
            self._prunes.update({(study, n): why for n, why in found.items()})
        return {n: self._prunes[(study, n)] for n in numbers if (study, n) in self._prunes}

    def _explain(
        self, sprint: SprintRecord, trials: Sequence[FrozenTrial], numbers: set[int]
    ) -> dict[int, str]:
        """The feed's words for prunes: the brief form, one line at 80 columns."""
        return {n: why.brief for n, why in self._reasons(sprint, trials, numbers).items()}

    def dashboard(self, sprint: int | None = None) -> Dashboard:
        """The whole screen's data; ``sprint`` picks the shown sprint (default: the newest)."""
        with self.session.one_read():
            return self._dashboard(sprint)

    def _dashboard(self, sprint: int | None) -> Dashboard:
        view = session_view(self.session, self._rows)
        records = {s.number: s for s in self.session.sprints()}
        shown = sprint if sprint in records else (max(records) if records else None)
        shown_view = next((s for s in view.sprints if s.number == shown), None)
        mine = self._rows.by_sprint.get(shown, []) if shown is not None else []
        if self._pace is None or self._pace[0] is not mine:
            self._pace = mine, _pace(mine)
        workers = worker_rows(self.session.store, self.session.record.id)
        progress = _progress(view, shown_view, self._pace[1])
        quick = not self._polled and len(view.trials) > QUICK_FIRST_TRIALS
        self._polled = True
        if quick:
            self._importance.first_screen_shown()
            return Dashboard(view, shown, progress, (), None, workers, partial=True)
        events = self._feed(list(records.values()))
        charts = None
        if shown is not None and records[shown].state != SprintState.SETUP:
            charts = self._charts(records[shown])
        return Dashboard(view, shown, progress, events, charts, workers)

    def _feed(self, sprints: list[SprintRecord]) -> tuple[Event, ...]:
        store, sid = self.session.store, self.session.record.id
        backs = {s.number: store.retried_numbers(s.study_name) for s in sprints}
        proposals, decisions = store.proposals(sid), store.decisions(sid)
        versions = [self.session.cache(s).version for s in sprints if s.state != SprintState.SETUP]
        key = (sprints, versions, backs, proposals, decisions)
        if self._events is None or self._events[0] != key:
            events = session_events(
                sprints,
                self.session.trials,
                lambda s: backs[s.number],
                proposals,
                decisions,
                self._explain,
                memo=self._events_memo,
                patch=self.session.trials_patch,
            )
            self._events = key, tuple(events)
        return self._events[1]

    def _charts(self, sprint: SprintRecord) -> ChartData:
        trials = self.session.trials(sprint)
        importance = self._importance.of(sprint, trials)
        key = (sprint.number, self.session.cache(sprint).version, importance)
        if self._chart is None or self._chart[0] != key:
            data = chart_data(
                sprint.number,
                trials,
                sprint.plan,
                self.session.maximize,
                importance,
                self._chart_memo,
                self.session.trials_patch(sprint),
            )
            self._chart = key, data
        return self._chart[1]

    def chart_views(
        self, sprint: int | None = None, pair: tuple[str, str] | None = None
    ) -> ChartViews | None:
        """The full-screen charts of ``sprint`` (default: the newest); None before any ran."""
        with self.session.one_read():
            records = [s for s in self.session.sprints() if s.state != SprintState.SETUP]
            record = next(
                (s for s in records if s.number == sprint), records[-1] if records else None
            )
            if record is None:
                return None
            trials = self.session.trials(record)
            # Optuna stamps trials in local time, naive: a running bar ends at that clock's now.
            version = self.session.cache(record).version
            return self._chart_views.of(
                record.number, version, trials, self.session.maximize, datetime.now(), pair
            )

    def trial(self, sprint: int, number: int) -> TrialDetail:
        record = next(s for s in self.session.sprints() if s.number == sprint)
        trials = self.session.trials(record)
        t = next(t for t in trials if t.number == number)
        handed_back = self.session.store.retried_numbers(record.study_name)
        state = "retried" if number in handed_back else t.state.name.lower()
        state = {"fail": "failed"}.get(state, state)
        attrs = dict(t.user_attrs)
        pruned = self._reasons(record, trials, {number}) if state == "pruned" else {}
        return TrialDetail(
            sprint=sprint,
            number=number,
            state=state,
            value=t.value,
            params=dict(t.params),
            fidelity=record.plan.fidelity.describe(),
            intermediate=tuple(sorted(t.intermediate_values.items())),
            user_attrs={k: v for k, v in attrs.items() if not k.startswith(PREFIX)},
            reason=attrs.get(FAIL_REASON),
            traceback=attrs.get(TRACEBACK),
            started=utc(t.datetime_start) if t.datetime_start else None,
            finished=utc(t.datetime_complete) if t.datetime_complete else None,
            worker=attrs.get(WORKER),
            retry_of=attrs.get(RETRY_OF),
            pruned=pruned.get(number),
        )

    def close(self) -> None:
        self.session.store.close()
