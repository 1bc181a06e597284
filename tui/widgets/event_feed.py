"""The event feed: prunes with their cut-off, failures, retries, sprints, proposals, decisions."""

from __future__ import annotations

from typing import get_args

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from engine import Event, EventKind
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

#: What ``e`` steps through: every kind (None), then each kind alone, in the engine's order.
FILTERS: tuple[EventKind | None, ...] = (None, *get_args(EventKind))


def event_line(e: Event) -> Text:
    word, style = KINDS.get(e.kind, (e.kind, ""))
    return Text.assemble((fmt.clock(e.at), "dim"), " ", (f"{word:<8}", style), " ", e.text)


def feed_title(kind: EventKind | None, shown: int, total: int) -> str:
    """The feed's status line: which events show, and the key that changes it."""
    if kind is None:
        return f"all events ({total}) · e: one kind at a time"
    return f"{kind} events only ({shown} of {total}) · e: next kind"


class EventFeed(VerticalScroll):
    """Shows ``events`` newest first, so what just happened is always in view; ``kind``, when
    set, keeps only the events of that kind. Each event is one line: what does not fit the
    width ends in "…" (the trial screen says the whole of a prune)."""

    BINDINGS = [Binding("e", "next_kind", "Kind")]

    #: None until the session's events are first read (a big session's first poll has none).
    events: reactive[tuple[Event, ...] | None] = reactive(None)
    kind: reactive[EventKind | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield Static(feed_title(None, 0, 0), id="events-status", markup=False)
        yield Static("reading the events…", id="events-text", markup=False)

    def watch_events(self) -> None:
        self._show()

    def watch_kind(self) -> None:
        self._show()
        self.scroll_home(animate=False)  # the newest of the kind, not where the last one was

    def action_next_kind(self) -> None:
        self.kind = FILTERS[(FILTERS.index(self.kind) + 1) % len(FILTERS)]

    def _show(self) -> None:
        if self.events is None:
            return  # not read yet: the feed still says so
        shown = [e for e in reversed(self.events) if self.kind in (None, e.kind)]
        lines = [event_line(e) for e in shown]
        empty = f"no {self.kind} events yet" if self.kind else "no events yet"
        self.query_one("#events-status", Static).update(
            feed_title(self.kind, len(shown), len(self.events))
        )
        self.query_one("#events-text", Static).update(Text("\n").join(lines) if lines else empty)
