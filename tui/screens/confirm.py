"""A yes/no question in a modal box: y or Enter says yes, n or Escape says no.

Keys read before the box was first drawn, or in the moment after, are ignored: they were typed
before the operator could read the question (typeahead over a slow link, or a loaded machine
that mounts the box well before it paints it), and a stray "y" in a note must not accept a
proposal. The keys line says when the box starts to listen ("y: yes    n: no" replaces
"keys typed ahead are ignored"), so an operator (and a test) sees when a key will count.
"""

from __future__ import annotations

import sys
import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

# The clock Textual stamps events with (``Message.time``).
event_clock = time.perf_counter if sys.platform == "win32" else time.monotonic


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    GUARD_SECONDS = 0.4
    WAITING = "(keys typed ahead are ignored)"
    READY = "y: yes    n: no"

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self._drawn: float | None = None  # when the box was first painted (event clock)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question", markup=False)
            yield Static(self.WAITING, id="confirm-keys", markup=False)

    def on_mount(self) -> None:
        # After the refresh that paints the box, not at mount: under load the two are apart.
        self.call_after_refresh(self._painted)

    def _painted(self) -> None:
        self._drawn = event_clock()
        self.set_timer(self.GUARD_SECONDS, self._listening)

    def _listening(self) -> None:
        self.query_one("#confirm-keys", Static).update(self.READY)

    def action_answer(self, yes: bool) -> None:
        # Judged by when the key was read, not when it is handled: on a busy machine a key
        # typed before the box was drawn can reach its binding after the guard has passed.
        if self._drawn is None:
            return
        read = getattr(self.app, "last_key_at", None)
        if (read if read is not None else event_clock()) - self._drawn >= self.GUARD_SECONDS:
            self.dismiss(yes)
