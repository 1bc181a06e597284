"""Plain-text rendering of the read model for `status` and the demo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine import SessionState, mask_url
from tui import format as fmt

if TYPE_CHECKING:
    from engine import SessionProgress, SessionSummary, SessionView


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def format_config(params: dict[str, Any] | None) -> str:
    if not params:
        return "-"
    return ", ".join(f"{k}={_fmt(v)}" for k, v in sorted(params.items()))


def progress_parts(p: SessionProgress, state: SessionState) -> tuple[list[str], str | None]:
    """The whole session's progress in words: what is done and left, and the time to go (None
    once finished). The bar is drawn by whoever shows them."""
    what = [f"sprint {p.sprint or '-'}/{p.sprints}", f"{p.done}/{p.done + p.left} trials done"]
    if state == SessionState.FINISHED:
        return [*what, "finished"], None
    what[-1] += f", {p.left} left"
    if p.unknown is not None:
        return what, f"time left unknown ({p.unknown})"
    if state == SessionState.AWAITING:
        then = f"then {fmt.estimate(p.to_end)} to the end" if p.left else "then the end"
        return what, f"a proposal waits, {then}"
    end = f"end {fmt.estimate(p.to_end)}"
    if p.sprint < p.sprints:
        return what, f"next proposal {fmt.estimate(p.to_proposal)}, {end}"
    return what, end


def format_status(view: SessionView) -> str:
    state = view.state + (" (stop requested)" if view.stop_requested else "")
    lines = [
        f"session {view.name}: {state}, {view.direction}, {view.workers_alive} worker(s) alive"
    ]
    trouble = view.storage_line  # first: it is what a person may have to act on
    if trouble:
        lines.append(trouble)
    p = view.progress
    what, when = progress_parts(p, view.state)
    bar = fmt.bar(p.fraction, 20, "#", "-")  # ASCII: status output lands in logs and mail
    lines.append(f"progress [{bar}] {p.fraction:.0%}: {', '.join(what)}")
    if when is not None:
        lines.append(f"estimate: {when}")
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
            f"best{_at(view.best_fidelity)}: {_fmt(view.best_value)} (sprint {view.best_sprint}) "
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
    """One line per session: name, state, sprint, trials, best value, storage; then one line
    per database or session that cannot be listed, saying why."""
    found = [s for s in sessions if s.problem is None]
    unusable = [s for s in sessions if s.problem is not None]
    lines = [] if found else ["no sessions found"]
    if found:
        lines.append(
            f"{'session':<20} {'state':<9} {'sprint':<16} {'trials':>6}  {'best':<12} storage"
        )
    for s in found:
        best = "-" if s.best_value is None else _fmt(s.best_value)
        sprint = f"{s.sprint}/{s.planned} {s.sprint_name}"
        lines.append(
            f"{s.name:<20} {s.state:<9} {sprint:<16} {s.trials:>6}  {best:<12} {mask_url(s.url)}"
        )
    if unusable:
        lines.append("")
        lines += [f"unusable: {s.problem}" for s in unusable]
    return "\n".join(lines)


def _at(fidelity: str | None) -> str:
    """`` at epochs=9``: the session's best is the best at one fidelity, never across two."""
    return f" at {fidelity}" if fidelity else ""
