"""The charts, drawn with plotext through textual-plotext (the only module that imports it).

Each chart owns its own plotext figure (``self.plt``), never plotext's global one, and redraws
only when its slice of the data changed. Curves of pruned trials use another marker than
completed ones, so they stay apart without colour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Grid
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from engine import ChartData, ChartViews, Curve

MARKERS = {"complete": "braille", "pruned": "x", "failed": "!", "running": "•"}
COLORS = {"complete": "green", "pruned": "red", "failed": "magenta", "running": "cyan"}


class Chart(PlotextPlot):
    """A plot of one part of :class:`ChartData`; subclasses pick the part and draw it."""

    can_focus = True
    data: reactive[ChartData | None] = reactive(None, always_update=True)

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._drawn: Any = object()

    def part(self, data: ChartData) -> Any:
        raise NotImplementedError

    def draw(self, data: ChartData) -> None:
        raise NotImplementedError

    def watch_data(self, data: ChartData | None) -> None:
        part = None if data is None else (data.sprint, self.part(data))
        if part == self._drawn:
            return
        self._drawn = part
        self.plt.clear_data()
        self.plt.clear_figure()
        if data is None:
            self.plt.title("waiting for data")
        else:
            self.draw(data)
        self.refresh()


class ImportanceChart(Chart):
    def part(self, data: ChartData) -> Any:
        return data.importance, data.importance_title

    def draw(self, data: ChartData) -> None:
        self.plt.title(data.importance_title)
        if data.importance:
            names = [n for n, _ in data.importance][::-1]
            values = [v for _, v in data.importance][::-1]
            self.plt.bar(names, values, orientation="horizontal", width=0.3)


class BestChart(Chart):
    def part(self, data: ChartData) -> Any:
        return data.best_so_far, data.log_y

    def draw(self, data: ChartData) -> None:
        if not data.best_so_far:
            self.plt.title("best so far: no completed trial yet")
            return
        x = [n for n, _ in data.best_so_far]
        y = [v for _, v in data.best_so_far]
        fy, note = _axis_values(self.plt, "y", data.log_y, y)
        self.plt.plot(x, [fy(v) for v in y], marker="braille")
        self.plt.title(f"best value so far (sprint {data.sprint}){note}")
        self.plt.xlabel("trial")


class CurvesChart(Chart):
    def part(self, data: ChartData) -> Any:
        return data.curves, data.log_y

    def draw(self, data: ChartData) -> None:
        curves: tuple[Curve, ...] = data.curves
        if not curves:
            self.plt.title("learning curves: nothing reported yet")
            return
        values = [v for c in curves for v in c.values]
        fy, note = _axis_values(self.plt, "y", data.log_y, values)
        for c in curves:
            self.plt.plot(
                list(c.steps),
                [fy(v) for v in c.values],
                marker=MARKERS.get(c.state),
                color=COLORS.get(c.state),
            )
        running = sum(c.state == "running" for c in curves)
        key = f", • {running} running" if running else ""
        self.plt.title(f"curves: ⠿ complete, x pruned{key}{note}")
        self.plt.xlabel("step")


class ScatterChart(Chart):
    """Value against the parameter named by ``param``."""

    param: reactive[str] = reactive("")

    def part(self, data: ChartData) -> Any:
        return self.param, data.scatter.get(self.param)

    def watch_param(self) -> None:
        self.watch_data(self.data)

    def draw(self, data: ChartData) -> None:
        points = data.scatter.get(self.param, ())
        if not points:
            self.plt.title(f"value vs {self.param or 'a parameter'}: no completed trial")
            return
        xs = [p for p, _ in points]
        ys = [v for _, v in points]
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in xs):
            self.plt.scatter(xs, ys, marker="•")
        else:
            labels = sorted({str(x) for x in xs})
            self.plt.scatter([labels.index(str(x)) for x in xs], ys, marker="•")
            self.plt.xticks(list(range(len(labels))), labels)
        self.plt.title(f"value vs {self.param} (v: next parameter)")


class ChartsPane(Grid):
    """The four charts of the shown sprint; ``param`` picks the scatter's parameter."""

    data: reactive[ChartData | None] = reactive(None, always_update=True)
    param: reactive[str] = reactive("")

    def compose(self) -> ComposeResult:
        yield ImportanceChart(id="chart-importance").data_bind(ChartsPane.data)
        yield BestChart(id="chart-best").data_bind(ChartsPane.data)
        yield CurvesChart(id="chart-curves").data_bind(ChartsPane.data)
        yield ScatterChart(id="chart-scatter").data_bind(ChartsPane.data, ChartsPane.param)


