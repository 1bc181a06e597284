"""sprintopt's headless core: spec, space, store, sprints, samplers, advisor and workers.

The front door: what a front end (the terminal app, the command line, a script) needs, by
name: ``from engine import Session, session_view``. Names load on first use, so importing
``engine`` stays cheap and a reader never loads the runtime (workers, the advisor's libraries)
it does not touch. Modules inside the engine are free to move as long as these names stay.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from engine.decision import (
        EDIT_FLAGS,
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
    from engine.errors import (
        DecisionError,
        SessionError,
        SprintoptError,
        StaleProposalError,
        StoreError,
    )
    from engine.events import Event
    from engine.export import to_csv, to_json, write_export
    from engine.faults import describe, is_storage_fault
    from engine.hosts import pid_alive
    from engine.limits import shown
    from engine.operations import enqueue_copy, fail_trial, requeue_trial
    from engine.optuna_internals import quiet_optuna
    from engine.outages import storage_summary, troubles
    from engine.places import default_storage, log_dir
    from engine.plots import ChartData, Curve
    from engine.processes import signal_workers, start_workers
    from engine.proposal import Evidence, Proposal
    from engine.proposal_text import plan_diff, pruner_text, render_proposal
    from engine.readmodel import SessionView, TrialRow, session_view, trial_rows
    from engine.records import DecisionRecord, ProposalRecord, Standing
    from engine.review import EditEffect, ProposalView, proposal_view
    from engine.session import Session
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
    from engine.storage_url import mask_url
    from engine.views import Dashboard, SessionSummary, TrialDetail, Watch, find_sessions
    from engine.worker import STORAGE_ENV, WorkerOptions, run_worker

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
    "engine.session": ("Session",),
    "engine.records": ("DecisionRecord", "ProposalRecord", "Standing"),
    "engine.proposal": ("Evidence", "Proposal"),
    "engine.decision": (
        "DropChoice",
        "EDIT_FLAGS",
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
    "engine.operations": ("enqueue_copy", "fail_trial", "requeue_trial"),
    "engine.readmodel": ("SessionView", "TrialRow", "session_view", "trial_rows"),
    "engine.views": ("Dashboard", "SessionSummary", "TrialDetail", "Watch", "find_sessions"),
    "engine.review": ("EditEffect", "ProposalView", "proposal_view"),
    "engine.proposal_text": ("plan_diff", "pruner_text", "render_proposal"),
    "engine.events": ("Event",),
    "engine.plots": ("ChartData", "Curve"),
    "engine.export": ("to_csv", "to_json", "write_export"),
    "engine.storage_url": ("mask_url",),
    "engine.faults": ("describe", "is_storage_fault"),
    "engine.outages": ("storage_summary", "troubles"),
    "engine.places": ("default_storage", "log_dir"),
    "engine.limits": ("shown",),
    "engine.hosts": ("pid_alive",),
    "engine.processes": ("signal_workers", "start_workers"),
    "engine.worker": ("STORAGE_ENV", "WorkerOptions", "run_worker"),
    "engine.optuna_internals": ("quiet_optuna",),
}
_MODULE = {name: module for module, names in _WHERE.items() for name in names}
__all__ = [
    "CategoricalParam",
    "ChartData",
    "Choice",
    "Curve",
    "Dashboard",
    "DecisionError",
    "DecisionRecord",
    "DropChoice",
    "EDIT_FLAGS",
    "Edit",
    "EditEffect",
    "Event",
    "Evidence",
    "Freeze",
    "Proposal",
    "ProposalRecord",
    "ProposalView",
    "RestoreChoice",
    "STORAGE_ENV",
    "Session",
    "SessionError",
    "SessionSummary",
    "SessionView",
    "SetBounds",
    "SetFidelity",
    "SetMinResource",
    "SetPruner",
    "SetSampler",
    "SetTrials",
    "Space",
    "Spec",
    "SprintPlan",
    "SprintoptError",
    "StaleProposalError",
    "Standing",
    "StoreError",
    "TrialDetail",
    "TrialRow",
    "Unfreeze",
    "Watch",
    "WorkerOptions",
    "apply_edits",
    "check_name",
    "default_storage",
    "describe",
    "enqueue_copy",
    "fail_trial",
    "find_sessions",
    "is_storage_fault",
    "load_spec",
    "log_dir",
    "mask_url",
    "number",
    "parse_edits",
    "parse_spec",
    "pid_alive",
    "plan_diff",
    "proposal_view",
    "pruner_text",
    "quiet_optuna",
    "read_spec_text",
    "render_proposal",
    "requeue_trial",
    "resolve_objective",
    "run_worker",
    "same_choice",
    "session_view",
    "show_value",
    "shown",
    "signal_workers",
    "start_workers",
    "storage_summary",
    "to_csv",
    "to_json",
    "trial_rows",
    "troubles",
    "whole",
    "write_export",
]


def __getattr__(name: str) -> Any:
    module = _MODULE.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once looked up, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
