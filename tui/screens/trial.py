"""Trial detail: parameters, fidelity, learning curve, attributes, traceback; fail or re-queue
it, or enqueue an edited copy of its configuration."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Footer, Static

from engine import PruneReason, SprintoptError, TrialDetail
from tui import format as fmt
from tui import parsing
from tui.messages import ActionDone, EngineFailed, TrialLoaded
from tui.screens.base import BaseScreen
from tui.widgets.charts import TrialCurve
from tui.widgets.prompt import PromptBar


def pruned_lines(p: PruneReason) -> list[str]:
    """Why it was pruned, in words: where it was cut, what it had to beat, how many went on."""
    if p.step is None:
        return ["before it reported any value"]
    if p.value is None or p.value != p.value:  # nan
        return [f"at step {p.step}: it reported nan, which never goes on"]
    if p.rule == "hyperband":
        return [
            f"at step {p.step}, Hyperband rung {p.rung} (bracket {p.bracket}): "
            f"its value {fmt.num(p.value, 6)}",
            f"cut-off ≈{fmt.num(p.cutoff, 6)}: the best {p.went_on} of the {p.competing} "
            "trials at that rung went on",
        ]
    if p.rule == "median":
        return [
            f"at step {p.step}: its best so far {fmt.num(p.value, 6)}",
            f"vs the median ≈{fmt.num(p.cutoff, 6)} of the {p.competing} trials "
            "finished before it at that step",
        ]
    return [f"at step {p.step}, at {fmt.num(p.value, 6)}: no finished trial to compare with"]


def describe(d: TrialDetail) -> Text:
    text = Text.assemble(
        (f"trial {d.number}", "bold"), f" of sprint {d.sprint} · ", (fmt.state(d.state), "bold")
    )
    text.append(f" · value {fmt.num(d.value, 6)} · fidelity {d.fidelity}")
    text.append(f"\nstarted {fmt.clock(d.started)} · finished {fmt.clock(d.finished)}")
    text.append(f" · worker {d.worker if d.worker is not None else '-'}")
    if d.retry_of is not None:
        text.append(f" · a retry of trial {d.retry_of}")
    if d.pruned is not None:  # first: it is what an operator opens a pruned trial for
        text.append("\n\nwhy it was pruned", "bold")
        for line in pruned_lines(d.pruned):
            text.append(f"\n  {line}")
        if d.pruned.cutoff is not None:
            text.append("\n  (≈: trials running at the time may also have competed)", "dim")
    text.append("\n\nparameters", "bold")
    for k, v in sorted(d.params.items()):
        text.append(f"\n  {k} = {fmt.num(v, 6)}")
    if d.user_attrs:
        text.append("\n\nuser attributes", "bold")
        for k, v in sorted(d.user_attrs.items()):
            text.append(f"\n  {k} = {fmt.num(v, 6)}")
    if d.reason:
        text.append("\n\nwhy it failed: ", "bold")
        text.append(d.reason)
    if d.traceback:
        text.append("\n\ntraceback\n", "bold")
        text.append(d.traceback)
    return text


class TrialScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("f", "fail", "Fail"),
        Binding("r", "requeue", "Re-queue"),
        Binding("c", "copy", "Enqueue copy"),
    ]

    detail: reactive[TrialDetail | None] = reactive(None)

    def __init__(self, sprint: int, number: int) -> None:
        super().__init__()
        self.sprint, self.number = sprint, number

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="trial-info"):
            yield Static(f"loading trial {self.number}…", id="trial-text", markup=False)
        yield TrialCurve(id="trial-curve")
        yield PromptBar(id="prompt")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(PromptBar).close()
        self.query_one("#trial-info").focus()
        self.set_interval(self.tui.poll_seconds, self.load)
        self.load()

    @work(thread=True, group="trial", exclusive=True, exit_on_error=False)
    def load(self) -> None:
        source = self.tui.source  # shown if it fails; the next tick tries again
        self.call_engine(
            f"reading trial {self.number}",
            lambda: TrialLoaded(source.trial(self.sprint, self.number)),
            poll=True,
        )

    @on(TrialLoaded)
    def _loaded(self, message: TrialLoaded) -> None:
        self.detail = message.detail

    def watch_detail(self, d: TrialDetail | None) -> None:
        if d is not None:
            self.query_one("#trial-text", Static).update(describe(d))
            self.query_one(TrialCurve).points = d.intermediate
            self.refresh_bindings()

    def enabled(self, action: str) -> bool | None:
        d = self.detail
        if action == "fail":
            return d is not None and d.state == "running"
        if action == "requeue":
            return d is not None and d.state in ("running", "failed")
        return True

    # -- operations ------------------------------------------------------------------------
    def action_fail(self) -> None:
        question = f"Fail running trial {self.number} now? Its slot stays used."
        self.tui.confirm(question, lambda: self._run("fail"))

    def action_requeue(self) -> None:
        question = (
            f"Re-queue trial {self.number}? It is failed (if running), its slot handed back, "
            "and the same configuration runs again."
        )
        self.tui.confirm(question, lambda: self._run("requeue"))

    def action_copy(self) -> None:
        if self.detail is not None:
            params = " ".join(f"{k}={v!r}" for k, v in self.detail.params.items())
            self.query_one(PromptBar).ask("copy", "enqueue name=value …:", params)

    @on(PromptBar.Submitted)
    def _typed(self, message: PromptBar.Submitted) -> None:
        try:
            params = parsing.config(message.value)
        except SprintoptError as exc:
            self.notify(str(exc), severity="error")
            return
        self._run("enqueue", params)

    @work(thread=True, exit_on_error=False)
    def _run(self, what: str, params: dict | None = None) -> None:
        source = self.tui.source

        def act() -> ActionDone:
            if what == "fail":
                source.fail(self.sprint, self.number)
                return ActionDone(f"trial {self.number} failed")
            if what == "requeue":
                source.requeue(self.sprint, self.number)
                return ActionDone(f"trial {self.number} re-queued")
            return ActionDone(f"configuration enqueued as trial {source.enqueue(params or {})}")

        self.call_engine(f"trial {self.number}: {what}", act)

    @on(ActionDone)
    def _done(self, message: ActionDone) -> None:
        self.notify(message.text)
        self.load()

    @on(EngineFailed)
    def _failed(self, message: EngineFailed) -> None:
        self.say_failed(message, timeout=8)

    def action_back(self) -> None:
        self.dismiss()
