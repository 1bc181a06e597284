"""One chart of a sprint full screen (history, slice, parallel, contour, EDF, timeline), by key."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer, Static

from engine import ChartViews
from tui.messages import ChartsLoaded, EngineFailed
from tui.screens.base import BaseScreen
from tui.widgets.charts import KINDS, ViewChart

#: The charts whose value axis ``l`` turns between log and linear.
LOG_KINDS = ("history", "slice", "edf")


class ChartScreen(BaseScreen):
    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("tab,right", "step(1)", "Next chart", key_display="→"),
        Binding("shift+tab,left", "step(-1)", "Prev", key_display="←"),
        *(
            Binding(str(i + 1), f"show('{kind}')", title, show=False)
            for i, (kind, title) in enumerate(KINDS)
        ),
        Binding("v", "next_param", "Param"),
        Binding("x", "pick(0)", "Contour x"),
        Binding("y", "pick(1)", "Contour y"),
        Binding("l", "toggle_log", "Log"),
    ]

    views: reactive[ChartViews | None] = reactive(None, always_update=True)
    kind: reactive[str] = reactive("history")
    param: reactive[str] = reactive("")
    #: The operator's choice of axis for the chart shown (None: as the data says).
    log_scale: reactive[bool | None] = reactive(None)

    def __init__(self, sprint: int | None) -> None:
        super().__init__()
        self.sprint = sprint
        self.pair: tuple[str, str] | None = None  # the contour's (x, y); None: the first two
        self._busy = False
        self._read = False  # a poll came back (with no sprint to show, views stays None)

    def compose(self) -> ComposeResult:
        yield Static("", id="chart-tabs", markup=False)
        yield ViewChart(id="chart-view").data_bind(
            views=ChartScreen.views,
            kind=ChartScreen.kind,
            param=ChartScreen.param,
            log_scale=ChartScreen.log_scale,
        )
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        super().on_mount()
        self._say_tabs()
        self.set_interval(self.tui.poll_seconds, self.action_poll)
        self.action_poll()

    # -- polling ---------------------------------------------------------------------------
    def action_poll(self) -> None:
        if not self._busy:
            self._busy = True
            self.load(self.sprint, self.pair)

    @work(thread=True, group="charts", exit_on_error=False)
    def load(self, sprint: int | None, pair: tuple[str, str] | None) -> None:
        source = self.tui.source
        self.call_engine(
            "reading the charts", lambda: ChartsLoaded(source.chart_views(sprint, pair)), poll=True
        )

    @on(ChartsLoaded)
    def _loaded(self, message: ChartsLoaded) -> None:
        self._busy = False
        self._read = True
        v = message.views
        asked = self.pair
        if v is not None and v.contour is not None and asked and set(asked) <= set(v.params):
            if (v.contour.x.name, v.contour.y.name) != asked:
                return  # a poll from before the operator picked another pair
        if v is not None and self.param not in v.params:
            self.param = v.params[0] if v.params else ""
        self.views = v

    @on(EngineFailed)
    def _failed(self, message: EngineFailed) -> None:
        self._busy = False
        self.say_failed(message)

    def watch_kind(self) -> None:
        self._say_tabs()

    def watch_views(self) -> None:
        self._say_tabs()

    def _say_tabs(self) -> None:
        """The charts by number, the one shown in brackets, and the sprint they show."""
        if not self.is_mounted:
            return
        tabs = "  ".join(
            f"[{i + 1} {title}]" if kind == self.kind else f"{i + 1} {title}"
            for i, (kind, title) in enumerate(KINDS)
        )
        v = self.views
        where = f"sprint {v.sprint}" if v else "no sprint ran yet" if self._read else "loading…"
        self.query_one("#chart-tabs", Static).update(f"{tabs}   {where}")

    # -- keys ------------------------------------------------------------------------------
    def enabled(self, action: str) -> bool | None:
        if action == "next_param":
            return self.kind == "slice"
        if action == "pick":
            return self.kind == "contour"
        if action == "toggle_log":
            return self.kind in LOG_KINDS
        return True

    def watch_log_scale(self) -> None:
        self.refresh_bindings()

    def action_back(self) -> None:
        self.dismiss()

    def action_step(self, step: int) -> None:
        kinds = [k for k, _ in KINDS]
        self.action_show(kinds[(kinds.index(self.kind) + step) % len(kinds)])

    def action_show(self, kind: str) -> None:
        self.log_scale = None  # each chart starts on the axis its data asks for
        self.kind = kind
        self.refresh_bindings()

    def action_next_param(self) -> None:
        names = list(self.views.params) if self.views else []
        if names:
            at = names.index(self.param) if self.param in names else -1
            self.param = names[(at + 1) % len(names)]

    def action_pick(self, which: int) -> None:
        """The contour's x (0) or y (1) moves to the next parameter, skipping the other one."""
        v = self.views
        if v is None or v.contour is None:
            return
        names = list(v.params)
        pair = [v.contour.x.name, v.contour.y.name]
        at = names.index(pair[which])
        for k in range(1, len(names)):
            candidate = names[(at + k) % len(names)]
            if candidate != pair[1 - which]:
                pair[which] = candidate
                break
        self.pair = (pair[0], pair[1])
        self._busy = False  # the contour for the new pair is asked for now, not at the next tick
        self.action_poll()

    def action_toggle_log(self) -> None:
        v = self.views
        if v is None:
            return
        if self.log_scale is None:  # from the data's own choice to the other one
            default = {
                "history": v.history.log_y,
                "edf": v.edf.log_x,
                "slice": next((s.log_y for s in v.slices if s.param == self.param), False),
            }.get(self.kind, False)
            self.log_scale = not default
        else:
            self.log_scale = not self.log_scale
