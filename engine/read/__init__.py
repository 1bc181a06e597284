"""The read wing: what a screen, ``status`` or ``export`` shows of a session, computed from the
store without touching the runtime (no worker, runner or advisor's libraries are imported).

- :mod:`~engine.read.reader` — :class:`SessionReader`, a read-only handle on one session;
- :mod:`~engine.read.model` — the read model: one row per trial, one view per sprint and session;
- :mod:`~engine.read.progress` — the whole session's progress and the time it may still take;
- :mod:`~engine.read.views` — what the app polls (dashboard, trial detail);
- :mod:`~engine.read.sessions` — the list of sessions, each summed up;
- :mod:`~engine.read.review` — a proposal with the evidence and the effect of each edit;
- :mod:`~engine.read.events` — the event feed; :mod:`~engine.read.prunes` — why trials were pruned;
- :mod:`~engine.read.cross_sprint` — the sprints side by side: gates, best per fidelity, spaces;
- :mod:`~engine.read.plots` — chart data; :mod:`~engine.read.export` — CSV and JSON;
- :mod:`~engine.read.workers` — the workers that have not left, with their GPUs.
- :mod:`~engine.read.chart_views` — the full-screen charts' data.

Names load on first use, like the engine's front door.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine import lazy_names

if TYPE_CHECKING:
    from engine.read.chart_views import (
        ChartViews,
        ContourView,
        EdfView,
        HistoryView,
        ParallelView,
        SliceView,
        TimelineView,
    )
    from engine.read.cross_sprint import CrossSprint, read_cross_sprint
    from engine.read.events import Event, session_events
    from engine.read.export import ExportError, to_csv, to_json, write_export
    from engine.read.model import SessionView, SprintView, TrialRow, session_view, trial_rows
    from engine.read.plots import ChartData, Curve, chart_data, live_importance
    from engine.read.progress import SessionProgress, session_progress
    from engine.read.prunes import PruneReason, explain_prunes, prune_reasons
    from engine.read.reader import SessionReader
    from engine.read.review import EditEffect, ProposalView, proposal_view
    from engine.read.sessions import SessionSummary, find_sessions
    from engine.read.views import Dashboard, LiveSession, TrialDetail, Watch
    from engine.read.workers import WorkerRow, worker_rows

_WHERE: dict[str, tuple[str, ...]] = {
    "engine.read.reader": ("SessionReader",),
    "engine.read.model": ("SessionView", "SprintView", "TrialRow", "session_view", "trial_rows"),
    "engine.read.views": ("Dashboard", "LiveSession", "TrialDetail", "Watch"),
    "engine.read.sessions": ("SessionSummary", "find_sessions"),
    "engine.read.review": ("EditEffect", "ProposalView", "proposal_view"),
    "engine.read.chart_views": (
        "ChartViews",
        "ContourView",
        "EdfView",
        "HistoryView",
        "ParallelView",
        "SliceView",
        "TimelineView",
    ),
    "engine.read.events": ("Event", "session_events"),
    "engine.read.cross_sprint": ("CrossSprint", "read_cross_sprint"),
    "engine.read.progress": ("SessionProgress", "session_progress"),
    "engine.read.prunes": ("PruneReason", "explain_prunes", "prune_reasons"),
    "engine.read.plots": ("ChartData", "Curve", "chart_data", "live_importance"),
    "engine.read.export": ("ExportError", "to_csv", "to_json", "write_export"),
    "engine.read.workers": ("WorkerRow", "worker_rows"),
}
__all__ = [
    "ChartData",
    "ChartViews",
    "ContourView",
    "CrossSprint",
    "Curve",
    "Dashboard",
    "EdfView",
    "EditEffect",
    "Event",
    "ExportError",
    "HistoryView",
    "LiveSession",
    "ParallelView",
    "ProposalView",
    "PruneReason",
    "SessionProgress",
    "SessionReader",
    "SessionSummary",
    "SessionView",
    "SliceView",
    "SprintView",
    "TimelineView",
    "TrialDetail",
    "TrialRow",
    "Watch",
    "WorkerRow",
    "chart_data",
    "explain_prunes",
    "find_sessions",
    "live_importance",
    "proposal_view",
    "prune_reasons",
    "read_cross_sprint",
    "session_events",
    "session_progress",
    "session_view",
    "to_csv",
    "to_json",
    "trial_rows",
    "worker_rows",
    "write_export",
]

_MODULE, __getattr__, __dir__ = lazy_names(__name__, _WHERE, globals())
