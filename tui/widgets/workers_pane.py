"""The workers tab: each worker that has not left, its host, its heartbeat, its GPU's load."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from engine import GpuSample, GpuUnavailable, WorkerRow
from tui import format as fmt

NO_WORKERS = "no workers in this session now (sprintopt worker NAME joins one from any box)"
#: What a row says for a worker that stored no sample at all (started by an older sprintopt).
NO_SAMPLE = "no GPU data: this worker sends none (an older sprintopt?)"
#: Past this a --gpu label (a GPU or MIG UUID) is cut, and a host name: room for the sample.
LABEL_WIDTH, HOST_WIDTH = 9, 16
#: The GPU part's own columns: (header, right-aligned). They share one cell of the table, so
#: a long device name or reason wraps under them all, not down a narrow column of its own.
PARTS = (("GPU", False), ("util", True), ("memory MiB", True), ("sampled", True))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _state(w: WorkerRow) -> str:
    return "alive" if w.state == "alive" else f"silent {fmt.duration(w.seen_ago)}"


def _parts(w: WorkerRow) -> tuple[list[str], str]:
    """The GPU part's cells, and what follows them: the device's name, or why no sample."""
    r, label = w.reading, _cut(w.gpu or "-", LABEL_WIDTH)
    if isinstance(r, GpuSample):
        # The physical index, where the label names the GPU otherwise (a UUID, or the
        # worker's own view through CUDA_VISIBLE_DEVICES).
        shown = label if r.index is None else str(r.index)
        util = "-" if r.utilisation is None else f"{r.utilisation} %"
        memory = f"{r.memory_used}/{r.memory_total}"
        return [shown, util, memory, fmt.duration(w.sampled_ago)], r.name
    if isinstance(r, GpuUnavailable):
        return [label, "-", "-", fmt.duration(w.sampled_ago)], f"no GPU data: {r.reason}"
    return [label, "-", "-", "-"], NO_SAMPLE


def _gpu_cells(rows: tuple[WorkerRow, ...]) -> tuple[str, list[str]]:
    """The GPU column's header and cells, its parts padded to one width down the column."""
    made = [_parts(w) for w in rows]
    widths = [
        max([len(head), *(len(cells[i]) for cells, _ in made)]) for i, (head, _) in enumerate(PARTS)
    ]

    def line(cells: list[str], rest: str) -> str:
        padded = [
            c.rjust(widths[i]) if PARTS[i][1] else c.ljust(widths[i]) for i, c in enumerate(cells)
        ]
        return " ".join([*padded, rest])

    return line([h for h, _ in PARTS], "device"), [line(cells, rest) for cells, rest in made]


def workers_table(rows: tuple[WorkerRow, ...]) -> Table:
    table = Table(box=None, expand=True, show_edge=False, padding=(0, 1, 0, 0))
    header, gpus = _gpu_cells(rows)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("host", no_wrap=True, max_width=HOST_WIDTH, overflow="ellipsis")
    table.add_column("state", no_wrap=True)
    table.add_column(Text(header), ratio=1, overflow="fold")
    for w, gpu in zip(rows, gpus, strict=True):
        cells = (str(w.id), w.host, _state(w), gpu)
        table.add_row(*(Text(c) for c in cells), style="" if w.state == "alive" else "dim")
    return table


class WorkersPane(VerticalScroll):
    """Shows ``listed`` (``workers`` is Textual's own): one row each, alive first, with its
    GPU's last sample or why there is none."""

    listed: reactive[tuple[WorkerRow, ...]] = reactive(())

    def compose(self) -> ComposeResult:
        yield Static(NO_WORKERS, id="workers-text", markup=False)

    def watch_listed(self, rows: tuple[WorkerRow, ...]) -> None:
        self.query_one("#workers-text", Static).update(workers_table(rows) if rows else NO_WORKERS)
