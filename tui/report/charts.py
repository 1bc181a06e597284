"""The report's charts, drawn with matplotlib as SVG text (no script, no external file).

matplotlib is the report's one plotting library: it draws offline into self-contained SVG
(text as paths, so no font is fetched), the same figure goes into HTML inline and beside
Markdown as a file, and it is imported only here, when a report is written.
Each function takes the engine's report content and returns one SVG document, or None when
there is nothing to draw.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

from engine import Campaign, GatePart, SprintPart

#: Sprint bands and series cycle through these (colour-blind-safe, Okabe & Ito).
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
WIDTH = 7.5  # inches: a page's text width at 96 dpi is about 720 px


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # no display: a report is written on a box reached over SSH
    matplotlib.rcParams.update(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": "sprintopt",  # the same report, the same ids
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    import matplotlib.pyplot as plt

    return plt


def _svg(fig: Any) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(fig)
    text = out.getvalue()
    return text[text.index("<svg") :]  # the element alone, to inline in HTML


def _log_scale(values: Sequence[float]) -> bool:
    """A log axis where positive values span more than two orders of magnitude."""
    finite = [v for v in values if math.isfinite(v)]
    return bool(finite) and min(finite) > 0 and max(finite) / min(finite) > 100


def progress(c: Campaign) -> str | None:
    """The best value over the objective's cumulative seconds, one band per sprint."""
    if not c.cost:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, 3.4))
    values = [p.value for p in c.cost if p.value is not None]
    for i, band in enumerate(c.bands):
        colour = COLOURS[i % len(COLOURS)]
        ax.axvspan(band.start, max(band.end, band.start + 1e-9), color=colour, alpha=0.08, lw=0)
        mine = [p for p in c.cost if p.sprint == band.sprint]
        done = [p for p in mine if p.state == "complete" and p.value is not None]
        ax.scatter(
            [p.cost for p in done], [p.value for p in done], s=10, color=colour, alpha=0.5, lw=0
        )
        best = [p for p in mine if p.best is not None]
        if best:
            ax.step(
                [p.cost for p in best],
                [p.best for p in best],
                where="post",
                color=colour,
                lw=1.8,
                label=f"{band.sprint}. {band.name} ({band.fidelity})",
            )
        pruned = [p.cost for p in mine if p.state == "pruned"]
        if pruned:
            ax.plot(
                pruned,
                [0.0] * len(pruned),
                "|",
                color=colour,
                ms=6,
                transform=ax.get_xaxis_transform(),
            )
    if _log_scale(values):
        ax.set_yscale("log")
    ax.set_xlabel("objective time spent, summed over trials (s); ticks at the foot: pruned")
    ax.set_ylabel(f"value ({c.direction})")
    ax.legend(fontsize=7, loc="best", title="best so far, per sprint", title_fontsize=7)
    return _svg(fig)


def importance(c: Campaign) -> str | None:
    """Each parameter's importance at the close of each sprint that measured it."""
    if not c.importance:
        return None
    names = list(dict.fromkeys(n for _, _, values in c.importance for n in values))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, 0.5 + 0.32 * len(names) * max(1, len(c.importance))))
    height = 0.8 / len(c.importance)
    for i, (sprint, name, values) in enumerate(c.importance):
        ax.barh(
            [k + i * height for k in range(len(names))],
            [values.get(n, 0.0) for n in names],
            height=height,
            color=COLOURS[i % len(COLOURS)],
            label=f"after {sprint}. {name}",
        )
    ax.set_yticks([k + 0.4 - height / 2 for k in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xlabel("importance (share of the variance the parameter explains)")
    ax.legend(fontsize=7)
    return _svg(fig)


def gate(g: GatePart, number: int) -> str | None:
    """Rank at the lower fidelity against rank at the higher, per carried-over configuration."""
    if not g.pairs:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.4, 3.2))
    ranks = g.ranks
    n = len(ranks)
    ax.plot([1, n], [1, n], color="#999999", lw=0.8, ls="--")
    ax.scatter([a for a, _ in ranks], [b for _, b in ranks], s=28, color=COLOURS[0])
    ev = g.evidence
    rho = "no verdict" if ev.spearman is None else f"Spearman {ev.spearman:.2f}"
    verdict = {True: "passed", False: "failed", None: "no verdict"}[ev.passed]
    ax.set_title(f"gate after sprint {number}: {rho}, {verdict}", fontsize=8)
    ax.set_xlabel(f"rank at {g.low}")
    ax.set_ylabel(f"rank at {g.high}")
    return _svg(fig)


def curves(part: SprintPart) -> str | None:
    """The learning curves of the sprint's best trials."""
    drawn = [k for k in part.curves if len(k.steps) > 0]
    if not drawn or all(len(k.steps) < 2 for k in drawn):
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH / 2, 2.6))
    for i, k in enumerate(drawn):
        ax.plot(k.steps, k.values, marker=".", color=COLOURS[i % len(COLOURS)], label=f"#{k.trial}")
    if _log_scale([v for k in drawn for v in k.values]):
        ax.set_yscale("log")
    ax.set_title(f"sprint {part.number}: top trials by step", fontsize=8)
    ax.set_xlabel("step")
    ax.legend(fontsize=7)
    return _svg(fig)
