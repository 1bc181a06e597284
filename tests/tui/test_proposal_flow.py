"""Reviewing a proposal with the keyboard: the decision in the store, and the next sprint."""

from __future__ import annotations

import pytest
from textual import events

from engine.read.model import trial_rows
from tests.tui.support import (
    burst,
    confirm,
    keys_reaching,
    past_guard,
    run,
    said,
    step_until,
    type_text,
    until,
)
from tui.app import create_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.proposal import ProposalScreen


async def _open_review(app, pilot) -> ProposalScreen:
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard)
    await pilot.press("p")
    await until(pilot, lambda: isinstance(app.screen, ProposalScreen) and app.screen.draft)
    return app.screen


async def _decide(app, pilot, key: str) -> None:
    await pilot.press(key)
    await confirm(pilot)
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen))


def test_edit_a_bound_then_accept_starts_the_edited_sprint(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await _open_review(app, pilot)
            assert review.query_one("ProposalTable").selected() == "x"
            await pilot.press("e", "ctrl+u")
            await type_text(pilot, "0.2 0.35")
            await pilot.press("enter")
            assert review.draft.edited and review.draft.space["x"].low == 0.2
            await pilot.press("n")
            await type_text(pilot, "narrow x")
            await pilot.press("enter")
            await _decide(app, pilot, "a")
            await until(pilot, lambda: app.screen.dashboard.view.state == "running")

    run(flow)
    decision = session.decisions()[-1]
    assert (decision.action, decision.note) == ("edited", "narrow x")
    x = decision.applied.space["x"]
    assert (x.low, x.high) == (0.2, 0.35)
    current = session.current()
    assert (current.number, current.state, current.plan.space["x"].high) == (2, "running", 0.35)
    # The workers carry on: the next sprint's trials run inside the edited range.
    step_until(
        sd,
        session,
        lambda: any(r.sprint == 2 and r.state == "complete" for r in trial_rows(session)),
    )
    sampled = [r.params["x"] for r in trial_rows(session) if r.sprint == 2 and r.params]
    assert sampled and all(0.2 <= x <= 0.35 for x in sampled)


def test_accept_as_proposed(awaiting):
    sd, session = awaiting
    proposed = session.open_proposal().plan
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _open_review(app, pilot)
            await _decide(app, pilot, "a")

    run(flow)
    decision = session.decisions()[-1]
    assert decision.action == "accepted" and decision.applied == proposed
    assert session.current().plan.name == "fine"


def test_reject_keeps_the_current_space(awaiting):
    sd, session = awaiting
    closed_space = session.current().plan.space
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _open_review(app, pilot)
            await _decide(app, pilot, "x")

    run(flow)
    decision = session.decisions()[-1]
    assert decision.action == "rejected"
    assert session.current().number == 2 and session.current().plan.space == closed_space


@pytest.mark.parametrize("key", ["space", "f"])
def test_toggle_and_freeze_edit_the_draft_not_the_store(awaiting, key):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await _open_review(app, pilot)
            await pilot.press(key)
            assert review.draft.edited
            x_now = review.draft.space
            if key == "space":  # the cut of x is undone: back to the closed sprint's range
                assert x_now["x"] == session.current().plan.space["x"]
            else:  # x is frozen at the best trial's value
                assert "x" in x_now.frozen_values
            await pilot.press(key)  # and pressed again, the draft is the proposal again
            assert not review.draft.edited
            await pilot.press("escape")

    run(flow)
    assert session.open_proposal() is not None and session.decisions() == []


@pytest.mark.parametrize(
    "key, typed, message",
    [("e", "0.9 0.1", "must be below high"), ("b", "2.5", "is not a whole number")],
    ids=["bounds", "budget"],
)
def test_a_refused_edit_is_said_and_changes_nothing(awaiting, key, typed, message):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)
    notices = said(app)

    async def flow() -> None:
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            review = await _open_review(app, pilot)
            await pilot.press(key, "ctrl+u")
            await type_text(pilot, typed)
            await pilot.press("enter")
            await until(pilot, lambda: any(message in m for m in notices), what=f"no {message!r}")
            assert not review.draft.edited

    run(flow)


def test_typeahead_lands_in_the_prompt_and_never_confirms(awaiting):
    """Keys read in one chunk (a fast typist over SSH) go where the operator meant them."""
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await _open_review(app, pilot)
            await pilot.press("down", "down")  # layers
            burst(app, ("e", "e"), ("ctrl+u", None), ("2", "2"), ("space", " "), ("6", "6"))
            burst(app, ("enter", "\r"))
            await until(pilot, lambda: review.draft.edited)
            layers = review.draft.space["layers"]
            assert (layers.low, layers.high) == (2, 6)
            burst(app, ("a", "a"), ("y", "y"))  # accept, and a "y" typed before the box showed
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await past_guard(pilot)  # long enough for a "y" to count: this one was too early
            assert isinstance(app.screen, ConfirmScreen)  # still asking
            await pilot.press("n")

    run(flow)
    assert session.open_proposal() is not None and session.decisions() == []


def test_a_key_read_before_the_box_opened_never_answers_it_however_late_it_arrives(awaiting):
    """On a busy machine, a key typed before the box showed can reach it after the guard."""
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _open_review(app, pilot)
            early = events.Key("y", "y")  # read now, before the box exists
            await pilot.press("a")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            asked = keys_reaching(app.screen)
            await past_guard(pilot)
            app.post_message(early)  # handled only now, past the guard
            await until(pilot, lambda: asked == [True])
            assert isinstance(app.screen, ConfirmScreen)  # reached the box, and it still asks
            await pilot.press("n")

    run(flow)
    assert session.open_proposal() is not None and session.decisions() == []


def test_editing_keys_in_a_burst_act_in_the_order_they_were_typed(awaiting):
    """ctrl+u, digits, backspace and Enter read in one chunk edit the prompt as typed."""
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            review = await _open_review(app, pilot)
            await pilot.press("b")
            keys = [("ctrl+u", "\x15"), ("1", "1"), ("5", "5"), ("backspace", "\x7f"), ("8", "8")]
            burst(app, *keys)
            burst(app, ("enter", "\r"))
            await until(pilot, lambda: review.draft.plan.budget != review.draft.proposed.budget)
            assert review.draft.plan.budget == 18
            await pilot.press("escape")

    run(flow)
