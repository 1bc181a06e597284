"""The trial table on hand-built rows: best first for the direction, `#` fixed, same columns out."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from engine import TrialRow
from tests.tui.support import run
from tui.widgets.trials_table import ColumnStats, TrialsTable, _strings, constant_columns


def _row(number: int, state: str, value: float | None, x: float, opt: str = "adam") -> TrialRow:
    return TrialRow(
        sprint=1,
        number=number,
        state=state,  # type: ignore[arg-type]
        value=value,
        step=2 if state == "complete" else 1,
        params={"x": x, "opt": opt},
        fidelity="2 epochs",
        wall_time=None,
        worker=None,
        reason=None,
    )


ROWS = (
    _row(0, "complete", 0.5, 0.1),
    _row(1, "pruned", None, 0.2),
    _row(2, "complete", 0.2, 0.3),
    _row(3, "running", None, 0.4),
    _row(4, "complete", 0.9, 0.5),
)


class _Table(App[None]):
    def __init__(self, maximize: bool = False) -> None:
        super().__init__()
        self.maximize = maximize

    def compose(self) -> ComposeResult:
        yield TrialsTable(id="trials-table")

    def on_mount(self) -> None:
        table = self.query_one(TrialsTable)
        table.maximize = self.maximize
        table.params = ("x", "opt")
        table.rows = ROWS


def _numbers(app: App) -> list[int]:
    table = app.query_one(DataTable)
    return [int(str(table.get_row_at(i)[0])) for i in range(table.row_count)]  # the "#" column


def test_value_best_first_when_minimising_the_rest_after_newest_first() -> None:
    async def flow() -> None:
        app = _Table()
        async with app.run_test(size=(120, 20)) as pilot:
            await pilot.pause()
            assert _numbers(app) == [2, 0, 4, 3, 1]
            status = str(app.query_one("#trials-status").render())
            assert "sorted by value ↑ best first (s S)" in status and "o columns" in status
            await pilot.press("S")  # the worst first; the trials without a result stay after
            assert _numbers(app) == [4, 0, 2, 3, 1]
            assert "best first" not in str(app.query_one("#trials-status").render())

    run(flow)


def test_value_best_first_when_maximising() -> None:
    async def flow() -> None:
        app = _Table(maximize=True)
        async with app.run_test(size=(120, 20)) as pilot:
            await pilot.pause()
            assert _numbers(app) == [4, 0, 2, 3, 1]
            assert "↓ best first" in str(app.query_one("#trials-status").render())

    run(flow)


def test_hash_is_fixed_and_columns_the_same_on_every_row_are_left_out() -> None:
    async def flow() -> None:
        app = _Table()
        async with app.run_test(size=(120, 20)) as pilot:
            await pilot.pause()
            table = app.query_one(TrialsTable)
            assert app.query_one(DataTable).fixed_columns == 1
            # One fidelity and one optimizer on every row: neither is a column.
            assert table.shown_columns() == ("#", "state", "value", "step", "x")
            table.picked(frozenset({"state", "value", "fidelity", "x"}))  # what `o` hands back
            await pilot.pause()
            assert table.shown_columns() == ("#", "state", "value", "fidelity", "x")
            assert dict(table.column_choice) == {"fidelity": True, "step": False}
            table.rows = (*ROWS, _row(5, "complete", 0.1, 0.6, opt="sgd"))  # opt now differs
            await pilot.pause()
            assert table.shown_columns() == ("#", "state", "value", "fidelity", "x", "opt")

    run(flow)


def test_constant_columns_need_two_rows_and_never_take_the_core() -> None:
    columns = ("#", "state", "value", "step", "fidelity")
    same = ("1", "✓", "0.5", "2", "2 epochs")
    assert constant_columns([same], columns) == set()
    assert constant_columns([same, same], columns) == {"step", "fidelity"}
    assert constant_columns([same, ("2", "✓", "0.5", "3", "2 epochs")], columns) == {"fidelity"}


def _shown_text(app: App) -> list[tuple[str, ...]]:
    table = app.query_one(DataTable)
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


def _expected_text(app: App) -> list[tuple[str, ...]]:
    """What the table should show: its rows filtered, sorted and cut to the window, each with
    the text of the shown columns."""
    table = app.query_one(TrialsTable)
    shown = table.shown_rows()[: table.max_shown]
    columns = table.shown_columns()
    every = ("#", "state", "value", "step", "fidelity", *table.params)
    return [tuple(_strings(r, table.params)[every.index(c)] for c in columns) for r in shown]


def test_after_any_sequence_of_polls_the_table_shows_what_a_fresh_one_would() -> None:
    """Rows are keyed by position: trials that finish, come, go, move up the ranking and leave
    the window rewrite only what differs, and the table always reads as it should."""
    import random

    rng = random.Random(4)

    async def flow() -> None:
        app = _Table()
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            table = app.query_one(TrialsTable)
            table.max_shown = 12
            rows = {r.number: r for r in ROWS}
            data = app.query_one(DataTable)
            for step in range(60):
                op = rng.choice(["finish", "add", "drop", "filter", "sort"])
                if op == "finish" and rows:
                    n = rng.choice(list(rows))
                    state = rng.choice(["complete", "pruned"])
                    value = rng.random() if state == "complete" else None
                    rows[n] = _row(n, state, value, rows[n].params["x"])
                elif op == "add":
                    n = max(rows, default=-1) + 1
                    rows[n] = _row(n, "running", None, rng.random(), rng.choice(["adam", "sgd"]))
                elif op == "drop" and len(rows) > 1:
                    del rows[rng.choice(list(rows))]
                elif op == "filter":
                    table.filter_text = rng.choice(["", "", "state:complete", "opt:sgd"])
                elif op == "sort":
                    table.action_sort_next()
                if op in ("finish", "add") and rng.random() < 0.3:  # many at once
                    for _ in range(rng.randrange(1, 20)):
                        n = max(rows) + 1
                        rows[n] = _row(n, "complete", rng.random(), rng.random())
                if step % 7 == 0 and data.row_count:
                    data.move_cursor(row=rng.randrange(data.row_count), animate=False)
                on = _numbers(app)[data.cursor_row] if data.row_count else None
                table.rows = tuple(rows[n] for n in sorted(rows))
                await pilot.pause()
                assert _shown_text(app) == _expected_text(app), (step, op)
                every = ("#", "state", "value", "step", "fidelity", *table.params)
                strings = [_strings(r, table.params) for r in table.rows]
                same = constant_columns(strings, every)
                assert table.shown_columns() == tuple(c for c in every if c not in same)
                widths = {c.key.value: c.width for c in data.columns.values()}
                for c in table.shown_columns():  # over every row, not only those shown
                    i = every.index(c)
                    assert widths[c] == max(len(c), *(len(s[i]) for s in strings)), (step, c)
                numbers = _numbers(app)
                if on is not None and on in numbers:
                    assert numbers[data.cursor_row] == on, (step, op)  # it follows its trial

    run(flow)


def test_column_stats_follow_rows_that_change_and_say_when_the_reference_went_stale() -> None:
    columns = ("#", "state", "value", "step", "fidelity")
    first = ("1", "✓", "0.5", "2", "2 epochs")
    second = ("2", "✓", "0.4", "3", "2 epochs")
    widths = tuple(map(len, first))
    stats = ColumnStats([(first, widths), (second, widths)], len(columns))
    assert stats.constant(columns) == {"fidelity"} and not stats.doubtful(columns)
    third = ("3", "✓", "0.1", "3", "10 epochs")
    stats.add(third, tuple(map(len, third)))
    assert stats.constant(columns) == set() and stats.widest(4) == len("10 epochs")
    stats.add(third, tuple(map(len, third)), -1)
    assert stats.constant(columns) == {"fidelity"} and stats.widest(4) == len("2 epochs")
    # The reference row changes to read like the other: every row now differs from it.
    changed = ("1", "✓", "0.5", "3", "2 epochs")
    stats.add(first, widths, -1)
    stats.add(changed, widths)
    assert stats.doubtful(columns)
    fresh = ColumnStats([(changed, widths), (second, widths)], len(columns))
    assert fresh.constant(columns) == {"step", "fidelity"}
