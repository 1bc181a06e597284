"""The event feed: prunes with their cut-off, failures, retries, sprints, proposals, decisions."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from engine import Event
from tui import format as fmt

# The kind in words, padded, so the feed reads without colour; the style only adds emphasis.
KINDS = {
    "prune": ("prune", ""),
    "failure": ("FAIL", "bold"),
    "retry": ("retry", "italic"),
    "sprint": ("sprint", "bold"),
    "proposal": ("proposal", "bold reverse"),
    "decision": ("decision", "bold"),
}


def event_line(e: Event) -> Text:
    word, style = KINDS.get(e.kind, (e.kind, ""))
    return Text.assemble((fmt.clock(e.at), "dim"), " ", (f"{word:<8}", style), " ", e.text)


class EventFeed(VerticalScroll):
    """Shows ``events`` newest first, so what just happened is always in view."""

    events: reactive[tuple[Event, ...]] = reactive(())

    def compose(self) -> ComposeResult:
        yield Static("no events yet", id="events-text", markup=False)

    def watch_events(self, events: tuple[Event, ...]) -> None:
        lines = [event_line(e) for e in reversed(events)]
        self.query_one("#events-text", Static).update(
            Text("\n").join(lines) if lines else "no events yet"
        )
