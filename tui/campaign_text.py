"""The cross-sprint view's words and tables: what the campaign screen shows beside its chart."""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from engine import CrossSprint, GatePart
from tui import format as fmt

#: How much of a configuration a table cell shows before it ends in "…".
CONFIG_CHARS = 60


def title(view: CrossSprint, name: str) -> Text:
    goal = "maximize" if view.maximize else "minimize"
    text = Text.assemble(("campaign ", "dim"), (name, "bold"), f" · {goal} · ")
    if not view.sprints:
        return text.append("no sprint has started yet")
    text.append(" -> ".join(f"{s.number} {s.name} [{s.fidelity}]" for s in view.sprints))
    return text


def gate_text(gate: GatePart | None, at: int, count: int) -> Text:
    """The gate shown (``at`` of ``count``): which sprints, its correlation and its verdict."""
    if gate is None:
        return Text(
            "gate: no sprint has re-run configurations of the one before yet; the gate "
            "compares their ranks at the two fidelities once one has."
        )
    ev = gate.evidence
    text = Text.assemble(
        ("gate ", "dim"),
        (f"sprint {gate.low_sprint} -> {gate.high_sprint}", "bold"),
        f" [{gate.low} -> {gate.high}]",
        ("" if count < 2 else f"  ({at + 1} of {count}: [ ] for the others)", "dim"),
    )
    rho = "-" if ev.spearman is None else f"{ev.spearman:.2f}"
    limit = "" if ev.threshold is None else f" (needs {ev.threshold:.2f})"
    text.append(f"\n{len(gate.pairs)} pairs · Spearman {rho}{limit} · ")
    text.append(ev.verdict, "bold reverse" if ev.passed is False else "bold")
    if not gate.judged:
        text.append(" (not judged: computed here)")
    if ev.reason:
        text.append(f"\n{ev.reason}", "dim")
    return text


def _table(title: str, *columns: str) -> Table:
    table = Table(
        title=Text(title, "bold"), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False
    )
    for c in columns:
        table.add_column(Text(c), overflow="fold")
    return table


def _row(table: Table, cells: Iterable[str | Text]) -> None:
    # Cells are Text, never markup: a choice may hold "[".
    table.add_row(*(c if isinstance(c, Text) else Text(c) for c in cells))


def bests_table(view: CrossSprint) -> RenderableType:
    """The best per fidelity: values are compared only within one."""
    table = _table(
        "best per fidelity (never compared across)", "fidelity", "sprints", "best", "trial"
    )
    table.add_column(Text("configuration"), overflow="fold", ratio=1)
    for b in view.bests:
        sprints = ", ".join(str(n) for n in b.sprints)
        if b.value is None:
            _row(table, [b.fidelity, sprints, "-", "-", "no completed trial yet"])
            continue
        where = f"{b.trial} (sprint {b.sprint})"
        config = fmt.config(dict(b.params), CONFIG_CHARS)
        _row(table, [b.fidelity, sprints, Text(fmt.num(b.value, 6), "bold"), where, config])
    return table if view.bests else Text("best per fidelity: no sprint yet", "dim")


def moves_table(view: CrossSprint) -> RenderableType:
    """Each sprint's best and what moved from the sprint before's."""
    table = _table("how the best configuration moved", "sprint", "fidelity", "best", "trial")
    table.add_column(Text("moved from the best before"), overflow="fold", ratio=1)
    for i, m in enumerate(view.moves):
        if i == 0:
            what = fmt.config(dict(m.params), CONFIG_CHARS)
        elif not m.moved:
            what = "stayed: the same configuration"
        else:
            what = "; ".join(m.moved)
        if m.carried_over:
            what += " (carried over)"
        value = Text(fmt.num(m.value, 6), "bold")
        _row(table, [f"{m.sprint} {m.name}", m.fidelity, value, str(m.trial), what])
    return table if view.moves else Text("no sprint has a completed trial yet", "dim")


def spaces_table(view: CrossSprint) -> RenderableType:
    """Each parameter: the spec's range, then each sprint's, with what it did to the spec's."""
    table = _table("each sprint's space against the spec's", "parameter", "spec")
    for s in view.sprints:
        table.add_column(Text(f"{s.number} {s.name}"), overflow="fold")
    for r in view.spaces:
        cells: list[str | Text] = [r.name, r.spec]
        for text, action in zip(r.ranges, r.actions, strict=True):
            # The word says it (no colour alone): a cell the sprint changed names how.
            cells.append(text if action == "keep" else Text.assemble(text, (f" {action}", "bold")))
        _row(table, cells)
    return table


def body(view: CrossSprint) -> RenderableType:
    """What follows the gate's chart, top to bottom."""
    return Group(bests_table(view), moves_table(view), spaces_table(view))
