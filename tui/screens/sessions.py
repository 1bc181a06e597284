"""The sessions found (under sessions/ or in a given storage), with status and best value;
below them, each database or session that cannot be opened, with why in one line."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from engine import SessionSummary
from tui import format as fmt
from tui.messages import EngineFailed, SessionsLoaded
from tui.screens.base import BaseScreen
from tui.widgets.plain import PlainTable

COLUMNS = ("session", "state", "sprint", "trials", "best", "storage")


class SessionsScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[SessionSummary] = []

    def compose(self) -> ComposeResult:
        yield Static("Sessions: Enter opens one", id="sessions-title", markup=False)
        yield PlainTable(cursor_type="row", id="sessions-data")
        yield Static("", id="sessions-unusable", markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for c in COLUMNS:
            table.add_column(c, key=c)
        table.focus()
        self.action_reload()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        self.call_engine("listing sessions", lambda: SessionsLoaded(self.tui.list_sessions()))

    @on(SessionsLoaded)
    def _loaded(self, message: SessionsLoaded) -> None:
        self.sessions = [s for s in message.sessions if s.problem is None]
        unusable = [s for s in message.sessions if s.problem is not None]
        table = self.query_one(DataTable)
        table.clear()
        for i, s in enumerate(self.sessions):
            table.add_row(
                s.name,
                s.state,
                f"{s.sprint}/{s.planned} {s.sprint_name}",
                Text(str(s.trials), justify="right"),
                Text(fmt.num(s.best_value, 6), justify="right"),
                fmt.where(s.url),
                key=str(i),
            )
        table.check_idle()
        where = self.tui.sessions_where
        found = f"{len(self.sessions)} session(s) in {where}"
        self.query_one("#sessions-title", Static).update(f"Sessions: {found}. Enter opens one.")
        notes = self.query_one("#sessions-unusable", Static)
        notes.display = bool(unusable)
        notes.update("\n".join(f"✗ unusable: {s.problem}" for s in unusable))

    @on(EngineFailed)
    def _failed(self, message: EngineFailed) -> None:
        self.say_failed(message)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        chosen = self.sessions[int(str(event.row_key.value))]
        self.tui.attach(chosen.name, chosen.url)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.dismiss()
