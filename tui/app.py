"""The terminal app: one factory builds it for the command line and for the tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from engine import SessionSummary, find_sessions
from tui.format import where
from tui.messages import DashboardLoaded
from tui.screens.campaign import CampaignScreen
from tui.screens.chart import ChartScreen
from tui.screens.columns import ColumnsScreen
from tui.screens.confirm import ConfirmScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.proposal import ProposalScreen
from tui.screens.sessions import SessionsScreen
from tui.screens.trial import TrialScreen
from tui.source import EngineSource, Source

if TYPE_CHECKING:
    from tui.host import Host

POLL_SECONDS = 2.0


class SprintoptApp(App[None]):
    """Shows one session (the dashboard) or the sessions found; quitting stops no worker.

    The app alone builds screens: a screen asks for another through the app's ``open_*``
    methods and :meth:`confirm` (its :class:`~tui.host.Host`), so no screen imports another.
    Textual's named screens (``SCREENS``, ``install_screen``) are not used: an installed
    screen is built once and kept when popped, and each opening here must start afresh (a
    review with no old draft, a trial read anew).
    """

    CSS_PATH = "styles/app.tcss"
    TITLE = "sprintopt"
    COMMAND_PALETTE_DISPLAY = "Commands"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-normal"), (120, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "exit", "Quit", show=False, priority=True),
    ]
    #: When the key being handled was read (Textual's event clock); None between keys.
    last_key_at: float | None = None
    #: While the app's own engine calls cannot reach the storage: what to say, for the header.
    storage_away: reactive[str | None] = reactive(None)
    #: Whether the session shown has a proposal waiting (the dashboard's last poll said so).
    decision_waits: reactive[bool] = reactive(False)
    #: What the terminal's window (or tab) title says: the session, and whether a decision waits.
    terminal_title: reactive[str] = reactive("")

    @dataclass
    class Attached(Message):
        source: Source

    @dataclass
    class AttachFailed(Message):
        text: str

    def __init__(
        self,
        source: Source | None,
        list_sessions: Callable[[], list[SessionSummary]],
        open_source: Callable[[str, str], Source],
        sessions_where: str,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        super().__init__()
        self._source = source
        self.list_sessions = list_sessions
        self.open_source = open_source
        self.sessions_where = sessions_where
        self.poll_seconds = poll_seconds

    @property
    def source(self) -> Source:
        """The session shown; only a session's screens ask, and those exist only with one."""
        if self._source is None:
            raise RuntimeError("no session is open")
        return self._source

    def storage_failed(self, reason: str) -> None:
        """An engine call met the storage away: said once, then kept in the header."""
        if self.storage_away is None:
            self.storage_away = (
                f"the app cannot read the storage since {time.strftime('%H:%M:%S')} "
                f"({reason}); it keeps trying"
            )
            self.notify(f"the storage is unreachable: {reason}", severity="error", timeout=6)

    def storage_answered(self) -> None:
        if self.storage_away is not None:
            self.storage_away = None

    def on_mount(self) -> None:
        # Keep the terminal's own title, to give it back when the app leaves (XTWINOPS push).
        self._write_to_terminal("\x1b[22;0t")
        self._update_title()
        if self._source is not None:
            self.sub_title = self._source.name
            self.push_screen(DashboardScreen())
        else:
            self.push_screen(SessionsScreen())

    # -- the terminal's title: an operator who looks away sees that a decision waits ----------
    @on(DashboardLoaded)
    def _polled(self, message: DashboardLoaded) -> None:
        # The dashboard's poll bubbles up here after the screen took it.
        self.decision_waits = message.dashboard.view.proposal is not None

    def watch_decision_waits(self) -> None:
        self._update_title()

    def _update_title(self) -> None:
        name = self._source.name if self._source is not None else None
        title = "sprintopt" if name is None else f"sprintopt {name}"
        self.terminal_title = f"{title} — decision waits" if self.decision_waits else title

    def watch_terminal_title(self, title: str) -> None:
        # Textual's App.title is the header's; the terminal's title is set with OSC 0, written
        # through the driver as Textual writes its own escapes (the pointer shape, OSC 22).
        printable = "".join(c for c in title if c.isprintable())
        self._write_to_terminal(f"\x1b]0;{printable}\x07")

    def _write_to_terminal(self, sequence: str) -> None:
        driver = self._driver
        if driver is not None and not driver.is_web:
            driver.write(sequence)

    # -- the screens, by name (see Host) -----------------------------------------------------
    def open_review(self) -> None:
        self.push_screen(ProposalScreen())

    def open_trial(self, sprint: int, number: int) -> None:
        self.push_screen(TrialScreen(sprint, number))

    def open_campaign(self) -> None:
        self.push_screen(CampaignScreen())

    def open_sessions(self) -> None:
        self.push_screen(SessionsScreen())

    def open_charts(self, sprint: int | None) -> None:
        self.push_screen(ChartScreen(sprint))

    def confirm(self, question: str, then: Callable[[], object]) -> None:
        # Textual runs ``answered`` on the screen that asked (the one handling the key).
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(ConfirmScreen(question), answered)

    def pick_columns(
        self,
        columns: Sequence[str],
        shown: Set[str],
        notes: Mapping[str, str],
        then: Callable[[frozenset[str] | None], None],
    ) -> None:
        self.push_screen(ColumnsScreen(columns, shown, notes), then)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("quit", "help"):  # not while a prompt takes the keys (see BaseScreen)
            if not self.screen_stack:  # closing: nothing left to act on
                return action == "quit"
            prompt_open = getattr(self.screen, "prompt_open", None)
            return not (prompt_open and prompt_open())
        return True

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key):
            await super().on_event(event)
            return
        # When the key being handled was read: ConfirmScreen ignores keys typed before it.
        self.last_key_at = event.time
        try:
            await super().on_event(event)
        finally:
            self.last_key_at = None

    def on_key(self, event: events.Key) -> None:
        # A printable key only gets here if no widget took it. With a prompt focused it was
        # typed before the prompt had focus (typeahead over SSH): it belongs in the prompt.
        if not self.screen_stack:  # a key still queued as the app closes: no screen to take it
            return
        field = self.focused
        if isinstance(field, Input) and field.parent is not None and field.parent.display:
            if event.is_printable and event.character:
                field.insert_text_at_cursor(event.character)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        # Always plain: what the app says comes from the engine, the spec or the operator,
        # and a "[" in a parameter's choice or a note must show as typed, not crash the app.
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # The net under every screen's thread workers: an error none of them turned into a
        # message is still shown, and the app goes on.
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{event.worker.name or 'a background task'} failed: "
                f"{type(error).__name__}: {error}",
                severity="error",
                timeout=10,
            )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): the screen's own keys first, by what they do."""
        seen: set[str] = set()
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if active.node not in (screen, self):  # a focused widget's keys (table scrolling)
                continue
            if not active.enabled or not binding.description or binding.action in seen:
                continue
            if binding.action in ("command_palette", "exit"):
                continue
            seen.add(binding.action)
            shown = binding.key_display or key
            yield SystemCommand(
                f"{binding.description} ({shown})",
                f"key: {shown}",
                _runner(active.node, binding.action),
            )
        yield from super().get_system_commands(screen)

    def action_exit(self) -> None:
        self.exit()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # -- switching sessions ------------------------------------------------------------------
    def attach(self, name: str, url: str) -> None:
        """Open another session (from the sessions screen) and show its dashboard."""
        self._open(name, url)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _open(self, name: str, url: str) -> None:
        try:
            self.post_message(self.Attached(self.open_source(name, url)))
        except Exception as exc:  # the operator picks another session or retries
            self.post_message(self.AttachFailed(f"cannot open {name}: {exc}"))

    @on(Attached)
    def _attached(self, message: Attached) -> None:
        old, self._source = self._source, message.source
        if old is not None:
            old.close()
        self.sub_title = message.source.name
        self.decision_waits = False  # until the new session's first poll says
        self._update_title()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(DashboardScreen())

    @on(AttachFailed)
    def _attach_failed(self, message: AttachFailed) -> None:
        self.notify(message.text, severity="error", timeout=8)

    def on_unmount(self) -> None:
        self._write_to_terminal("\x1b[23;0t")  # the terminal's own title back (XTWINOPS pop)
        if self._source is not None:
            self._source.close()


