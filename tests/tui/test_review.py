"""The proposal review as an operator uses it: every key, a review gone stale, failures shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from textual.command import CommandPalette
from textual.widgets import OptionList

from engine.errors import StaleProposalError
from engine.session import Session
from tests.conftest import SessionDir, write_spec
from tests.tui.support import (
    EXTRA,
    burst,
    confirm,
    create,
    run,
    said,
    step_until,
    type_text,
    until,
)
from tui.app import create_app
from tui.draft import Draft
from tui.screens.confirm import ConfirmScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.proposal import ProposalScreen
from tui.source import EngineSource


async def open_review(app, pilot) -> ProposalScreen:
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard)
    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, ProposalScreen) and app.screen.draft)
    return app.screen


@dataclass(frozen=True)
class KeyCase:
    keys: tuple[str, ...]  # pressed in the review (a prompt's text typed after them)
    typed: str | None  # typed into the prompt the keys open, then Enter
    check: Callable[[Draft], bool]  # what the draft must show afterwards


def _param(d: Draft, name: str):
    return d.space[name] if name in d.space else d.space.frozen_values[name]


# Rows: x, opt, layers (the fixture's spec order). "j" moves down like the arrow.
KEYS = {
    "space undoes the cut of x": KeyCase(("space",), None, lambda d: "x" in d.param_edits),
    "f freezes x": KeyCase(("f",), None, lambda d: "x" in d.space.frozen_values),
    "e edits x's bounds": KeyCase(
        ("e", "ctrl+u"), "0.2 0.3", lambda d: (d.space["x"].low, d.space["x"].high) == (0.2, 0.3)
    ),
    "j then e edits opt's choices": KeyCase(
        ("j", "e", "ctrl+u"), "adam", lambda d: "opt" in d.param_edits
    ),
    "F changes the fidelity": KeyCase(
        ("F", "ctrl+u"), "3", lambda d: d.plan.fidelity.amount == 3 and d.edited
    ),
    "b changes the budget": KeyCase(("b", "ctrl+u"), "9", lambda d: d.plan.budget == 9),
    "s changes the sampler": KeyCase(
        ("s", "ctrl+u"), "random", lambda d: d.plan.sampler == "random"
    ),
    "p changes the pruner and its floor": KeyCase(
        ("p", "ctrl+u"),
        "hyperband 2",
        lambda d: (d.plan.pruner, d.plan.min_resource) == ("hyperband", 2),
    ),
    "n adds a note": KeyCase(
        ("n", "ctrl+u"), "[bold]why[/] x=1", lambda d: d.note == "[bold]why[/] x=1"
    ),
    "k at the top stays on x": KeyCase(("k", "space"), None, lambda d: "x" in d.param_edits),
}


@pytest.mark.parametrize("case", list(KEYS.values()), ids=list(KEYS))
def test_every_editing_key_changes_the_draft_and_the_app_lives(awaiting, case):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await open_review(app, pilot)
            before = review.draft
            await pilot.press(*case.keys)
            if case.typed is not None:
                await type_text(pilot, case.typed)
                await pilot.press("enter")
            await until(pilot, lambda: review.draft is not before)
            assert case.check(review.draft), review.draft.plan
            assert app.is_running and app.screen is review
            # The summary shows the effect of the draft on the closed sprint's evidence.
            summary = str(review.query_one("#proposal-summary").render())
            assert review.draft.effect.describe() in summary

    run(flow)
    assert session.decisions() == [] and session.open_proposal() is not None


@pytest.mark.parametrize("key", ["a", "x"])
def test_a_and_x_ask_first_and_no_decides_nothing(awaiting, key):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await open_review(app, pilot)
            await pilot.press(key)
            await confirm(pilot, "n")
            await until(pilot, lambda: app.screen is review)

    run(flow)
    assert session.decisions() == []


def test_the_confirm_box_lists_the_edits_it_will_apply(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_review(app, pilot)
            await pilot.press("b", "ctrl+u")
            await type_text(pilot, "9")
            await pilot.press("enter", "F", "ctrl+u")
            await type_text(pilot, "3")
            await pilot.press("enter", "a")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            question = app.screen.question
            assert "with your edits" in question
            assert "trials    6 -> 9" in question and "epochs=4 -> epochs=3" in question
            await confirm(pilot, "y")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))

    run(flow)
    [decision] = session.decisions()
    assert decision.action == "edited"
    assert (decision.applied.budget, decision.applied.fidelity.amount) == (9, 3)


@pytest.mark.parametrize("key", ["escape", "q"])
def test_leaving_with_edits_asks_first(awaiting, key):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await open_review(app, pilot)
            await pilot.press("space", key)
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            assert "discard your edits" in app.screen.question
            await confirm(pilot, "n")
            await until(pilot, lambda: app.screen is review)
            assert review.draft.edited  # kept
            await pilot.press(key)
            await confirm(pilot, "y")
            if key == "escape":
                await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            else:
                await until(pilot, lambda: not app.is_running)

    run(flow)
    assert session.decisions() == []


def test_leaving_without_edits_asks_nothing(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_review(app, pilot)
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))

    run(flow)


def test_a_review_decided_elsewhere_says_so_and_offers_no_decision(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await open_review(app, pilot)
            await pilot.press("b", "ctrl+u")
            await type_text(pilot, "7")
            await pilot.press("enter")
            Session.open(sd.name, sd.url).decide("rejected", note="from the shell", after=1)
            await until(pilot, lambda: review.is_stale)
            banner = str(review.query_one("#review-stale").render())
            assert "was rejected" in banner and "Nothing here can change it" in banner
            for key in ("a", "x", "space", "b", "F"):
                await pilot.press(key)
            await pilot.pause()  # until the app is idle: every key handled
            assert app.screen is review  # no box opened, no prompt
            assert not review.prompt_open()
            await pilot.press("escape")  # the stale edits cannot be applied: no question
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))

    run(flow)
    [decision] = session.decisions()
    assert (decision.action, decision.note) == ("rejected", "from the shell")


def test_yes_in_a_box_opened_before_someone_else_decided_is_refused_and_said(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=30)  # no poll notices it first
    notices = said(app)

    async def flow() -> None:
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            review = await open_review(app, pilot)
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            Session.open(sd.name, sd.url).decide("rejected", after=1)
            await confirm(pilot, "y")
            await until(pilot, lambda: review.is_stale)
            assert app.screen is review
            assert any("already rejected by" in t for t in notices), notices

    run(flow)
    assert [d.action for d in session.decisions()] == ["rejected"]


def _three_sprints(path) -> SessionDir:
    sprints = [
        {"name": "scout", "trials": 12, "epochs": 1},
        {"name": "warm", "trials": 4, "epochs": 2},
        {"name": "full", "trials": 3, "epochs": 4},
    ]
    write_spec(path, "t", "quadratic", sprints, extra=EXTRA)
    sd = SessionDir(path, "t")
    session = create(sd)
    step_until(sd, session, lambda: session.refresh().state == "awaiting")
    session.store.close()
    return sd


def test_an_old_review_never_decides_the_next_proposal_and_r_loads_it(tmp_path):
    """The reported defect: sprint 1's review, left open, answered sprint 2's proposal."""
    sd = _three_sprints(tmp_path)
    session = Session.open(sd.name, sd.url)
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await open_review(app, pilot)
            await pilot.press("b", "ctrl+u")
            await type_text(pilot, "7")
            await pilot.press("enter")
            session.decide("accepted", after=1)  # from another shell
            step_until(sd, session, lambda: session.refresh().state == "awaiting")
            await until(pilot, lambda: review.is_stale)
            banner = str(review.query_one("#review-stale").render())
            assert "after sprint 2" in banner and "r loads it" in banner
            await pilot.press("a", "x")
            assert app.screen is review
            await pilot.press("r")
            await until(pilot, lambda: review.draft.review.proposal.after_sprint == 2)
            assert not review.is_stale and not review.draft.edited

    run(flow)
    assert [d.action for d in session.decisions()] == ["accepted"]
    assert session.open_proposal().after_sprint == 2


class _FailingSource(EngineSource):
    def decide(self, action, plan, note, after_sprint):
        raise RuntimeError("disk I/O error [simulated]")


def test_a_decision_that_fails_is_shown_and_the_app_goes_on(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, source=_FailingSource(sd.name, sd.url), poll_seconds=0.2)
    notices = said(app)

    async def flow() -> None:
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            review = await open_review(app, pilot)
            await pilot.press("a")
            await confirm(pilot, "y")
            await until(pilot, lambda: any("simulated" in t for t in notices))
            assert any("recording the decision failed: RuntimeError" in t for t in notices)
            assert app.is_running and app.screen is review and not review.is_stale

    run(flow)
    assert session.decisions() == []


def _highlighted(results: OptionList) -> str:
    option = results.highlighted_option
    return "" if option is None else str(option.prompt)


def test_the_command_palette_offers_the_screens_actions(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await open_review(app, pilot)
            titles = [c.title for c in app.get_system_commands(review)]
            for title in ("Accept (a)", "Fidelity (F)", "Pruner (p)", "Sampler (s)", "Note (n)"):
                assert title in titles
            await pilot.press("ctrl+p")
            await until(pilot, lambda: isinstance(app.screen, CommandPalette))
            await type_text(pilot, "Budget")
            results = app.screen.query_one(OptionList)  # the palette's matches
            await until(pilot, lambda: _highlighted(results).startswith("Budget"))
            await pilot.press("enter")
            await until(pilot, lambda: app.screen is review and review.prompt_open())

    run(flow)


def test_keys_in_a_burst_all_take_effect(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await open_review(app, pilot)
            # Down twice to layers, freeze it; up to x, undo its cut; in one chunk.
            burst(app, ("j", "j"), ("down", None), ("f", "f"), ("k", "k"), ("up", None))
            burst(app, ("space", " "))
            await until(pilot, lambda: set(review.draft.param_edits) >= {"x", "layers"})
            assert "layers" in review.draft.space.frozen_values

    run(flow)


def test_a_parameter_fixed_in_the_spec_says_the_spec_must_change(tmp_path):
    sprints = [{"name": "scout", "trials": 12}, {"name": "fine", "trials": 4, "epochs": 2}]
    fixed = EXTRA + "\n[space.frozen]\nwidth = 11.338008214324992\n"
    write_spec(tmp_path, "t", "quadratic", sprints, extra=fixed)
    sd = SessionDir(tmp_path, "t")
    session = create(sd)
    step_until(sd, session, lambda: session.refresh().state == "awaiting")
    session.store.close()
    app = create_app(sd.name, sd.url, poll_seconds=0.2)
    notices = said(app)

    async def flow() -> None:
        async with app.run_test(size=(100, 30), notifications=True) as pilot:
            review = await open_review(app, pilot)
            names = review.draft.names()
            assert "width" in names
            table = review.query_one("#diff-data")
            table.move_cursor(row=names.index("width"))
            await pilot.press("e")
            await until(pilot, lambda: any("fixed in the spec" in t for t in notices))
            [text] = [t for t in notices if "fixed in the spec" in t]
            assert "fixed in the spec at 11.338" in text and "--" not in text
            row = next(r for r in review.draft.rows() if r.name == "width")
            assert row.draft == "= 11.338"

    run(flow)


def test_stale_decision_error_type_is_a_session_error():
    from engine.errors import SessionError

    assert issubclass(StaleProposalError, SessionError)
