"""The help screen (?): every key, by screen, and what the states and marks mean."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
sprintopt: keys

Everywhere
  ?          this help              q          quit (workers keep running)
  Escape     back / cancel          ctrl+u     clear a prompt

Dashboard
  p          review the waiting proposal (shown only while one waits)
  1 2 3      trials, events, charts
  /          filter the trials: words, or field=value, x<0.3, value>=1, state!=pruned
  s  S       sort by the next column, reverse the order
  Enter      open the highlighted trial
  [  ]       show the previous / next sprint
  v          next parameter for "value vs parameter"
  r          refresh now            L          list sessions

Proposal review
  ↑ ↓        pick a parameter       Space      undo / redo the proposal's change to it
  e          edit its bounds (numbers) or choices (categorical: drop or restore)
  f          freeze it at the best trial's value, or search it again
  F          change the fidelity    b          change the budget
  n          add a note             a          accept (as edited)   x   reject

Trial
  f          fail it (running)      r          re-queue it (running or failed)
  c          enqueue an edited copy of its configuration

A yes/no box ignores keys typed in its first moment: read it, then answer.
States: ✓ complete  ✂ pruned  ✗ failed  ▶ running  … waiting (queued)  ↻ retried
In the review, ✎ marks a parameter you changed from the proposal.
The app reads the session every few seconds; what a key does shows at the next read.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP, id="help-text", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
