"""The live trial table: one row per trial of the shown sprint, sortable and filterable.

Updates are incremental: when the shown rows keep their order only the changed cells are
rewritten, so a poll of a long sprint costs little on the UI thread. It opens sorted by value,
best first; ``#`` stays in view when it scrolls sideways; a column that reads the same on every
row (the fidelity, within a sprint) is left out unless the operator picks it (``o``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import JustifyMethod
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from engine import TrialRow
from tui import format as fmt
from tui import parsing
from tui.widgets.plain import PlainTable

FIXED = ("#", "state", "value", "step", "fidelity")
#: Always shown, even when the same on every row: what a row is and how it did.
CORE = ("#", "state", "value")
#: The operator's departures from the default columns: (column, shown), sorted by column.
ColumnChoice = tuple[tuple[str, bool], ...]


def _fields(r: TrialRow) -> dict[str, Any]:
    return {
        "#": r.number,
        "number": r.number,
        "state": r.state,
        "value": r.value,
        "step": r.step,
        "fidelity": r.fidelity,
        "worker": r.worker,
        **r.params,
    }


def _strings(r: TrialRow, params: Sequence[str]) -> tuple[str, ...]:
    """A row's cells as plain text: what its widths and a filter's plain words are made of."""
    return (
        str(r.number),
        fmt.state(r.state),
        fmt.num(r.value, 6),
        fmt.num(r.step),
        r.fidelity,
        *(fmt.num(r.params.get(p), 4) for p in params),
    )


#: Which of the fixed columns are numbers (right-aligned); every parameter column is.
_RIGHT = (True, False, True, True, False)


def _cells(strings: tuple[str, ...]) -> tuple[Any, ...]:
    right: JustifyMethod = "right"
    return tuple(
        Text(text, justify=right) if i >= len(_RIGHT) or _RIGHT[i] else text
        for i, text in enumerate(strings)
    )


def _value(r: TrialRow, column: str) -> Any:
    """The value a column sorts by."""
    if column == "#":
        return r.number
    if column in ("state", "value", "step", "fidelity"):
        return getattr(r, column)
    return r.params.get(column)


def _sort_key(value: Any) -> tuple[int, float, str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _missing(r: TrialRow, column: str) -> bool:
    """Rows without a value in the column sort after the others, whichever way: by value,
    only a complete trial has one (a pruned trial's last report is no result)."""
    if column == "value":
        return r.state != "complete" or r.value is None
    return _value(r, column) is None


def constant_columns(strings: Sequence[tuple[str, ...]], columns: Sequence[str]) -> set[str]:
    """The columns (past :data:`CORE`) whose text is the same on every one of two or more rows."""
    if len(strings) < 2:
        return set()
    first = strings[0]
    same = [c not in CORE for c in columns]
    for row in strings[1:]:
        same = [keep and a == b for keep, a, b in zip(same, row, first, strict=True)]
        if not any(same):
            break
    return {c for c, keep in zip(columns, same, strict=True) if keep}


@dataclass(slots=True)
class _Shown:
    """A row as the table shows it, kept while the trial does not change. Its cells (rich
    ``Text``, ten times the cost of the plain strings) are made only once it is in view."""

    row: TrialRow
    strings: tuple[str, ...]
    widths: tuple[int, ...]
    text: str  # what a plain word in the filter is looked for in
    made: tuple[Any, ...] | None = None
    picked: tuple[tuple[int, ...], tuple[Any, ...]] | None = None  # (columns, their cells)

    @classmethod
    def of(cls, row: TrialRow, params: Sequence[str]) -> _Shown:
        strings = _strings(row, params)
        widths = tuple(cell_len(t) for t in strings)
        return cls(row, strings, widths, " ".join(strings).lower())

    @property
    def cells(self) -> tuple[Any, ...]:
        if self.made is None:
            self.made = _cells(self.strings)
        return self.made

    def pick(self, columns: tuple[int, ...]) -> tuple[Any, ...]:
        """The cells of the shown columns, the same tuple while they stay the same."""
        if self.picked is None or self.picked[0] != columns:
            cells = self.cells
            self.picked = columns, tuple(cells[i] for i in columns)
        return self.picked[1]


class TrialsTable(Vertical):
    """Shows ``rows``; ``filter_text`` and the sort column narrow and order them;
    ``column_choice`` holds the columns the operator showed or hid against the default."""

    BINDINGS = [
        Binding("s", "sort_next", "Sort"),
        Binding("S", "sort_reverse", "Reverse", show=False),
        Binding("o", "pick_columns", "Columns"),
    ]

    #: At most this many rows are in the table at once, the first after filtering and sorting:
    #: a sprint of 10,000 trials opens in a fraction of a second, and a filter or another sort
    #: brings any trial into view (the status line says when rows are left out).
    max_shown = 1000

    rows: reactive[tuple[TrialRow, ...]] = reactive((), always_update=True)
    params: reactive[tuple[str, ...]] = reactive(())
    filter_text: reactive[str] = reactive("")
    sort_column: reactive[str] = reactive("value")
    sort_reverse: reactive[bool] = reactive(False)
    #: The session's direction: the value's best first, until the operator sorts otherwise.
    maximize: reactive[bool] = reactive(False)
    #: Columns shown (True) or hidden (False) by the operator, where that is not the default.
    column_choice: reactive[ColumnChoice] = reactive(())

    @dataclass
    class Selected(Message):
        """The operator opened a trial (Enter)."""

        sprint: int
        number: int

    @dataclass
    class PickColumns(Message):
        """The operator asked to pick the columns (o): the screen opens the list, and hands
        what was picked to :meth:`TrialsTable.picked`."""

        columns: tuple[str, ...]  # every column but "#", in order
        shown: frozenset[str]
        notes: dict[str, str]  # why a column is left out by default

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._columns: tuple[tuple[str, ...], tuple[int, ...]] = ((), ())
        self._keys: list[str] = []
        self._cells: list[tuple[Any, ...]] = []
        self._shown: dict[str, _Shown] = {}  # by row key; rebuilt when the columns change
        self._shown_params: tuple[str, ...] = ()
        self._sorted_by_hand = False
        self._constant: set[str] = set()  # the columns left out as the same on every row

    def compose(self) -> ComposeResult:
        # "#" stays put when the table scrolls sideways: a row still says which trial it is.
        yield PlainTable(cursor_type="row", zebra_stripes=True, fixed_columns=1, id="trials-data")
        yield Static("", id="trials-status", markup=False)

    def on_mount(self) -> None:
        self._refresh()

    def watch_rows(self) -> None:
        self._refresh()

    def watch_params(self) -> None:
        self._refresh()

    def watch_filter_text(self) -> None:
        self._refresh()

    def watch_sort_column(self) -> None:
        self._refresh()

    def watch_sort_reverse(self) -> None:
        self._refresh()

    def watch_column_choice(self) -> None:
        self._refresh()

    def watch_maximize(self, maximize: bool) -> None:
        if not self._sorted_by_hand:
            self.sort_reverse = maximize

    def action_sort_next(self) -> None:
        self._sorted_by_hand = True
        columns = list(FIXED) + list(self.params)
        at = columns.index(self.sort_column) if self.sort_column in columns else -1
        self.sort_column = columns[(at + 1) % len(columns)]

    def action_sort_reverse(self) -> None:
        self._sorted_by_hand = True
        self.sort_reverse = not self.sort_reverse

    def action_pick_columns(self) -> None:
        columns = FIXED[1:] + tuple(self.params)
        notes = {c: "same on every row" for c in columns if c in self._constant}
        self.post_message(self.PickColumns(columns, frozenset(self.shown_columns()), notes))

    def picked(self, picked: frozenset[str] | None) -> None:
        """Show the ``picked`` columns (None: leave them as they are)."""
        if picked is None:
            return
        choice = dict(self.column_choice)
        for column in FIXED[1:] + tuple(self.params):
            wanted = column in picked
            if wanted == (column not in self._constant):
                choice.pop(column, None)  # the default again: it follows the rows from now on
            else:
                choice[column] = wanted
        self.column_choice = tuple(sorted(choice.items()))

    def shown_columns(self) -> tuple[str, ...]:
        """The columns the table shows, in order."""
        return self._columns[0]

    def _prepared(self) -> list[tuple[str, _Shown]]:
        """Every row with its cells, reusing those of rows unchanged since the last poll."""
        if self.params != self._shown_params:
            self._shown, self._shown_params = {}, self.params
        old, new = self._shown, {}
        out = []
        for r in self.rows:
            key = f"{r.sprint}:{r.number}"
            shown = old.get(key)
            if shown is None or shown.row != r:
                shown = _Shown.of(r, self.params)
            new[key] = shown
            out.append((key, shown))
        self._shown = new
        return out

    def shown_rows(self) -> list[TrialRow]:
        """The rows the table shows, filtered and sorted."""
        return [s.row for _, s in self._filter_and_sort(self._prepared())]

    def _filter_and_sort(self, rows: list[tuple[str, _Shown]]) -> list[tuple[str, _Shown]]:
        terms = parsing.filter_terms(self.filter_text)
        if terms:
            rows = [(k, s) for k, s in rows if parsing.matches(terms, _fields(s.row), s.text)]
        column = self.sort_column
        valued = [(k, s) for k, s in rows if not _missing(s.row, column)]
        others = [(k, s) for k, s in rows if _missing(s.row, column)]
        valued.sort(key=lambda ks: _sort_key(_value(ks[1].row, column)), reverse=self.sort_reverse)
        others.sort(key=lambda ks: ks[1].row.number, reverse=True)  # the newest first
        return valued + others

    def _visible(self, everything: list[tuple[str, _Shown]]) -> tuple[int, ...]:
        """Which columns show: the operator's choice, else all but those the same on every row."""
        columns = FIXED + tuple(self.params)
        self._constant = constant_columns([s.strings for _, s in everything], columns)
        choice = dict(self.column_choice)
        return tuple(
            i for i, c in enumerate(columns) if c == "#" or choice.get(c, c not in self._constant)
        )

    def _refresh(self) -> None:
        if not self.is_mounted:
            return
        table = self.query_one(DataTable)
        everything = self._prepared()
        matching = self._filter_and_sort(everything)
        rows = matching[: self.max_shown]
        keys = [k for k, _ in rows]
        visible = self._visible(everything)
        cells = [s.pick(visible) for _, s in rows]
        every = FIXED + tuple(self.params)
        columns = tuple(every[i] for i in visible)
        # Widths are set here, not measured by the table when idle, so a poll shows at once;
        # they cover every row, so a filter does not make the columns jump.
        widths = tuple(
            max([cell_len(every[i]), *(s.widths[i] for _, s in everything)]) for i in visible
        )
        if (columns, widths) != self._columns:
            table.clear(columns=True)
            for c, w in zip(columns, widths, strict=True):
                table.add_column(c, key=c, width=w)
            self._columns, self._keys, self._cells = (columns, widths), [], []
        if keys == self._keys:
            for key, old, new in zip(keys, self._cells, cells, strict=True):
                if old is not new and old != new:
                    for c, a, b in zip(columns, old, new, strict=True):
                        if a != b:
                            table.update_cell(key, c, b)
        else:
            self._rebuild(table, keys, cells)
        self._keys, self._cells = keys, cells
        self._status(len(rows), len(matching))

    def _rebuild(self, table: DataTable, keys: list[str], cells: list[tuple[Any, ...]]) -> None:
        at = table.cursor_row
        current = self._keys[at] if 0 <= at < len(self._keys) else None
        table.clear()
        for key, row in zip(keys, cells, strict=True):
            table.add_row(*row, key=key)
        if current in keys:
            table.move_cursor(row=keys.index(current), animate=False)

    def _status(self, shown: int, matching: int) -> None:
        arrow = "↓" if self.sort_reverse else "↑"
        if shown < matching:  # the window: say so, and how to reach the others
            head = f"first {shown} of {matching} matching ({len(self.rows)} trials)"
        else:
            head = f"{shown} of {len(self.rows)} trials"
        text = f"{head} · sorted by {self.sort_column} {arrow}"
        if self.sort_column == "value" and self.sort_reverse == self.maximize:
            text += " best first"
        text += " (s S)"
        if self.filter_text:
            text += f" · filter: {self.filter_text} (/)"
        else:
            text += " · / filter"
        text += " · o columns"
        self.query_one("#trials-status", Static).update(text)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        sprint, number = str(event.row_key.value).split(":")
        self.post_message(self.Selected(int(sprint), int(number)))

    def focus_table(self) -> None:
        self.query_one(DataTable).focus()
