"""The trial table on hand-built rows: best first for the direction, `#` fixed, same columns out."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from engine import TrialRow
from tests.tui.support import run
from tui.widgets.trials_table import TrialsTable, constant_columns


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
    return [int(str(k.value).split(":")[1]) for k in app.query_one(DataTable).rows]


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
