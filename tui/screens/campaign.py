"""The cross-sprint view (c): each gate's ranks, the best per fidelity, the spaces, polled."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Footer, Static

from engine import CrossSprint, GatePart
from tui import campaign_text
from tui.messages import CampaignLoaded, EngineFailed
from tui.screens.base import BaseScreen
from tui.widgets.campaign_charts import RankScatter


class CampaignScreen(BaseScreen):
    BINDINGS = [
        Binding("left_square_bracket", "gate(-1)", "Prev gate", key_display="["),
        Binding("right_square_bracket", "gate(1)", "Next gate", key_display="]"),
        Binding("r", "poll", "Refresh", show=False),
        Binding("escape,q", "back", "Back"),
    ]

    view: reactive[CrossSprint | None] = reactive(None, always_update=True)
    #: Which gate is shown, by the sprint it judged (None: follow the newest).
    gate_sprint: reactive[int | None] = reactive(None)

    def __init__(self) -> None:
        super().__init__()
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Static("reading the campaign…", id="campaign-title", markup=False)
        with VerticalScroll(id="campaign-body"):
            yield Static("", id="gate-text", markup=False)
            yield RankScatter(id="gate-chart")
            yield Static("", id="campaign-tables", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#campaign-body").focus()
        self.set_interval(self.tui.poll_seconds, self.action_poll)
        self.action_poll()

    # -- polling ---------------------------------------------------------------------------
    def action_poll(self) -> None:
        if not self._busy:
            self._busy = True
            self.load()

    @work(thread=True, group="campaign", exit_on_error=False)
    def load(self) -> None:
        source = self.tui.source  # a read that fails is said; the next tick tries again
        self.call_engine("reading the campaign", lambda: CampaignLoaded(source.campaign()), True)

    @on(CampaignLoaded)
    def _loaded(self, message: CampaignLoaded) -> None:
        self._busy = False
        self.view = message.view

    @on(EngineFailed)
    def _failed(self, message: EngineFailed) -> None:
        self._busy = False
        self.say_failed(message)

    def shown_gate(self) -> tuple[GatePart | None, int]:
        """The gate on screen and its place among the view's gates."""
        gates = self.view.gates if self.view is not None else ()
        if not gates:
            return None, 0
        numbers = [g.high_sprint for g in gates]
        at = numbers.index(self.gate_sprint) if self.gate_sprint in numbers else len(gates) - 1
        return gates[at], at

    def watch_view(self, view: CrossSprint | None) -> None:
        if view is None:
            return
        title = campaign_text.title(view, self.tui.source.name)
        self.query_one("#campaign-title", Static).update(title)
        self.query_one("#campaign-tables", Static).update(campaign_text.body(view))
        self._show_gate()
        self.refresh_bindings()

    def watch_gate_sprint(self) -> None:
        self._show_gate()

    def _show_gate(self) -> None:
        gate, at = self.shown_gate()
        count = len(self.view.gates) if self.view is not None else 0
        self.query_one("#gate-text", Static).update(campaign_text.gate_text(gate, at, count))
        self.query_one(RankScatter).gate = gate

    # -- keys ------------------------------------------------------------------------------
    def enabled(self, action: str) -> bool | None:
        if action == "gate":
            return self.view is not None and len(self.view.gates) > 1
        return True

    def action_gate(self, step: int) -> None:
        gate, at = self.shown_gate()
        if gate is None or self.view is None:
            return
        gates = self.view.gates
        to = max(0, min(len(gates) - 1, at + step))
        # The newest gate is followed as new ones come; an older one stays put.
        self.gate_sprint = None if to == len(gates) - 1 else gates[to].high_sprint

    def action_back(self) -> None:
        self.dismiss()
