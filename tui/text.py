"""Plain-text rendering of the read model for `status` and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine import mask_url

if TYPE_CHECKING:
    from engine import SessionSummary, SessionView


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_config(params: dict[str, Any] | None) -> str:
    if not params:
        return "-"
    return ", ".join(f"{k}={_fmt(v)}" for k, v in sorted(params.items()))


def format_status(view: SessionView) -> str:
    state = view.state + (" (stop requested)" if view.stop_requested else "")
    lines = [
        f"session {view.name}: {state}, {view.direction}, {view.workers_alive} worker(s) alive"
    ]
    trouble = view.storage_line  # first: it is what a person may have to act on
    if trouble:
        lines.append(trouble)
    # Fits 80 columns: the variable-width fidelity goes last.
    lines.append(
        f"{'#':>2} {'sprint':<10} {'state':<7} {'trials':>7} {'pruned':>6} "
        f"{'failed':>6} {'run':>3}  {'best':<10}  fidelity, sampler/pruner"
    )
    for s in view.sprints:
        c = s.counts
        done = sum(c.get(k, 0) for k in ("complete", "pruned", "failed"))
        best = "-" if s.best_value is None else _fmt(s.best_value)
        lines.append(
            f"{s.number:>2} {s.name[:10]:<10} {s.state:<7} {f'{done}/{s.budget}':>7} "
            f"{c.get('pruned', 0):>6} {c.get('failed', 0):>6} {c.get('running', 0):>3}  "
            f"{best:<10}  {s.fidelity}, {s.sampler}/{s.pruner}"
        )
    if view.best_value is not None:
        lines.append(
            f"best: {_fmt(view.best_value)} (sprint {view.best_sprint}) "
            f"{format_config(view.best_params)}"
        )
    retried = sum(1 for t in view.trials if t.state == "retried")
    if retried:
        why = "their workers died, stopped or lost the storage"
        lines.append(f"{retried} trial(s) re-queued: {why}")
    if view.proposal is not None:
        plan = view.proposal.plan
        lines.append(
            f"awaiting decision: next sprint {plan.name} at "
            f"{plan.fidelity.describe()}, {plan.budget} trials, "
            f"{len(view.proposal.carry_over)} carried over -> "
            f"sprintopt approve {view.name}"
        )
    return "\n".join(lines)


def format_sessions(sessions: list[SessionSummary]) -> str:
    """One line per session: name, state, sprint, trials, best value, storage."""
    if not sessions:
        return "no sessions found"
    lines = [f"{'session':<20} {'state':<9} {'sprint':<16} {'trials':>6}  {'best':<12} storage"]
    for s in sessions:
        best = "-" if s.best_value is None else _fmt(s.best_value)
        sprint = f"{s.sprint}/{s.planned} {s.sprint_name}"
        lines.append(
            f"{s.name:<20} {s.state:<9} {sprint:<16} {s.trials:>6}  {best:<12} {mask_url(s.url)}"
        )
    return "\n".join(lines)
