"""Pick the trial table's columns (o): a list to tick; Space toggles, Enter applies, Esc cancels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

KEYS = "Space: show or hide    Enter: apply    Esc: cancel"


class ColumnsScreen(ModalScreen[frozenset[str] | None]):
    """Dismissed with the ticked columns (Enter), or None (Escape)."""

    BINDINGS = [
        # Before the list's own Enter, which would toggle the option like Space.
        Binding("enter", "apply", "Apply", priority=True),
        Binding("escape,o", "leave", "Leave"),
    ]

    def __init__(self, columns: Sequence[str], shown: Set[str], notes: Mapping[str, str]) -> None:
        super().__init__()
        self.columns = tuple(columns)
        self.shown = frozenset(shown)
        self.notes = dict(notes)

    def compose(self) -> ComposeResult:
        # Text, not a string: a parameter's name is never read as markup.
        choices = [
            Selection(Text(f"{c}  ({self.notes[c]})" if c in self.notes else c), c, c in self.shown)
            for c in self.columns
        ]
        with Vertical(id="columns-box"):
            title = "Columns of the trial table (# always shows)"
            yield Static(title, id="columns-title", markup=False)
            yield SelectionList[str](*choices, id="columns-list")
            yield Static(KEYS, id="columns-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        self.dismiss(frozenset(self.query_one(SelectionList).selected))

    def action_leave(self) -> None:
        self.dismiss(None)
