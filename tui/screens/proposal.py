"""Proposal review: the diff, the evidence, the operator's edits, and the decision.

The review answers one proposal, named by the sprint it follows. While open it polls what
became of that proposal; once it was decided elsewhere or replaced, the screen says so and
offers nothing that could decide it. The decision itself is refused by the engine, in the
transaction that would write it, if the proposal is no longer the open one.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer, Static

from engine import Action, CategoricalParam, SprintoptError, SprintPlan, Standing, plan_diff
from tui import parsing
from tui.draft import Draft
from tui.messages import Decided, EngineFailed, ProposalLoaded, StandingLoaded
from tui.screens.base import BaseScreen
from tui.widgets.prompt import PromptBar
from tui.widgets.proposal_table import ProposalTable, summary

#: The actions that change the draft or decide; none is offered once the proposal is not open.
DECIDING = {"accept", "reject", "edit", "toggle_change", "freeze", "fidelity", "budget", "sampler",
            "pruner", "note"}  # fmt: skip


class ProposalScreen(BaseScreen):
    BINDINGS = [
        Binding("a", "accept", "Accept"),
        Binding("x", "reject", "Reject"),
        Binding("e", "edit", "Edit"),
        Binding("space", "toggle_change", "Undo"),
        Binding("f", "freeze", "Freeze"),
        Binding("F", "fidelity", "Fidelity"),
        Binding("b", "budget", "Budget"),
        Binding("s", "sampler", "Sampler", show=False),
        Binding("p", "pruner", "Pruner", show=False),
        Binding("n", "note", "Note", show=False),
        Binding("r", "reload", "Reload", show=False),
        Binding("escape", "back", "Back"),
        Binding("q", "quit_app", "Quit", show=False),
    ]

    draft: reactive[Draft | None] = reactive(None, always_update=True)
    standing: reactive[Standing | None] = reactive(None, always_update=True)

    def compose(self) -> ComposeResult:
        yield Static("", id="review-stale", markup=False)
        yield Static("loading the proposal…", id="proposal-summary", markup=False)
        yield ProposalTable(id="proposal-table").data_bind(ProposalScreen.draft)
        yield PromptBar(id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(PromptBar).close()
        self.query_one("#review-stale").display = False
        self.query_one(ProposalTable).focus_table()
        self.set_interval(self.tui.poll_seconds, self.check_standing)
        self.load()

    # -- reading ---------------------------------------------------------------------------
    @work(thread=True, group="review", exclusive=True, exit_on_error=False)
    def load(self) -> None:
        self.call_engine("reading the proposal", lambda: ProposalLoaded(self.tui.source.proposal()))

    @work(thread=True, group="standing", exclusive=True, exit_on_error=False)
    def check_standing(self) -> None:
        draft = self.draft
        if draft is not None:
            after = draft.review.proposal.after_sprint
            self.call_engine(
                "checking the proposal",
                lambda: StandingLoaded(self.tui.source.standing(after)),
                poll=True,
            )

    @on(ProposalLoaded)
    def _loaded(self, message: ProposalLoaded) -> None:
        if message.review is None:
            self.notify("No proposal waits any more (decided elsewhere?).", severity="warning")
            self.dismiss()
            return
        self.standing = None
        self.draft = Draft.of(message.review)

    @on(StandingLoaded)
    def _standing(self, message: StandingLoaded) -> None:
        draft = self.draft
        if draft is None or message.standing.after_sprint != draft.review.proposal.after_sprint:
            return  # about a proposal this screen no longer shows
        if message.standing.open:
            if self.standing is not None:
                self.standing = None
            return
        if self.standing != message.standing:
            self.standing = message.standing
            self.app.bell()

    @property
    def is_stale(self) -> bool:
        return self.standing is not None and not self.standing.open

    def enabled(self, action: str) -> bool | None:
        if action in ("back", "quit_app"):
            return True
        if action == "reload":
            return self.is_stale
        # Nothing to act on until loaded, and nothing that could decide a stale proposal.
        return self.draft is not None and not (self.is_stale and action in DECIDING)

    def watch_draft(self, draft: Draft | None) -> None:
        self.refresh_bindings()
        if draft is not None:
            self.query_one("#proposal-summary", Static).update(summary(draft))

    def watch_standing(self, standing: Standing | None) -> None:
        banner = self.query_one("#review-stale", Static)
        banner.display = standing is not None and not standing.open
        if standing is not None and not standing.open:
            banner.update("■ " + standing.describe())
        self.refresh_bindings()

    # -- edits -----------------------------------------------------------------------------
    def _apply(self, edit: Callable[[], Draft]) -> None:
        """Run one edit of the draft; a refused edit is said, and the draft stays as it was."""
        try:
            self.draft = edit()
        except SprintoptError as exc:
            self.notify(str(exc), severity="error", timeout=8)

    def _param(self) -> str | None:
        return self.query_one(ProposalTable).selected()

    def action_toggle_change(self) -> None:
        draft, name = self.draft, self._param()
        if draft and name:
            self._apply(lambda: draft.toggle_cut(name))

    def action_freeze(self) -> None:
        draft, name = self.draft, self._param()
        if draft and name:
            self._apply(lambda: draft.toggle_freeze(name))

    def action_edit(self) -> None:
        draft, name = self.draft, self._param()
        if draft is None or name is None:
            return
        try:
            draft.check_in_spec(name)
        except SprintoptError as exc:
            self.notify(str(exc), severity="warning", timeout=8)
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
            amount, train, valid = self.draft.fidelity_values
            value = f"{amount:g} train={train:g} valid={valid:g}"
            label = f"{self.draft.plan.fidelity.resource} AMOUNT [train=F valid=F]:"
            self.query_one(PromptBar).ask("fidelity", label, value)

    def action_budget(self) -> None:
        if self.draft:
            self.query_one(PromptBar).ask("budget", "budget (trials):", str(self.draft.plan.budget))

    def action_sampler(self) -> None:
        if self.draft:
            sampler = self.draft.plan.sampler
            self.query_one(PromptBar).ask("sampler", "sampler (tpe gp random):", sampler)

    def action_pruner(self) -> None:
        if self.draft:
            plan = self.draft.plan
            label = f"pruner (hyperband median none) [from {plan.fidelity.resource} N]:"
            self.query_one(PromptBar).ask("pruner", label, f"{plan.pruner} {plan.min_resource}")

    def action_note(self) -> None:
        if self.draft:
            self.query_one(PromptBar).ask("note", "note:", self.draft.note)

    @on(PromptBar.Submitted)
    def _typed(self, message: PromptBar.Submitted) -> None:
        draft, value = self.draft, message.value
        if draft is None or self.is_stale:
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
        elif kind == "sampler":
            self._apply(lambda: draft.with_sampler(value.strip().lower()))
        elif kind == "pruner":
            self._apply(lambda: draft.with_pruner(*parsing.pruner(value)))
        elif kind == "note":
            self._apply(lambda: draft.with_note(value))

    # -- the decision ----------------------------------------------------------------------
    def action_accept(self) -> None:
        draft = self.draft
        if draft is None:
            return
        plan = draft.plan if draft.edited else None
        self.tui.confirm(_accept_question(draft), lambda: self.decide(draft.action, plan, draft))

    def action_reject(self) -> None:
        draft = self.draft
        if draft is None:
            return
        question = (
            f"Reject the proposal after sprint {draft.review.proposal.after_sprint}?\n"
            "The next sprint runs at the proposed fidelity and budget over the current space, "
            "uncut" + (" (your edits are not applied)." if draft.edited else ".")
        )
        self.tui.confirm(question, lambda: self.decide(Action.REJECTED, None, draft))

    @work(thread=True, group="decide", exit_on_error=False)
    def decide(self, action: Action, plan: SprintPlan | None, draft: Draft) -> None:
        after = draft.review.proposal.after_sprint
        source = self.tui.source
        self.call_engine(
            "recording the decision",
            lambda: Decided(source.decide(action, plan, draft.note, after)),
        )
        # A refusal, or an error after the write, shows at once what became of the proposal.
        self.app.call_from_thread(self.check_standing)

    @on(Decided)
    def _decided(self, message: Decided) -> None:
        d = message.decision
        nxt = d.applied.name if d.applied else "-"
        self.notify(f"Proposal {d.action} by {d.operator}; next sprint: {nxt}", timeout=8)
        self._leave()

    @on(EngineFailed)
    def _failed(self, message: EngineFailed) -> None:
        self.say_failed(message, timeout=10)

    # -- leaving ---------------------------------------------------------------------------
    def _leave(self) -> None:
        """Back to the dashboard, whatever box is open over this screen."""
        if self.is_attached and self in self.app.screen_stack:
            self.pop_until_active()
            self.dismiss()

    def action_back(self) -> None:
        self._discard_then(self._leave, "Leave the review")

    def action_quit_app(self) -> None:
        self._discard_then(self.app.exit, "Quit the app")

    def action_reload(self) -> None:
        self._discard_then(self.load, "Load the newer proposal")

    def _discard_then(self, then: Callable[[], object], what: str) -> None:
        draft = self.draft
        # Edits of a proposal that is no longer open can never be applied: nothing to lose.
        if draft is None or self.is_stale or not (draft.edited or draft.note):
            then()
            return
        edits = "\n".join(f"  {line}" for line in _edit_lines(draft)) or "  (a note)"
        self.tui.confirm(f"{what} and discard your edits?\n{edits}", then)


def _edit_lines(draft: Draft) -> list[str]:
    lines = plan_diff(draft.proposed, draft.plan)
    if draft.note:
        lines.append(f"note: {draft.note}")
    return lines


def _accept_question(draft: Draft) -> str:
    after, plan = draft.review.proposal.after_sprint, draft.plan
    head = f"Accept the proposal after sprint {after}"
    if draft.edited:
        body = [f"{head} with your edits?", *(f"  {line}" for line in _edit_lines(draft))]
    else:
        body = [f"{head} as proposed?"] + ([f"  note: {draft.note}"] if draft.note else [])
    body.append(
        f"Sprint {after + 1} ({plan.name}, {plan.fidelity.describe()}, {plan.budget} trials, "
        f"{plan.sampler}/{plan.pruner}) starts at once."
    )
    return "\n".join(body)


def _choices(draft: Draft, name: str, text: str) -> list:
    """Typed choices, matched to the known ones so 1 stays an int and relu a string."""
    known = {str(c): c for c in draft.all_choices(name)}
    picked = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [t for t in picked if t not in known]
    if unknown:
        raise parsing.InputError(f"{name}: unknown choice(s) {', '.join(unknown)}")
    return [known[t] for t in picked]