class TrialCurve(PlotextPlot):
    """One trial's intermediate values."""

    points: reactive[tuple[tuple[int, float], ...]] = reactive(())

    def watch_points(self, points: tuple[tuple[int, float], ...]) -> None:
        self.plt.clear_data()
        self.plt.clear_figure()
        if points:
            self.plt.plot([s for s, _ in points], [v for _, v in points], marker="braille")
            self.plt.title("intermediate values")
            self.plt.xlabel("step")
        else:
            self.plt.title("no intermediate values reported")
        self.refresh()


# -- the full-screen charts (tui/screens/chart.py) -----------------------------------------------

#: The full-screen charts, in the order the keys 1.. and Tab walk them.
KINDS: tuple[tuple[str, str], ...] = (
    ("history", "history"),
    ("slice", "slice"),
    ("parallel", "parallel"),
    ("contour", "contour"),
    ("edf", "EDF"),
    ("timeline", "timeline"),
)
#: Contour shades and parallel-coordinates colours, best first: told apart without colour too.
SHADES = ("█", "▓", "▒", "░", "·")
LEVEL_COLORS = ("green", "cyan", "yellow", "orange", "gray")
#: Points of a scatter (braille dots, as curves use, are too small to see alone) and bars.
POINT_MARKERS = {"complete": "•", "pruned": "x", "failed": "!", "running": "▸"}
BAR_MARKERS = {**POINT_MARKERS, "complete": "█"}


def _short(name: str, width: int = 10) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def _decades(plt: Any, which: str, lows: float, highs: float) -> None:
    """Ticks (in log10 units) at the powers of ten between ``lows`` and ``highs``, at most six;
    none outside the data, where plotext would print them over the other axis's labels."""
    lo, hi = math.ceil(lows), math.floor(highs)
    step = max(1, math.ceil((hi - lo + 1) / 6))
    at: list[float] = list(range(lo, hi + 1, step))
    if len(at) < 2:
        at = [lows, highs]
    (plt.xticks if which == "x" else plt.yticks)(at, [f"{10.0**k:.3g}" for k in at])


def _axis_values(plt: Any, which: str, log: bool, values: Sequence[float]) -> tuple[Any, str]:
    """How to place values on an axis, and what the title adds: log10 of each on a log axis.

    plotext's own log scale (``yscale("log")``) takes the log of the data in place when it
    builds, and a widget builds at every render: the second render logs it twice. So it is
    never used; a log axis is drawn as log10 values with ticks at the powers of ten.
    """
    if not log:
        return float, ""
    if values and min(values) <= 0:
        return float, " (log needs positive values)"
    if values:
        _decades(plt, which, math.log10(min(values)), math.log10(max(values)))
    return math.log10, " · log"


def _by_state(
    plt: Any, points: Sequence[Any], fx: Any, fy: Any, running: int | None = None
) -> None:
    """Each state its own series and legend entry; running ones counted even if not drawn."""
    for state in ("complete", "pruned", "failed", "running"):
        mine = [p for p in points if p.state == state]
        count = running if state == "running" and running is not None else len(mine)
        if mine:
            plt.scatter(
                [fx(p.x) for p in mine],
                [fy(p.y) for p in mine],
                marker=POINT_MARKERS[state],
                color=COLORS[state],
                label=f"{state} ({count})",
            )


def draw_history(plt: Any, v: ChartViews, log: bool) -> str:
    h = v.history
    if not h.points:
        return f"history: no trial reported a value yet ({h.running} running)"
    fy, note = _axis_values(plt, "y", log, [p.y for p in h.points])
    _by_state(plt, h.points, float, fy, h.running)
    if h.best:
        plt.plot([n for n, _ in h.best], [fy(b) for _, b in h.best], color="yellow", label="best")
    plt.xlabel("trial")
    extra = (
        f", {h.running} running"
        if h.running and all(p.state != "running" for p in h.points)
        else ""
    )
    return f"value by trial, pruned at their last report{extra}{note}"


