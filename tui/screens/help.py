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
  1 2 3 4    trials, events, charts, workers (host, GPU load and memory)
  /          filter the trials: words, or field=value, x<0.3, value>=1, state!=pruned
  s  S       sort by the next column, reverse the order (it opens by value, best first)
  o          pick the table's columns: Space shows or hides one, Enter applies
             (# always shows; a column the same on every row is left out unless picked)
  e          events of one kind: all, prune, failure, retry, sprint, proposal, decision
  Enter      open the highlighted trial
  [  ]       show the previous / next sprint
  v          next parameter for "value vs parameter"
  c          the campaign: every sprint side by side
  g          plots: one chart of the sprint full screen
  r          refresh now            L          list sessions

Campaign
  [  ]       show the previous / next sprint's gate (its rank-vs-rank chart)
  ↑ ↓        scroll: best per fidelity, how the best moved, each sprint's space
  r          refresh now            Escape, q  back to the dashboard


Plots (g)
  1 … 6      history, slice, parallel coordinates, contour, EDF, timeline
  → ←  Tab   next / previous chart
  v          slice: next parameter  x  y       contour: next parameter across / up
  l          log or linear value axis (history, slice, EDF); a log axis is chosen
             by itself where the values span two orders of magnitude or more
  Escape, q  back to the dashboard
  Points: • complete  x pruned (at its last reported value)  ▸ running;
  the timeline marks each worker's trials: █ complete  x pruned  ! failed  ▸ running

Proposal review
  ↑ ↓        pick a parameter       Space      undo / redo the proposal's change to it
  e          edit its bounds (numbers) or choices (categorical: drop or restore)
  f          freeze it at the best trial's value, or search it again
  F          change the fidelity    b          change the budget
  s          change the sampler     p          change the pruner (and its first step)
  n          add a note             a          accept (as edited)   x   reject
  r          load the newer proposal (once this one was decided elsewhere)
  Escape, q  leave; with edits, asks first

Trial (a pruned one says why: its rung or step, the cut-off, how many went on)
  f          fail it (running)      r          re-queue it (running or failed)
  c          enqueue an edited copy of its configuration

A yes/no box ignores keys typed in its first moment: read it, then answer.
States: ✓ complete  ✂ pruned  ✗ failed  ▶ running  … waiting (queued)  ↻ retried
In the review, ✎ marks a parameter you changed from the proposal.
The app reads the session every few seconds; what a key does shows at the next read.
"""


class HelpView(VerticalScroll, inherit_bindings=False):
    """The scrolling box of the help text; its keys are the screen's."""


class HelpScreen(ModalScreen[None]):
    # The scrolling keys belong to the screen, not the view (HelpView has no keys of its own):
    # the view's animated scroll counted five quick Downs as one, and keys typed in one burst
    # with "?" must each scroll one step, laid out or not.
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
        with HelpView(id="help-box"):
            yield Static(HELP, id="help-text", markup=False)

    def __init__(self) -> None:
        super().__init__()
        self._top = 0  # the line wanted at the top of the view
        self._pending = False  # keys arrived before the view was laid out

    @property
    def view(self) -> VerticalScroll:
        return self.query_one("#help-box", VerticalScroll)

    def action_scroll(self, lines: int) -> None:
        view = self.view
        if not self._pending and view.size.height:
            self._top = round(view.scroll_y)  # where the view is (the mouse may have moved it)
        self._top = max(0, self._top + lines)
        self._show()

    def _show(self) -> None:
        view = self.view
        if not view.size.height:  # typed with "?", before the box was laid out: after it is
            if not self._pending:
                self._pending = True
                self.call_after_refresh(self._laid_out)
            return
        self._top = min(self._top, round(view.max_scroll_y))
        view.scroll_to(y=self._top, animate=False, immediate=True)

    def _laid_out(self) -> None:
        self._pending = False
        self._show()

    def action_page(self, pages: int) -> None:
        height = self.view.scrollable_content_region.height
        self.action_scroll(pages * max(1, height - 1 if height else 18))

    def action_edge(self, end: int) -> None:
        self.action_scroll(10**6 if end else -(10**6))

    def action_close(self) -> None:
        self.dismiss(None)
