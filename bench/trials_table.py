"""What the trial table costs on the UI thread with 10,000 rows (no database involved).

Run: .venv/bin/python bench/trials_table.py [--rows 10000]
Prints the first fill and the median of five polls in which one row in view changed. Figures
are printed, not asserted; compare two versions in one sitting (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual.app import App, ComposeResult

from engine.read.model import TrialRow
from tui.widgets.trials_table import TrialsTable


def _rows(n: int) -> tuple[TrialRow, ...]:
    return tuple(
        TrialRow(sprint=1, number=i, state="complete", value=i * 0.001, step=3,
                 params={"x": i / 7, "opt": "adam"}, fidelity="epochs=3", wall_time=1.0,
                 worker=1, reason=None)
        for i in range(n)
    )  # fmt: skip


class _Bench(App[None]):
    def compose(self) -> ComposeResult:
        yield TrialsTable()


async def _measure(rows: tuple[TrialRow, ...]) -> tuple[float, float]:
    app = _Bench()
    async with app.run_test(size=(120, 40)):
        table = app.query_one(TrialsTable)
        table.params = ("x", "opt")
        t = time.perf_counter()
        table.rows = rows
        fill = time.perf_counter() - t
        polls = []
        for i in range(5):  # the newest rows: in view under the default sort
            changed = list(rows)
            changed[-1 - i] = TrialRow(**{**changed[-1 - i].__dict__, "value": -1.0 - i})
            t = time.perf_counter()
            table.rows = tuple(changed)
            polls.append(time.perf_counter() - t)
    return fill, statistics.median(polls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    fill, poll = asyncio.run(_measure(_rows(args.rows)))
    print(f"{args.rows} rows: first fill {fill * 1000:.0f} ms, "
          f"a poll with one row in view changed {poll * 1000:.0f} ms (median of 5)")  # fmt: skip


if __name__ == "__main__":
    main()