def draw_slice(plt: Any, v: ChartViews, log: bool, param: str) -> str:
    s = next((s for s in v.slices if s.param == param), v.slices[0] if v.slices else None)
    if s is None or not s.points:
        return "slice: no trial reported a value yet"
    fy, note = _axis_values(plt, "y", log, [p.y for p in s.points])
    fx, _ = _axis_values(plt, "x", s.log_x, [p.x for p in s.points])
    _by_state(plt, s.points, fx, fy)
    if s.labels:
        plt.xticks(list(range(len(s.labels))), [_short(lb) for lb in s.labels])
    plt.xlabel(s.param + (" (log)" if s.log_x else ""))
    return f"value vs {s.param}{note}"


def draw_parallel(plt: Any, v: ChartViews) -> str:
    p = v.parallel
    if not p.lines:
        return "parallel coordinates: no completed trial yet"
    xs = list(range(len(p.axes)))
    for line in sorted(p.lines, key=lambda ln: -ln.level):  # the best drawn last, on top
        plt.plot(xs, list(line.ys), color=LEVEL_COLORS[line.level], marker="braille")
    for i, axis in enumerate(p.axes):
        # Each axis's range written on it: the first and last ones inward, so none is cut.
        align = "left" if i == 0 else "right" if i == len(p.axes) - 1 else "center"
        if axis.labels:
            for j, label in enumerate(axis.labels):
                y = 0.5 if len(axis.labels) == 1 else j / (len(axis.labels) - 1)
                plt.text(_short(label, 8), x=i, y=y, alignment=align)
        else:
            plt.text(f"{axis.low:.3g}", x=i, y=0, alignment=align)
            plt.text(f"{axis.high:.3g}", x=i, y=1, alignment=align)
    plt.xticks(xs, [_short(a.name) + (" log" if a.log else "") for a in p.axes])
    plt.yticks([])
    plt.ylim(-0.05, 1.05)
    shown = f"{len(p.lines)} of {p.total}" if len(p.lines) < p.total else f"{p.total}"
    return f"parallel coordinates: {shown} completed trials, green the best fifth"


def _ticks(plt: Any, axis: Any, which: str, parts: int) -> None:
    """Ticks at the grid's 0..1 in the parameter's own values (or its choices)."""
    if axis.labels:
        n = len(axis.labels)
        at, labels = [(i + 0.5) / n for i in range(n)], [_short(lb) for lb in axis.labels]
    else:
        at = [0.0, 0.5, 1.0]
        if axis.log and axis.low > 0:
            labels = [f"{axis.low * (axis.high / axis.low) ** t:.3g}" for t in at]
        else:
            labels = [f"{axis.low + (axis.high - axis.low) * t:.3g}" for t in at]
    (plt.xticks if which == "x" else plt.yticks)(at, labels)
    (plt.xlim if which == "x" else plt.ylim)(0, 1)


def draw_contour(plt: Any, v: ChartViews, size: tuple[int, int]) -> str:
    c = v.contour
    if c is None:
        return "contour: needs two parameters"
    if not c.cells:
        return f"contour of {c.x.name} × {c.y.name}: no completed trial yet"
    # Each cell is filled with its shade, a glyph per terminal cell it covers.
    nx = math.ceil(size[0] / c.cols) + 1  # more than the cells it covers: no gaps
    ny = math.ceil(size[1] / c.rows) + 1
    ranges = []
    for level, shade in enumerate(SHADES):
        cells = [cell for cell in c.cells if cell.level == level]
        if not cells:
            continue
        xs, ys = [], []
        for cell in cells:
            for i in range(nx):
                for j in range(ny):
                    xs.append((cell.col + (i + 0.5) / nx) / c.cols)
                    ys.append((cell.row + (j + 0.5) / ny) / c.rows)
        plt.scatter(xs, ys, marker=shade, color=LEVEL_COLORS[level])
        worst = max if not v.maximize else min
        ranges.append(f"{shade}{'≤' if not v.maximize else '≥'}{worst(x.value for x in cells):.3g}")
    if c.best is not None:
        plt.scatter([c.best[0]], [c.best[1]], marker="*", color="white")
    _ticks(plt, c.x, "x", c.cols)
    _ticks(plt, c.y, "y", c.rows)
    plt.xlabel(f"{c.x.name}   " + " ".join(ranges) + "   * best")
    return f"contour: best value by {c.x.name} × {c.y.name} (y axis)"


