"""What every screen shares: its source, one way to call the engine from a thread worker, and
the notice shown when the terminal is smaller than 80×24."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from textual import events
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from engine import SprintoptError, describe, is_storage_fault
from tui.host import Host
from tui.messages import EngineFailed
from tui.widgets.prompt import PromptBar

MIN_WIDTH, MIN_HEIGHT = 80, 24


class TooSmall(Static):
    """Covers the screen (its CSS shows it) while the terminal is below the minimum size."""

    def __init__(self) -> None:
        super().__init__(markup=False)

    def on_mount(self) -> None:
        self.say()

    def say(self) -> None:
        w, h = self.app.size
        self.update(
            f"This terminal is {w}×{h}: sprintopt needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n"
            "Enlarge the window. Keys still work: q quits, ? shows help."
        )


class BaseScreen(Screen):
    """A screen of this app: knows its source and says when the terminal is too small."""

    @property
    def tui(self) -> Host:
        """The app, as far as a screen may know it (see :mod:`tui.host`)."""
        return cast(Host, self.app)

    def on_mount(self) -> None:
        self.mount(TooSmall())

    def call_engine(self, what: str, call: Callable[[], Message], poll: bool = False) -> None:
        """From a thread worker: post ``call()``'s message, or :class:`EngineFailed` saying
        what failed. Nothing is swallowed: a refusal is said as the engine words it, and any
        other error with its type, so the operator always learns that ``what`` did not work.

        The storage being away is the app's to say, once, in the header (every screen's
        polls would otherwise say it every tick); a ``poll`` that meets it says nothing more.
        """
        try:
            message = call()
        except Exception as exc:  # shown to the operator; the screen stays usable
            if is_storage_fault(exc):  # first: a refusal may wrap the driver's fault
                self.app.call_from_thread(self.tui.storage_failed, describe(exc))
                message = EngineFailed(f"{what} failed: {describe(exc)}", quiet=poll)
            elif isinstance(exc, SprintoptError):
                message = EngineFailed(str(exc))
            else:
                message = EngineFailed(f"{what} failed: {type(exc).__name__}: {exc}")
        else:
            if self.tui.storage_away is not None:
                self.app.call_from_thread(self.tui.storage_answered)
        self.post_message(message)

    def say_failed(self, message: EngineFailed, timeout: float = 6) -> None:
        """Notify the operator of a failed engine call (unless the header already says it)."""
        if not message.quiet:
            self.notify(message.text, severity="error", timeout=timeout)

    def prompt_open(self) -> bool:
        return any(p.is_open for p in self.query(PromptBar))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While a prompt is open the screen's keys are off: keys typed right after the one
        # that opened it (typeahead over SSH) reach the bindings before the prompt has focus,
        # and must not toggle, freeze or accept anything on their way.
        if self.prompt_open():
            return False
        return self.enabled(action)

    def enabled(self, action: str) -> bool | None:
        """Whether the screen's ``action`` is available now (screens override this)."""
        return True

    def on_resize(self, _event: events.Resize) -> None:
        for notice in self.query(TooSmall):
            notice.say()

    def on_screen_resume(self) -> None:
        # Textual fits the breakpoint classes (-narrow, -short) only on the screen in front:
        # one that was covered while the terminal grew back would still say "too small".
        size = self.app.size
        self.post_message(events.Resize(size, size))
