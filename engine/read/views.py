"""What the app shows, cheap to poll: a watch on one session that hands out frozen views.

A :class:`Watch` keeps one Optuna study per sprint, so Optuna's cache of finished trials is
reused between polls and only running and new trials are read again. It never writes: a watch
does not reap stale trials (workers and ``sprintopt run`` do) and takes no write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from engine.attrs import FAIL_REASON, PREFIX, RETRY_OF, TRACEBACK, WORKER
from engine.errors import NoSessionsError, SprintoptError
from engine.read.events import Event, session_events, utc
from engine.read.model import SessionView, SprintView, session_view
from engine.read.plots import ChartData, chart_data, live_importance
from engine.read.prunes import explain_prunes
from engine.read.reader import SessionReader
from engine.records import SprintRecord
from engine.settings import Settings
from engine.states import SprintState
from engine.store import Store, mask_url


class LiveSession(SessionReader):
    """A session whose trial reads go through one cached study per sprint."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._studies: dict[str, optuna.Study] = {}
        self._lock = threading.Lock()

    def cached_study(self, sprint: SprintRecord) -> optuna.Study:
        with self._lock:
            study = self._studies.get(sprint.study_name)
            if study is None:
                study = self._studies[sprint.study_name] = self.study(sprint)
            return study

    def trials(self, sprint: SprintRecord) -> list[FrozenTrial]:
        return self.cached_study(sprint).get_trials(deepcopy=False)


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


@dataclass(frozen=True)
class SessionSummary:
    name: str
    url: str
    state: str
    sprint: int
    planned: int
    sprint_name: str
    trials: int
    best_value: float | None


def _progress(view: SessionView, shown: SprintView | None) -> Progress:
    if shown is None:
        return Progress(None, 0, 0, 0, None, None)
    mine = [r for r in view.trials if r.sprint == shown.number]
    finished = [r for r in mine if r.state in ("complete", "pruned", "failed")]
    times = [r.wall_time for r in finished if r.wall_time is not None]
    per_trial = sum(times) / len(times) if times else None
    running = shown.counts.get("running", 0)
    left = max(0, shown.budget - len(finished))
    eta = None
    if per_trial is not None and view.workers_alive and shown.state == SprintState.RUNNING:
        eta = left * per_trial / view.workers_alive
    return Progress(shown, len(finished), running, shown.counts.get("waiting", 0), per_trial, eta)


class Watch:
    """Read-only views of one session, for a screen that polls."""

    def __init__(self, name: str, url: str) -> None:
        self.session = LiveSession.open_readonly(name, url)
        self._prunes: dict[tuple[str, int], str] = {}
        # (sprint, completed trials counted, the importance then): fANOVA takes a while, so it
        # is recomputed only when the completed trials grew by a tenth (or the sprint changed).
        self._importance: tuple[int, int, tuple[tuple[tuple[str, float], ...], str]] | None = None

    def _explain(
        self, sprint: SprintRecord, trials: Sequence[FrozenTrial], numbers: set[int]
    ) -> dict[int, str]:
        """Prune explanations, each worked out once: a finished trial's never changes."""
        study = sprint.study_name
        missing = {n for n in numbers if (study, n) not in self._prunes}
        if missing:
            found = explain_prunes(trials, sprint.plan, study, self.session.maximize, missing)
            self._prunes.update({(study, n): text for n, text in found.items()})
        return {n: self._prunes[(study, n)] for n in numbers if (study, n) in self._prunes}

    def dashboard(self, sprint: int | None = None) -> Dashboard:
        """The whole screen's data; ``sprint`` picks the shown sprint (default: the newest)."""
        view = session_view(self.session)
        records = {s.number: s for s in self.session.sprints()}
        shown = sprint if sprint in records else (max(records) if records else None)
        shown_view = next((s for s in view.sprints if s.number == shown), None)
        store, sid = self.session.store, self.session.record.id
        events = session_events(
            list(records.values()),
            self.session.trials,
            lambda s: store.retried_numbers(s.study_name),
            store.proposals(sid),
            store.decisions(sid),
            self._explain,
        )
        charts = None
        if shown is not None and records[shown].state != SprintState.SETUP:
            charts = self._charts(records[shown])
        return Dashboard(view, shown, _progress(view, shown_view), tuple(events), charts)

    def _charts(self, sprint: SprintRecord) -> ChartData:
        trials = self.session.trials(sprint)
        done = sum(t.state == TrialState.COMPLETE for t in trials)
        last = self._importance
        if last is None or last[0] != sprint.number or done >= max(last[1] + 1, 1.1 * last[1]):
            last = self._importance = (
                sprint.number,
                done,
                live_importance(trials, sprint.plan, self.session.spec),
            )
        return chart_data(sprint.number, trials, sprint.plan, self.session.maximize, last[2])

    def trial(self, sprint: int, number: int) -> TrialDetail:
        record = next(s for s in self.session.sprints() if s.number == sprint)
        t = next(t for t in self.session.trials(record) if t.number == number)
        handed_back = self.session.store.retried_numbers(record.study_name)
        state = "retried" if number in handed_back else t.state.name.lower()
        state = {"fail": "failed"}.get(state, state)
        attrs = dict(t.user_attrs)
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
        )

    def close(self) -> None:
        self.session.store.close()


def find_sessions(directory: Path | None = None, url: str | None = None) -> list[SessionSummary]:
    """The sessions in ``url``, or in every ``*.db`` under ``directory`` (default sessions/).

    Every store is opened read-only: listing never writes, creates or chmods anything. A ``url``
    that cannot be read (a server away, a damaged database) raises :class:`StoreError`; one
    without sprintopt tables just has no sessions. Under ``directory``, files that are not
    session databases are skipped.
    """
    if url is not None:
        urls = [url]
    else:
        base = directory or Settings().sessions_dir()
        urls = [f"sqlite:///{p.resolve()}" for p in sorted(base.glob("*.db"))]
    out: list[SessionSummary] = []
    for u in urls:
        try:
            store = Store(u, readonly=True)
        except NoSessionsError:
            continue
        except SprintoptError:  # under sessions/: not a session database, or unreadable
            if url is not None:
                raise
            continue
        try:
            out += [_summary(store, u, rec.name) for rec in store.sessions()]
        finally:
            store.close()
    return out


def _summary(store: Store, url: str, name: str) -> SessionSummary:
    rec = store.session(name)
    sprints = store.sprints(rec.id)
    trials, best = 0, None
    for s in reversed(sprints):
        if s.state == SprintState.SETUP:
            continue  # no study yet (a read-only store would not find Optuna's tables either)
        storage = store.optuna_storage()
        study_id = storage.get_study_id_from_name(s.study_name)
        trials += storage.get_n_trials(study_id)
        if best is None:
            try:
                best = storage.get_best_trial(study_id).value
            except ValueError:  # no completed trial in this sprint yet
                pass
    last = sprints[-1] if sprints else None
    return SessionSummary(
        name=name,
        url=url,
        state=rec.state,
        sprint=last.number if last else 0,
        planned=len(rec.spec.get("sprints", [])),
        sprint_name=last.plan.name if last else "-",
        trials=trials,
        best_value=best,
    )


def describe_url(url: str) -> str:
    return mask_url(url)
