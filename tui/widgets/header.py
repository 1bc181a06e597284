"""The dashboard's header: session, sprint, fidelity, progress, pace, the whole session's
progress and time to go, the best at one fidelity, a waiting proposal."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from engine import Dashboard, SessionState
from tui import format as fmt
from tui.text import progress_parts

#: Cells of the session's progress bar.
BAR = 12


def _session_line(d: Dashboard) -> Text:
    whole = d.view.progress
    what, when = progress_parts(whole, d.view.state)
    return Text.assemble(
        ("overall ", "dim"),
        (fmt.bar(whole.fraction, BAR), "bold"),
        f" {whole.fraction:.0%} · ",
        " · ".join([*what, *([when] if when else [])]),
    )


def _lines(d: Dashboard) -> tuple[Text, Text, Text, Text]:
    view, p = d.view, d.progress
    s = p.sprint
    state = view.state + (", stop requested" if view.stop_requested else "")
    top = Text.assemble(("session ", "dim"), (view.name, "bold"), f" · {state}")
    if s is not None:
        total = max(view.progress.sprints, len(view.sprints))
        top.append(f" · sprint {s.number}/{total} ")
        top.append(s.name, "bold")
        top.append(f" [{s.fidelity}] {s.sampler}/{s.pruner}")
        newest = view.sprints[-1].number if view.sprints else s.number
        if s.number != newest:
            top.append(f" (newest: {newest})", "bold")
    c = s.counts if s else {}
    budget = s.budget if s else 0
    counts = ", ".join(f"{c.get(k, 0)} {k}" for k in ("complete", "pruned", "failed"))
    progress = Text.assemble(
        ("done ", "dim"), (f"{p.done}/{budget}", "bold"), f" ({counts}) · {p.running} running"
    )
    if p.waiting:
        progress.append(f", {p.waiting} queued")
    progress.append(f" · workers {view.workers_alive}")
    if view.workers_alive == 0 and view.state == SessionState.RUNNING:
        progress.append(" (none alive!)", "bold reverse")
    progress.append(f" · {fmt.duration(p.per_trial)}/trial")
    if p.eta is not None:
        progress.append(f" · ~{fmt.duration(p.eta)} left")
    return top, progress, _session_line(d), _best_line(d)


def _best_line(d: Dashboard) -> Text:
    """The best at one fidelity (the newest any trial completed at), and says which: a value
    is never set beside one measured at another fidelity."""
    view = d.view
    best = Text.assemble(("best", "dim"))
    if view.best_value is None:
        best.append(" - (no completed trial yet)")
        return best
    best.append(f" at {view.best_fidelity}: " if view.best_fidelity else " ", "dim")
    best.append(fmt.num(view.best_value, 6), "bold")
    best.append(f" (sprint {view.best_sprint}) {fmt.config(view.best_params)}")
    newest = view.sprints[-1].fidelity if view.sprints else None
    if view.best_fidelity and newest and newest != view.best_fidelity:
        best.append(f" · none yet at {newest}", "dim")
    return best


class SessionHeader(Vertical):
    """Shows a :class:`Dashboard`; the banner line appears while a proposal waits."""

    dashboard: reactive[Dashboard | None] = reactive(None, always_update=True)

    def compose(self) -> ComposeResult:
        yield Static("connecting…", id="header-lines", markup=False)
        yield Static("", id="storage-banner", markup=False)
        yield Static("", id="proposal-banner", markup=False)

    def on_mount(self) -> None:
        # The app's own trouble reaching the storage (SprintoptApp.storage_away).
        self.watch(self.app, "storage_away", lambda _line: self._show_storage())

    def _show_storage(self) -> None:
        d = self.dashboard
        away: str | None = self.app.storage_away  # type: ignore[attr-defined]
        line = away or (d.view.storage_line if d is not None else None)
        banner = self.query_one("#storage-banner", Static)
        banner.display = line is not None
        banner.update(f"⚠ {line}" if line else "")

    def watch_dashboard(self, d: Dashboard | None) -> None:
        self._show_storage()
        banner = self.query_one("#proposal-banner", Static)
        if d is None:
            banner.display = False
            return
        lines = _lines(d)
        self.query_one("#header-lines", Static).update(Text("\n").join(lines))
        proposal = d.view.proposal
        banner.display = proposal is not None
        if proposal is not None:
            banner.update(
                f"▶ PROPOSAL WAITING: sprint {proposal.after_sprint} closed and the advisor "
                f"proposes {proposal.plan.name}. Press p to review it."
            )
        elif d.view.state == SessionState.FINISHED:
            banner.display = True
            banner.update("■ SESSION FINISHED: every planned sprint has run.")