if TYPE_CHECKING:

    def _hosts(app: SprintoptApp) -> Host:
        return app  # mypy holds the app to what its screens ask of it


def _runner(node: object, action: str) -> Callable[[], object]:
    return lambda: node.run_action(action)  # type: ignore[attr-defined]


def create_app(
    session: str | None = None,
    url: str | None = None,
    *,
    sessions_dir: Path | None = None,
    source: Source | None = None,
    poll_seconds: float = POLL_SECONDS,
) -> SprintoptApp:
    """The app on ``session`` in ``url`` (its dashboard), or on the sessions list.

    Without a session it lists the sessions in ``url``, or in every database under
    ``sessions_dir`` (default ``./sessions``). Tests pass a ``source`` of their own.
    """
    if source is None and session is not None:
        if url is None:
            raise ValueError("a session needs its storage url")
        source = EngineSource(session, url)
    listed = where(url) if url else str(sessions_dir or Path("sessions"))
    return SprintoptApp(
        source,
        lambda: find_sessions(sessions_dir, url),
        EngineSource,
        listed,
        poll_seconds,
    )


def run_app(session: str | None, url: str | None, sessions_dir: Path | None = None) -> int:
    """Run the app in this terminal; the session's workers go on after it quits."""
    app = create_app(session, url, sessions_dir=sessions_dir)
    app.run()
    if app.return_code:  # the app stopped on an error (Textual printed it): not a quit
        print("the app stopped on an error; the session and its workers are as they were")
        return app.return_code
    if session is not None:
        print(
            f"left the app; the workers of {session} keep running "
            f"(sprintopt attach {session} to come back, sprintopt stop {session} to stop them)"
        )
    return 0
