"""The live trial table: one row per trial of the shown sprint, sortable and filterable.

Updates are incremental: the table's rows are keyed by position and a poll rewrites only the
cells that differ, and the column widths and the columns the same on every row are kept up to
date row by row (:class:`ColumnStats`), so a poll of a long sprint costs little on the UI
thread. It opens sorted by value,
best first; ``#`` stays in view when it scrolls sideways; a column that reads the same on every
row (the fidelity, within a sprint) is left out unless the operator picks it (``o``).
"""

from __future__ import annotations

from collections import Counter
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


class ColumnStats:
    """Per column, over every row: how many rows read otherwise than a reference row (the first
    when the stats were made, even once it changed or left), and how many rows have each width.
    Kept up to date row by row as rows come and go, so a poll that changed a few rows costs a
    few rows, not every row of a long sprint."""

    def __init__(
        self, rows: Sequence[tuple[tuple[str, ...], tuple[int, ...]]], columns: int
    ) -> None:
        """``rows``: each row's (strings, widths) over ``columns`` columns; the first is the
        one the others are compared with for as long as these stats live."""
        self.first = rows[0][0] if rows else None
        self.rows = len(rows)
        self._differ, self._widths = [0] * columns, [Counter[int]() for _ in range(columns)]
        if rows:
            texts = zip(*(strings for strings, _ in rows), strict=True)
            self._differ = [sum(x != c[0] for x in c) for c in texts]
            self._widths = [Counter(c) for c in zip(*(w for _, w in rows), strict=True)]

    def add(self, strings: tuple[str, ...], widths: tuple[int, ...], sign: int = 1) -> None:
        """Count a row in (``sign`` 1) or out (-1)."""
        assert self.first is not None
        self.rows += sign
        for i, (a, b, w) in enumerate(zip(strings, self.first, widths, strict=True)):
            self._differ[i] += sign * (a != b)
            counts = self._widths[i]
            counts[w] += sign
            if not counts[w]:
                del counts[w]

    def doubtful(self, columns: Sequence[str]) -> bool:
        """Whether the constant columns cannot be told: every row of a column past
        :data:`CORE` reads otherwise than the reference (changed or gone), so the rows may all
        read alike; new stats, from the rows of now, can tell."""
        return self.rows >= 2 and any(
            n == self.rows and c not in CORE for c, n in zip(columns, self._differ, strict=True)
        )

    def widest(self, column: int) -> int:
        return max(self._widths[column], default=0)

    def constant(self, columns: Sequence[str]) -> set[str]:
        """The columns (past :data:`CORE`) whose text is the same on every one of two or more
        rows."""
        if self.rows < 2:
            return set()
        return {c for c, n in zip(columns, self._differ, strict=True) if not n and c not in CORE}


