"""The cross-sprint view's chart: a gate's rank-vs-rank scatter, drawn as tui.widgets.charts does.

Like every chart of the app it owns its plotext figure (``self.plt``) and redraws only when its
gate changed. Ranks, not values, are drawn: the gate's Spearman correlation is theirs, and the
two fidelities' values need not share a scale.
"""

from __future__ import annotations

from typing import Any

from textual.reactive import reactive
from textual_plotext import PlotextPlot

from engine import GatePart

#: Above this many pairs the axes get plotext's own ticks, not one per rank.
TICKS_EACH = 12


class RankScatter(PlotextPlot):
    """Rank at the lower fidelity against rank at the higher, one point per carried-over
    configuration; on the dashed diagonal both fidelities rank it alike."""

    gate: reactive[GatePart | None] = reactive(None, always_update=True)

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._drawn: Any = object()

    def watch_gate(self, gate: GatePart | None) -> None:
        part = None if gate is None else (gate.low_sprint, gate.high_sprint, gate.pairs)
        if part == self._drawn:
            return
        self._drawn = part
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if gate is None or not gate.pairs:
            plt.title("no configuration ran at two fidelities yet")
            self.refresh()
            return
        ranks = gate.ranks
        n = len(ranks)
        plt.plot([1, n], [1, n], marker="dot", color="gray")  # where the two rank alike
        plt.scatter([a for a, _ in ranks], [b for _, b in ranks], marker="●", color="cyan")
        plt.xlim(0.5, n + 0.5)
        plt.ylim(0.5, n + 0.5)
        if n <= TICKS_EACH:
            plt.xticks(list(range(1, n + 1)))
            plt.yticks(list(range(1, n + 1)))
        # In the title, not the axes' labels: plotext sets both labels on one line, and at 80
        # columns the second overwrites the first.
        plt.title(f"rank at {gate.low} → (1 = lowest value), rank at {gate.high} ↑")
        self.refresh()
