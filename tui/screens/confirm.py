"""A yes/no question in a modal box: y or Enter says yes, n or Escape says no.

Keys that arrive in the first moments after the box opens are ignored: they were typed before
the operator could read the question (typeahead over a slow link), and a stray "y" in a note
must not accept a proposal.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    GUARD_SECONDS = 0.4

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question
        self._opened = time.monotonic()

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self.question, id="confirm-question", markup=False)
            yield Static("y: yes    n: no", id="confirm-keys", markup=False)

    def on_mount(self) -> None:
        self._opened = time.monotonic()

    def action_answer(self, yes: bool) -> None:
        if time.monotonic() - self._opened >= self.GUARD_SECONDS:
            self.dismiss(yes)