def constant_columns(strings: Sequence[tuple[str, ...]], columns: Sequence[str]) -> set[str]:
    """The columns (past :data:`CORE`) whose text is the same on every one of two or more rows."""
    rows = [(s, tuple(map(len, s))) for s in strings]
    return ColumnStats(rows, len(columns)).constant(columns)


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
    sorting: tuple[str, tuple[int, float, str]] | None = None  # (column, the key it sorts by)

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

    def sort_key(self, column: str) -> tuple[int, float, str]:
        if self.sorting is None or self.sorting[0] != column:
            self.sorting = column, _sort_key(_value(self.row, column))
        return self.sorting[1]

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
    #: Fewer rows than the last poll by more than this: the table is filled afresh.
    _REMOVE_ONE_BY_ONE = 32

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
        self._stats: ColumnStats | None = None  # over every row, as last prepared
        #: The rows of the last poll, and what was prepared of them.
        self._prior: tuple[tuple[TrialRow, ...], list[tuple[str, _Shown]]] | None = None

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
        """Every row with its cells, reusing those of rows unchanged since the last poll, and
        the column stats (:class:`ColumnStats`) brought up to date."""
        if self.params != self._shown_params:
            self._shown, self._shown_params, self._stats = {}, self.params, None
            self._prior = None
        rows, prior = self.rows, self._prior
        if prior is not None and prior[0] is rows:
            return prior[1]
        came: list[_Shown] = []
        went: list[_Shown] = []
        out = self._patched(prior, came, went) if prior is not None else None
        if out is None:
            out = self._matched(came, went)
        self._prior = rows, out
        stats, columns = self._stats, FIXED + tuple(self.params)
        if stats is not None and stats.first is not None and out:
            for s in went:
                stats.add(s.strings, s.widths, -1)
            for s in came:
                stats.add(s.strings, s.widths)
        if stats is None or stats.first is None or not out or stats.doubtful(columns):
            self._stats = ColumnStats([(s.strings, s.widths) for _, s in out], len(columns))
        return out

    def _patched(
        self,
        prior: tuple[tuple[TrialRow, ...], list[tuple[str, _Shown]]],
        came: list[_Shown],
        went: list[_Shown],
    ) -> list[tuple[str, _Shown]] | None:
        """The rows, where they are those of the last poll with some replaced in place (the
        same trial) and some added at the end, as at a usual poll: only those are looked at.
        None otherwise."""
        before, shown_before = prior
        rows = self.rows
        if len(rows) < len(before):
            return None
        moved = [i for i, (a, b) in enumerate(zip(before, rows, strict=False)) if a is not b]
        added = [f"{r.sprint}:{r.number}" for r in rows[len(before) :]]
        if any(shown_before[i][0] != f"{rows[i].sprint}:{rows[i].number}" for i in moved):
            return None  # another trial in a place: rows moved
        if len(set(added)) < len(added) or any(k in self._shown for k in added):
            return None  # a trial shown twice: the full match sorts it out
        out = list(shown_before)
        for i in moved:
            key, old = shown_before[i]
            if old.row != rows[i]:
                shown = self._shown[key] = _Shown.of(rows[i], self.params)
                out[i] = key, shown
                went.append(old)
                came.append(shown)
        for key, r in zip(added, rows[len(before) :], strict=True):
            shown = self._shown[key] = _Shown.of(r, self.params)
            out.append((key, shown))
            came.append(shown)
        return out

    def _matched(self, came: list[_Shown], went: list[_Shown]) -> list[tuple[str, _Shown]]:
        """The rows matched by trial with those of the last poll."""
        old, new = self._shown, {}
        out: list[tuple[str, _Shown]] = []
        kept = 0
        for r in self.rows:
            key = f"{r.sprint}:{r.number}"
            prior = old.get(key)
            if prior is not None and (prior.row is r or prior.row == r):
                shown = prior
                kept += 1
            else:
                shown = _Shown.of(r, self.params)
                came.append(shown)
                if prior is not None:
                    went.append(prior)
            new[key] = shown
            out.append((key, shown))
        if kept + len(went) < len(old):  # rows that left
            went += [s for k, s in old.items() if k not in new]
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
        valued: list[tuple[str, _Shown]] = []
        others: list[tuple[str, _Shown]] = []
        for ks in rows:
            (others if _missing(ks[1].row, column) else valued).append(ks)
        valued.sort(key=lambda ks: ks[1].sort_key(column), reverse=self.sort_reverse)
        others.sort(key=lambda ks: ks[1].row.number, reverse=True)  # the newest first
        return valued + others

    def _visible(self) -> tuple[int, ...]:
        """Which columns show: the operator's choice, else all but those the same on every row."""
        columns = FIXED + tuple(self.params)
        assert self._stats is not None
        self._constant = self._stats.constant(columns)
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
        visible = self._visible()
        cells = [s.pick(visible) for _, s in rows]
        every = FIXED + tuple(self.params)
        columns = tuple(every[i] for i in visible)
        # Widths are set here, not measured by the table when idle, so a poll shows at once;
        # they cover every row, so a filter does not make the columns jump.
        stats = self._stats
        assert stats is not None
        widths = tuple(max(cell_len(every[i]), stats.widest(i)) for i in visible)
        if (columns, widths) != self._columns:
            table.clear(columns=True)
            for c, w in zip(columns, widths, strict=True):
                table.add_column(c, key=c, width=w)
            self._columns, self._keys, self._cells = (columns, widths), [], []
        self._show(table, keys, cells)
        self._keys, self._cells = keys, cells
        self._status(len(rows), len(matching))

    def _show(self, table: DataTable, keys: list[str], cells: list[tuple[Any, ...]]) -> None:
        """Row ``i`` of the table shows ``cells[i]``. Rows are keyed by position, not by trial:
        when a finished trial moves into the window, the rows below it rewrite only the cells
        that differ, and rows are added or taken away at the end."""
        at = table.cursor_row
        current = self._keys[at] if 0 <= at < len(self._keys) else None
        old, columns = self._cells, self._columns[0]
        if len(old) - len(cells) > self._REMOVE_ONE_BY_ONE:  # each removal rebuilds an index
            table.clear()
            old = []
        for i, new in enumerate(cells):
            if i >= len(old):
                table.add_row(*new, key=str(i))
            elif old[i] is not new and old[i] != new:
                for c, a, b in zip(columns, old[i], new, strict=True):
                    if a != b:
                        table.update_cell(str(i), c, b)
        for i in range(len(old) - 1, len(cells) - 1, -1):
            table.remove_row(str(i))
        if current is not None and not (at < len(keys) and keys[at] == current):
            if current in keys:  # the cursor stays on its trial
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
        sprint, number = self._keys[int(str(event.row_key.value))].split(":")
        self.post_message(self.Selected(int(sprint), int(number)))

    def focus_table(self) -> None:
        self.query_one(DataTable).focus()
