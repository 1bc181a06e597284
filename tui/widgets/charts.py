"""The charts, drawn with plotext through textual-plotext (the only module that imports it).

Each chart owns its own plotext figure (``self.plt``), never plotext's global one, and redraws
only when its slice of the data changed. Curves of pruned trials use another marker than
completed ones, so they stay apart without colour.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Grid
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from engine import ChartData, Curve

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
        return data.best_so_far

    def draw(self, data: ChartData) -> None:
        if not data.best_so_far:
            self.plt.title("best so far: no completed trial yet")
            return
        x = [n for n, _ in data.best_so_far]
        y = [v for _, v in data.best_so_far]
        self.plt.plot(x, y, marker="braille")
        self.plt.title(f"best value so far (sprint {data.sprint})")
        self.plt.xlabel("trial")


class CurvesChart(Chart):
    def part(self, data: ChartData) -> Any:
        return data.curves

    def draw(self, data: ChartData) -> None:
        curves: tuple[Curve, ...] = data.curves
        if not curves:
            self.plt.title("learning curves: nothing reported yet")
            return
        for c in curves:
            self.plt.plot(
                list(c.steps),
                list(c.values),
                marker=MARKERS.get(c.state),
                color=COLORS.get(c.state),
            )
        self.plt.title("curves: ⠿ complete, x pruned")
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
