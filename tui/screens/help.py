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
  ctrl+p     commands: every action of the screen, by name
  ↑ ↓ j k    move in a table or scroll a page

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
  s          change the sampler     p          change the pruner (and its first step)
  n          add a note             a          accept (as edited)   x   reject
  r          load the newer proposal (once this one was decided elsewhere)
  Escape, q  leave; with edits, asks first

Trial
  f          fail it (running)      r          re-queue it (running or failed)
  c          enqueue an edited copy of its configuration

A yes/no box ignores keys typed in its first moment: read it, then answer.
States: ✓ complete  ✂ pruned  ✗ failed  ▶ running  … waiting (queued)  ↻ retried
In the review, ✎ marks a parameter you changed from the proposal.
The app reads the session every few seconds; what a key does shows at the next read.
"""


class HelpScreen(ModalScreen[None]):
    # The scrolling keys belong to the screen, not the scroll view: keys typed in one burst
    # with "?" arrive before the view has focus, and each must still scroll.
    BINDINGS = [
        Binding("escape,question_mark,q", "close", "Close"),
        Binding("down,j", "scroll(1)", "Down", show=False),
        Binding("up,k", "scroll(-1)", "Up", show=False),
        Binding("pagedown,space", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "edge(0)", "Top", show=False),
        Binding("end", "edge(1)", "End", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(HELP, id="help-text", markup=False)

    @property
    def view(self) -> VerticalScroll:
        return self.query_one("#help-box", VerticalScroll)

    def action_scroll(self, lines: int) -> None:
        view = self.view
        if not view.size.height:  # typed with "?", before the box was laid out: after it is
            self.call_after_refresh(self.action_scroll, lines)
            return
        view.scroll_to(y=view.scroll_target_y + lines, animate=False, immediate=True)

    def action_page(self, pages: int) -> None:
        if not self.view.size.height:
            self.call_after_refresh(self.action_page, pages)
            return
        step = max(1, self.view.scrollable_content_region.height - 1)
        self.action_scroll(pages * step)

    def action_edge(self, end: int) -> None:
        self.action_scroll(10**6 if end else -(10**6))

    def action_close(self) -> None:
        self.dismiss(None)
