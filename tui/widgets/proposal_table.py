"""The proposal's diff: per parameter its range now, in the draft, importance and the reason."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from engine import SprintPlan, pruner_text
from tui.draft import Draft, DraftRow
from tui.widgets.plain import PlainTable

COLUMNS = ("param", "now", "next", "imp", "why")


def _next(row: DraftRow) -> Text:
    mark = "✎ " if row.edited else ("→ " if row.cut else "  ")
    return Text(mark + row.draft, style="bold" if row.edited or row.cut else "")


def _detail(draft: Draft, row: DraftRow) -> Text:
    ev = draft.review.params.get(row.name)
    text = Text.assemble((row.name, "bold"), f": now {row.current}; proposed {row.proposed}")
    if row.edited:
        text.append(f"; your edit {row.draft}", "bold")
    if ev is not None:
        if ev.action:
            text.append(f"\naction: {ev.action}")
        if ev.importance is not None:
            text.append(f" · importance {ev.importance:.3f}")
        if ev.reason:
            text.append(f"\nwhy: {ev.reason}")
        for key, value in ev.details:
            text.append(f"\n{key}: {value}")
    return text


class ProposalTable(Vertical):
    """Shows ``draft`` as a diff table and the highlighted parameter's evidence below it."""

    draft: reactive[Draft | None] = reactive(None, always_update=True)

    @dataclass
    class Highlighted(Message):
        name: str

    def compose(self) -> ComposeResult:
        yield PlainTable(cursor_type="row", id="diff-data")
        yield Static("", id="diff-detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for c in COLUMNS:
            table.add_column(c, key=c)

    def watch_draft(self, draft: Draft | None) -> None:
        if draft is None:
            return
        table = self.query_one(DataTable)
        at = table.cursor_row
        table.clear()
        for row in draft.rows():
            imp = "-" if row.importance is None else f"{row.importance:.2f}"
            why = row.reason if len(row.reason) <= 60 else row.reason[:59] + "…"
            table.add_row(
                row.name, row.current, _next(row), Text(imp, justify="right"), why, key=row.name
            )
        if table.row_count:
            table.move_cursor(row=min(max(at, 0), table.row_count - 1), animate=False)
        table.check_idle()  # the table sizes its columns when idle: let it, now
        self._show_detail()

    def selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_detail()

    def _show_detail(self) -> None:
        draft, name = self.draft, self.selected()
        if draft is None or name is None:
            return
        row = next((r for r in draft.rows() if r.name == name), None)
        if row is not None:
            self.query_one("#diff-detail", Static).update(_detail(draft, row))

    def focus_table(self) -> None:
        self.query_one(DataTable).focus()


def summary(draft: Draft) -> Text:
    """The lines above the table: what comes next, the fidelity step and its evidence, and
    what the closed sprint's trials say about the space as the draft stands (edits included)."""
    review, plan, proposed = draft.review, draft.plan, draft.proposed
    p = review.proposal
    how = _how(plan)
    how_mark = " ✎" if how != _how(proposed) else ""
    text = Text.assemble(
        ("Proposal after sprint ", "bold"),
        (f"{p.after_sprint} ({review.closed.name})", "bold"),
        f": next {plan.name}, {how}{how_mark} (s p)",
    )
    if review.summary:
        text.append(f"\n{review.summary}")
    fid = plan.fidelity.describe()
    fid_mark = " ✎" if plan.fidelity != proposed.fidelity else ""
    text.append(f"\nfidelity {review.fidelity_old} → {fid}{fid_mark} (F) · gate: {review.gate}")
    budget_mark = " ✎" if plan.budget != proposed.budget else ""
    text.append(
        f"\nbudget {plan.budget} trials{budget_mark} (b) · carry-over {len(p.carry_over)} "
        f"configurations · note: {draft.note or '-'} (n)"
    )
    for note in review.notes:
        text.append(f"\nnote: {note}", "italic")
    state = "EDITED by you" if draft.edited else "as proposed"
    text.append(f"\nif accepted now: {state}", "bold")
    text.append(f" · {draft.effect.describe()}")
    return text


def _how(plan: SprintPlan) -> str:
    return f"{plan.sampler}/{pruner_text(plan)}"
