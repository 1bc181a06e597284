"""The dashboard: header, trial table, event feed and charts of one session, polled live."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer, TabbedContent, TabPane

from engine import Dashboard
from tui.messages import DashboardLoaded, EngineFailed
from tui.screens.base import BaseScreen
from tui.widgets.charts import ChartsPane
from tui.widgets.event_feed import EventFeed
from tui.widgets.header import SessionHeader
from tui.widgets.prompt import PromptBar
from tui.widgets.trials_table import TrialsTable
from tui.widgets.workers_pane import WorkersPane

SPRINT = Binding.Group("Sprint", compact=True)


class Panes(TabbedContent):
    """Tabs that switch only on a key or a click.

    TabbedContent also follows focus: each focus change inside a pane queues a
    ``TabPane.Focused`` that makes that pane active when it is handled. With keys in a burst
    (``3 4 1`` read in one chunk over SSH) those messages arrive late and out of order, and they
    switched the panes about on their own, each switch focusing again (a minute of CPU at 80x24).
    The dashboard focuses a pane only after making it active, so following focus adds nothing.
    """

    def on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()  # not TabbedContent's handler


class DashboardScreen(BaseScreen):
    BINDINGS = [
        Binding("p", "review", "Proposal"),
        Binding("c", "campaign", "Campaign"),
        Binding("slash", "filter", "Filter"),
        # One footer entry, "[] Sprint": at 80 columns the footer has no room for two.
        Binding("left_square_bracket", "sprint(-1)", "Prev sprint", key_display="[", group=SPRINT),
        Binding("right_square_bracket", "sprint(1)", "Next sprint", key_display="]", group=SPRINT),
        Binding("1", "tab('trials')", "Trials", show=False),
        Binding("2", "tab('events')", "Events", show=False),
        Binding("3", "tab('charts')", "Charts", show=False),
        Binding("4", "tab('workers')", "Workers", show=False),
        Binding("v", "next_param", "Param", show=False),
        Binding("g", "charts", "Plots"),
        Binding("r", "poll", "Refresh", show=False),
        Binding("L", "sessions", "Sessions", show=False),
        # The panes' own keys, from any tab: they show their pane first.
        Binding("o", "columns", "Columns", show=False),
        Binding("e", "event_kind", "Event kind", show=False),
    ]

    dashboard: reactive[Dashboard | None] = reactive(None, always_update=True)
    param: reactive[str] = reactive("")

    def __init__(self) -> None:
        super().__init__()
        self.sprint: int | None = None  # None: follow the newest sprint
        self._busy = False
        self._waiting = False

    def compose(self) -> ComposeResult:
        yield SessionHeader(id="header").data_bind(DashboardScreen.dashboard)
        with Panes(initial="trials", id="tabs"):
            with TabPane("1 Trials", id="trials"):
                yield TrialsTable(id="trials-table")
            with TabPane("2 Events", id="events"):
                yield EventFeed(id="event-feed")
            with TabPane("3 Charts", id="charts"):
                yield ChartsPane(id="charts-pane").data_bind(param=DashboardScreen.param)
            with TabPane("4 Workers", id="workers"):
                yield WorkersPane(id="workers-pane")
        yield PromptBar(id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(PromptBar).close()
        self.query_one(TrialsTable).focus_table()
        self.set_interval(self.tui.poll_seconds, self.action_poll)
        self.action_poll()

    # -- polling ---------------------------------------------------------------------------
    def action_poll(self) -> None:
        if not self._busy:
            self._busy = True
            self.load(self.sprint)

    @work(thread=True, group="poll", exit_on_error=False)
    def load(self, sprint: int | None) -> None:
        # A poll that fails is reported and retried at the next tick.
        self.call_engine(
            "reading the session",
            lambda: DashboardLoaded(self.tui.source.dashboard(sprint)),
            poll=True,
        )

    @on(DashboardLoaded)
    def _loaded(self, message: DashboardLoaded) -> None:
        self._busy = False
        if self.sprint is not None and message.dashboard.shown != self.sprint:
            return  # a poll from before the operator picked another sprint
        self.dashboard = message.dashboard
        if message.dashboard.partial:
            self.action_poll()  # the events and charts, now rather than at the next tick

    @on(EngineFailed)
    def _failed(self, message: EngineFailed) -> None:
        self._busy = False
        self.say_failed(message)

    def watch_dashboard(self, d: Dashboard | None) -> None:
        if d is None:
            return
        table = self.query_one(TrialsTable)
        table.maximize = d.view.direction == "maximize"
        rows = tuple(r for r in d.view.trials if r.sprint == d.shown)
        table.params = tuple(dict.fromkeys(p for r in rows for p in r.params))
        table.rows = rows
        self.query_one(WorkersPane).listed = d.workers
        if not d.partial:  # a first partial poll has neither yet: the panes say they are read
            self.query_one(EventFeed).events = d.events
            self.query_one(ChartsPane).data = d.charts
        if d.charts and self.param not in d.charts.scatter:
            self.param = next(iter(d.charts.scatter), "")
        waiting = d.view.proposal is not None
        if waiting and not self._waiting:
            self.notify("A proposal waits for your decision: press p to review it.", timeout=10)
            self.app.bell()
        self._waiting = waiting
        self.refresh_bindings()

    # -- keys ------------------------------------------------------------------------------
    def enabled(self, action: str) -> bool | None:
        if action == "review":
            return self.dashboard is not None and self.dashboard.view.proposal is not None
        return True

    def action_review(self) -> None:
        self.tui.open_review()

    def action_filter(self) -> None:
        table = self.query_one(TrialsTable)
        self.action_tab("trials")
        self.query_one(PromptBar).ask(
            "filter", "filter /", table.filter_text, "state=pruned  x<0.3  relu  (Esc clears)"
        )

    @on(PromptBar.Changed)
    def _filter_changed(self, message: PromptBar.Changed) -> None:
        if message.purpose == "filter":
            self.query_one(TrialsTable).filter_text = message.value

    @on(PromptBar.Submitted)
    def _filter_done(self, message: PromptBar.Submitted) -> None:
        self.query_one(TrialsTable).filter_text = message.value

    @on(PromptBar.Cancelled)
    def _filter_cancelled(self, _message: PromptBar.Cancelled) -> None:
        self.query_one(TrialsTable).filter_text = ""

    def action_sprint(self, step: int) -> None:
        d = self.dashboard
        if d is None or d.shown is None or not d.view.sprints:
            return
        numbers = [s.number for s in d.view.sprints]
        # From the sprint last asked for, not the one last shown: in a burst ("]]") the poll
        # for the first step has not come back when the second arrives.
        here = self.sprint if self.sprint in numbers else d.shown
        at = max(0, min(len(numbers) - 1, numbers.index(here) + step))
        self.sprint = None if at == len(numbers) - 1 else numbers[at]
        self._busy = False
        self.action_poll()

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self._focus_pane(tab)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        # A tab clicked with the mouse: focus its pane. Only if it is still the active tab: keys
        # in a burst queue one message per switch, and a stale message's pane is hidden by now.
        tab = event.pane.id or "trials"
        if tab == event.tabbed_content.active:
            self._focus_pane(tab)

    def _focus_pane(self, tab: str) -> None:
        """Focus the pane's main widget, so its keys (s, arrows, Enter, v) act at once."""
        if self.prompt_open():
            return  # the prompt keeps the keys; closing it gives focus back
        panes = {"events": "#event-feed", "charts": "#chart-importance", "workers": "#workers-pane"}
        main = panes.get(tab, "#trials-data")
        self.set_focus(self.query_one(main))  # now, not after a refresh: the next key is for it

    def action_columns(self) -> None:
        self.action_tab("trials")
        self.query_one(TrialsTable).action_pick_columns()

    def action_event_kind(self) -> None:
        self.action_tab("events")
        self.query_one(EventFeed).action_next_kind()

    def action_next_param(self) -> None:
        d = self.dashboard
        names = list(d.charts.scatter) if d and d.charts else []
        if names:
            at = names.index(self.param) if self.param in names else -1
            self.param = names[(at + 1) % len(names)]

    def action_campaign(self) -> None:
        self.tui.open_campaign()

    def action_charts(self) -> None:
        shown = self.dashboard.shown if self.dashboard is not None else None
        self.tui.open_charts(self.sprint if self.sprint is not None else shown)

    def action_sessions(self) -> None:
        self.tui.open_sessions()

    @on(TrialsTable.Selected)
    def _open_trial(self, message: TrialsTable.Selected) -> None:
        self.tui.open_trial(message.sprint, message.number)

    @on(TrialsTable.PickColumns)
    def _pick_columns(self, m: TrialsTable.PickColumns) -> None:
        self.tui.pick_columns(m.columns, m.shown, m.notes, self.query_one(TrialsTable).picked)
