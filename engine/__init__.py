"""sprintopt's headless core: spec, space, store, sprints, samplers, advisor and workers.

The front door: what a front end (the terminal app, the command line, a script) needs, by
name: ``from engine import Session, session_view``. Names load on first use, so importing
``engine`` stays cheap and a reader never loads the runtime (workers, the advisor's libraries)
it does not touch. Modules inside the engine are free to move as long as these names stay.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"  # the package's version (pyproject reads it from here)

if TYPE_CHECKING:
    from engine.advisor.changes import space_changes
    from engine.decision import (
        DropChoice,
        Edit,
        Freeze,
        RestoreChoice,
        SetBounds,
        SetFidelity,
        SetMinResource,
        SetPruner,
        SetSampler,
        SetTrials,
        Unfreeze,
        apply_edits,
        number,
        parse_edits,
        whole,
    )
    from engine.edit_flags import EDIT_FLAGS
    from engine.errors import (
        DecisionError,
        SessionError,
        SprintoptError,
        StaleProposalError,
        StoreError,
    )
    from engine.faults import describe, is_storage_fault
    from engine.gpu import GpuSample, GpuUnavailable
    from engine.hosts import pid_alive
    from engine.limits import shown
    from engine.operations import enqueue_copy, fail_trial, requeue_trial
    from engine.optuna_internals import quiet_optuna
    from engine.outages import storage_summary, troubles
    from engine.plan_text import plan_diff, pruner_text
    from engine.processes import signal_workers, start_workers
    from engine.proposal import CarryCounts, Evidence, ParamChange, Proposal
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
    from engine.read.events import Event, EventKind
    from engine.read.export import to_csv, to_json, write_export
    from engine.read.model import SessionView, TrialRow, session_view, trial_rows
    from engine.read.plots import ChartData, Curve
    from engine.read.progress import SessionProgress
    from engine.read.prunes import PruneReason
    from engine.read.reader import SessionReader
    from engine.read.report import Campaign, GatePart, ProposalPart, SprintPart, campaign
    from engine.read.review import EditEffect, ProposalView, proposal_view
    from engine.read.sessions import SessionSummary, find_sessions
    from engine.read.views import Dashboard, LiveSession, TrialDetail, Watch
    from engine.read.workers import WorkerRow
    from engine.records import DecisionRecord, ProposalRecord, Standing
    from engine.session import Session
    from engine.settings import STORAGE_ENV, Settings
    from engine.space import CategoricalParam, Choice, Space, same_choice, show_value
    from engine.spec import (
        Spec,
        check_name,
        load_spec,
        parse_spec,
        read_spec_text,
        resolve_objective,
    )
    from engine.sprint import SprintPlan
    from engine.states import Action, ProposalStatus, SessionState, SprintState
    from engine.storage_url import mask_url
    from engine.worker import WorkerOptions, run_worker

#: Where each public name lives (the module is imported when the name is first used).
_WHERE: dict[str, tuple[str, ...]] = {
    "engine.errors": (
        "DecisionError",
        "SessionError",
        "SprintoptError",
        "StaleProposalError",
        "StoreError",
    ),
    "engine.spec": (
        "Spec",
        "check_name",
        "load_spec",
        "parse_spec",
        "read_spec_text",
        "resolve_objective",
    ),
    "engine.space": ("CategoricalParam", "Choice", "Space", "same_choice", "show_value"),
    "engine.sprint": ("SprintPlan",),
    "engine.states": ("Action", "ProposalStatus", "SessionState", "SprintState"),
    "engine.session": ("Session",),
    "engine.records": ("DecisionRecord", "ProposalRecord", "Standing"),
    "engine.proposal": ("CarryCounts", "Evidence", "ParamChange", "Proposal"),
    "engine.advisor.changes": ("space_changes",),
    "engine.plan_text": ("plan_diff", "pruner_text"),
    "engine.decision": (
        "DropChoice",
        "Edit",
        "Freeze",
        "RestoreChoice",
        "SetBounds",
        "SetFidelity",
        "SetMinResource",
        "SetPruner",
        "SetSampler",
        "SetTrials",
        "Unfreeze",
        "apply_edits",
        "parse_edits",
        "number",
        "whole",
    ),
    "engine.edit_flags": ("EDIT_FLAGS",),
    "engine.operations": ("enqueue_copy", "fail_trial", "requeue_trial"),
    "engine.read.progress": ("SessionProgress",),
    "engine.read.prunes": ("PruneReason",),
    "engine.read.reader": ("SessionReader",),
    "engine.read.report": ("Campaign", "GatePart", "ProposalPart", "SprintPart", "campaign"),
    "engine.read.model": ("SessionView", "TrialRow", "session_view", "trial_rows"),
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
    "engine.read.cross_sprint": ("CrossSprint", "read_cross_sprint"),
    "engine.read.events": ("Event", "EventKind"),
    "engine.read.plots": ("ChartData", "Curve"),
    "engine.read.export": ("to_csv", "to_json", "write_export"),
    "engine.read.workers": ("WorkerRow",),
    "engine.gpu": ("GpuSample", "GpuUnavailable"),
    "engine.storage_url": ("mask_url",),
    "engine.faults": ("describe", "is_storage_fault"),
    "engine.outages": ("storage_summary", "troubles"),
    "engine.settings": ("STORAGE_ENV", "Settings"),
    "engine.limits": ("shown",),
    "engine.hosts": ("pid_alive",),
    "engine.processes": ("signal_workers", "start_workers"),
    "engine.worker": ("WorkerOptions", "run_worker"),
    "engine.optuna_internals": ("quiet_optuna",),
}
__all__ = [
    "Action",
    "Campaign",
    "CarryCounts",
    "CategoricalParam",
    "ChartData",
    "ChartViews",
    "Choice",
    "ContourView",
    "CrossSprint",
    "Curve",
    "Dashboard",
    "DecisionError",
    "DecisionRecord",
    "DropChoice",
    "EDIT_FLAGS",
    "EdfView",
    "Edit",
    "EditEffect",
    "Event",
    "EventKind",
    "Evidence",
    "Freeze",
    "GatePart",
    "GpuSample",
    "GpuUnavailable",
    "HistoryView",
    "LiveSession",
    "ParallelView",
    "ParamChange",
    "Proposal",
    "ProposalPart",
    "ProposalRecord",
    "ProposalStatus",
    "ProposalView",
    "PruneReason",
    "RestoreChoice",
    "STORAGE_ENV",
    "Session",
    "SessionError",
    "SessionProgress",
    "SessionReader",
    "SessionState",
    "SessionSummary",
    "SessionView",
    "SetBounds",
    "SetFidelity",
    "SetMinResource",
    "SetPruner",
    "SetSampler",
    "SetTrials",
    "Settings",
    "SliceView",
    "Space",
    "Spec",
    "SprintPart",
    "SprintPlan",
    "SprintState",
    "SprintoptError",
    "StaleProposalError",
    "Standing",
    "StoreError",
    "TimelineView",
    "TrialDetail",
    "TrialRow",
    "Unfreeze",
    "Watch",
    "WorkerOptions",
    "WorkerRow",
    "apply_edits",
    "campaign",
    "check_name",
    "describe",
    "enqueue_copy",
    "fail_trial",
    "find_sessions",
    "is_storage_fault",
    "load_spec",
    "mask_url",
    "number",
    "parse_edits",
    "parse_spec",
    "pid_alive",
    "plan_diff",
    "proposal_view",
    "pruner_text",
    "quiet_optuna",
    "read_cross_sprint",
    "read_spec_text",
    "requeue_trial",
    "resolve_objective",
    "run_worker",
    "same_choice",
    "session_view",
    "show_value",
    "shown",
    "signal_workers",
    "space_changes",
    "start_workers",
    "storage_summary",
    "to_csv",
    "to_json",
    "trial_rows",
    "troubles",
    "whole",
    "write_export",
]


def lazy_names(
    package: str, where: Mapping[str, tuple[str, ...]], namespace: dict[str, Any]
) -> tuple[dict[str, str], Callable[[str], Any], Callable[[], list[str]]]:
    """For ``package``'s ``__init__``: the name → module table, and its module ``__getattr__``
    and ``__dir__``. ``where`` maps each module to the public names it defines; a looked-up
    name is stored in ``namespace`` (the package's globals) and is an ordinary attribute after.
    """
    modules = {name: module for module, names in where.items() for name in names}

    def getattr_(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *modules})

    return modules, getattr_, dir_


_MODULE, __getattr__, __dir__ = lazy_names(__name__, _WHERE, globals())