def draw_edf(plt: Any, v: ChartViews, log: bool) -> str:
    e = v.edf
    if not e.points:
        return "EDF: no completed trial yet"
    xs = [x for x, _ in e.points]
    fx, note = _axis_values(plt, "x", log, xs)
    plt.plot([fx(x) for x in xs], [y for _, y in e.points], marker="braille", color="green")
    plt.ylim(0, 1)
    plt.xlabel("value")
    return f"EDF: share of the {len(xs)} completed trials at or below each value{note}"


def draw_timeline(plt: Any, v: ChartViews, width: int) -> str:
    tl = v.timeline
    if not tl.bars:
        return "timeline: no trial started yet"
    unit, scale = (
        ("s", 1.0) if tl.span < 600 else ("min", 60.0) if tl.span < 36000 else ("h", 3600.0)
    )
    step = max(tl.span / max(width - 12, 1), 1e-9)  # about one glyph per terminal column
    rows = {w: i for i, w in enumerate(tl.workers)}
    key = []  # the legend, under the axis: plotext's own would cover the top worker's row
    for state, marker in BAR_MARKERS.items():
        xs, ys = [], []
        bars = [b for b in tl.bars if b.state == state]
        for b in bars:
            n = max(1, int((b.end - b.start) / step))
            xs += [(b.start + k * (b.end - b.start) / n) / scale for k in range(n + 1)]
            ys += [rows[b.worker]] * (n + 1)
        if bars:
            plt.scatter(xs, ys, marker=marker, color=COLORS[state])
            key.append(f"{marker} {state} {len(bars)}")
    plt.yticks(list(range(len(tl.workers))), list(tl.workers))
    plt.ylim(-0.5, len(tl.workers) - 0.5)
    plt.xlabel("   ".join(key))
    return f"timeline: what each worker ran when ({unit} since the first start)"


def draw_view(
    plt: Any, v: ChartViews, kind: str, param: str, log: bool | None, size: tuple[int, int]
) -> None:
    """Draw chart ``kind`` of ``v`` on ``plt`` (a figure of one widget, or the bench's own);
    ``log`` None takes the data's choice of axis."""
    if kind == "history":
        title = draw_history(plt, v, v.history.log_y if log is None else log)
    elif kind == "slice":
        s = next((s for s in v.slices if s.param == param), None)
        title = draw_slice(plt, v, (s.log_y if s else False) if log is None else log, param)
    elif kind == "parallel":
        title = draw_parallel(plt, v)
    elif kind == "contour":
        title = draw_contour(plt, v, size)
    elif kind == "edf":
        title = draw_edf(plt, v, v.edf.log_x if log is None else log)
    else:
        title = draw_timeline(plt, v, size[0])
    plt.title(title)  # the screen's line above says the sprint


class ViewChart(PlotextPlot):
    """One full-screen chart; ``kind``, ``param`` and ``log_scale`` pick what of ``views``."""

    views: reactive[ChartViews | None] = reactive(None, always_update=True)
    kind: reactive[str] = reactive("history")
    param: reactive[str] = reactive("")
    log_scale: reactive[bool | None] = reactive(None)  # None: as the data says

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._drawn: Any = None

    def watch_views(self) -> None:
        self.redraw()

    def watch_kind(self) -> None:
        self.redraw()

    def watch_param(self) -> None:
        self.redraw()

    def watch_log_scale(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

    def redraw(self) -> None:
        v = self.views
        size = (self.size.width, self.size.height)
        key = (id(v), self.kind, self.param, self.log_scale, size)
        if key == self._drawn:
            return
        self._drawn = key
        self.plt.clear_data()
        self.plt.clear_figure()
        if v is None:
            self.plt.title("waiting for data")
        else:
            draw_view(self.plt, v, self.kind, self.param, self.log_scale, size)
        self.refresh()
