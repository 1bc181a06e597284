"""Proposal review: the diff, the evidence, the operator's edits, and the decision."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer, Static

from engine.errors import SprintoptError
from engine.space import CategoricalParam
from engine.sprint import SprintPlan
from tui import parsing
from tui.draft import Draft
from tui.messages import Decided, EngineFailed, ProposalLoaded
from tui.screens.base import BaseScreen
from tui.screens.confirm import ConfirmScreen
from tui.widgets.prompt import PromptBar
from tui.widgets.proposal_table import ProposalTable, summary


class ProposalScreen(BaseScreen):
    BINDINGS = [
        Binding("a", "accept", "Accept"),
        Binding("x", "reject", "Reject"),
        Binding("e", "edit", "Edit"),
        Binding("space", "toggle", "Toggle"),
        Binding("f", "freeze", "Freeze"),
        Binding("F", "fidelity", "Fidelity"),
        Binding("b", "budget", "Budget"),
        Binding("n", "note", "Note"),
        Binding("escape", "back", "Back"),
    ]

    draft: reactive[Draft | None] = reactive(None, always_update=True)

    def compose(self) -> ComposeResult:
        yield Static("loading the proposal…", id="proposal-summary")
        yield ProposalTable(id="proposal-table").data_bind(ProposalScreen.draft)
        yield PromptBar(id="prompt")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(PromptBar).close()
        self.query_one(ProposalTable).focus_table()
        self.load()

    @work(thread=True, exit_on_error=False)
    def load(self) -> None:
        try:
            self.post_message(ProposalLoaded(self.tui.source.proposal()))
        except Exception as exc:  # shown to the operator, who can go back and retry
            self.post_message(EngineFailed(f"reading the proposal failed: {exc}"))

    @on(ProposalLoaded)
    def _loaded(self, message: ProposalLoaded) -> None:
        if message.review is None:
            self.notify("No proposal waits any more (decided elsewhere?).", severity="warning")
            self.dismiss()
            return
        self.draft = Draft.of(message.review)

    def enabled(self, action: str) -> bool | None:
        return action == "back" or self.draft is not None  # nothing to act on until loaded

    def watch_draft(self, draft: Draft | None) -> None:
        self.refresh_bindings()
        if draft is not None:
            self.query_one("#proposal-summary", Static).update(summary(draft))

    # -- edits -----------------------------------------------------------------------------
    def _apply(self, edit: object) -> None:
        """Run one edit of the draft; a refused edit is said, and the draft stays as it was."""
        try:
            self.draft = edit()  # type: ignore[operator]
        except SprintoptError as exc:
            self.notify(str(exc), severity="error", timeout=8)

    def _param(self) -> str | None:
        return self.query_one(ProposalTable).selected()

    def action_toggle(self) -> None:
        if self.draft and (name := self._param()):
            self._apply(lambda: self.draft.toggle_cut(name))

    def action_freeze(self) -> None:
        if self.draft and (name := self._param()):
            self._apply(lambda: self.draft.toggle_freeze(name))

    def action_edit(self) -> None:
        draft, name = self.draft, self._param()
        if draft is None or name is None:
            return
        if name not in draft.space:
            self.notify(f"{name} is frozen: press f to search it again first", severity="warning")
            return
        p = draft.space[name]
        prompt = self.query_one(PromptBar)
        if isinstance(p, CategoricalParam):
            every = ", ".join(map(str, draft.all_choices(name)))
            now = ", ".join(map(str, p.choices))
            prompt.ask(f"choices:{name}", f"{name} choices (of {every}):", now)
        else:
            prompt.ask(f"bounds:{name}", f"{name} low high:", f"{p.low:g} {p.high:g}")

    def action_fidelity(self) -> None:
        if self.draft:
            d = self.draft
            amount, train, valid = d.fidelity_values
            value = f"{amount:g} train={train:g} valid={valid:g}"
            self.query_one(PromptBar).ask("fidelity", "fidelity AMOUNT [train=F valid=F]:", value)

    def action_budget(self) -> None:
        if self.draft:
            self.query_one(PromptBar).ask("budget", "budget (trials):", str(self.draft.plan.budget))

    def action_note(self) -> None:
        if self.draft:
            self.query_one(PromptBar).ask("note", "note:", self.draft.note)

    @on(PromptBar.Submitted)
    def _typed(self, message: PromptBar.Submitted) -> None:
        draft, value = self.draft, message.value
        if draft is None:
            return
        kind, _, name = message.purpose.partition(":")
        if kind == "bounds":
            self._apply(lambda: draft.with_bounds(name, *parsing.bounds(value)))
        elif kind == "choices":
            self._apply(lambda: draft.with_choices(name, _choices(draft, name, value)))
        elif kind == "fidelity":
            current = draft.fidelity_values
            self._apply(lambda: draft.with_fidelity(*parsing.fidelity(value, current)))
        elif kind == "budget":
            self._apply(lambda: draft.with_budget(parsing.whole(value)))
        elif kind == "note":
            self._apply(lambda: draft.with_note(value))

    # -- the decision ----------------------------------------------------------------------
    def action_accept(self) -> None:
        draft = self.draft
        if draft is None:
            return
        how = "with your edits" if draft.edited else "as proposed"
        question = (
            f"Accept the proposal {how}?\nSprint {draft.review.proposal.after_sprint + 1} "
            f"({draft.plan.name}, {draft.plan.fidelity.describe()}, {draft.plan.budget} trials) "
            "starts at once."
        )
        plan = draft.plan if draft.edited else None
        self.app.push_screen(
            ConfirmScreen(question), lambda yes: yes and self.decide(draft.action, plan, draft.note)
        )

    def action_reject(self) -> None:
        draft = self.draft
        if draft is None:
            return
        question = (
            "Reject the proposal?\nThe next sprint runs at the proposed fidelity and budget "
            "over the current space, uncut."
        )
        self.app.push_screen(
            ConfirmScreen(question), lambda yes: yes and self.decide("rejected", None, draft.note)
        )

    @work(thread=True, exit_on_error=False)
    def decide(self, action: str, plan: SprintPlan | None, note: str) -> None:
        try:
            self.post_message(Decided(self.tui.source.decide(action, plan, note)))
        except SprintoptError as exc:
            self.post_message(EngineFailed(str(exc)))

    @on(Decided)
    def _decided(self, message: Decided) -> None:
        d = message.decision
        nxt = d.applied.name if d.applied else "-"
        self.notify(f"Proposal {d.action} by {d.operator}; next sprint: {nxt}", timeout=8)
        self.dismiss()

    @on(EngineFailed)
    def _failed(self, message: EngineFailed) -> None:
        self.notify(message.text, severity="error", timeout=10)

    def action_back(self) -> None:
        self.dismiss()


def _choices(draft: Draft, name: str, text: str) -> list:
    """Typed choices, matched to the known ones so 1 stays an int and relu a string."""
    known = {str(c): c for c in draft.all_choices(name)}
    picked = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in picked if t not in known]
    if unknown:
        raise parsing.InputError(f"{name}: unknown choice(s) {', '.join(unknown)}")
    return [known[t] for t in picked]
