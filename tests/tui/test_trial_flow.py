"""Trial detail with the keyboard: fail or re-queue a running trial, enqueue an edited copy."""

from __future__ import annotations

from optuna.trial import TrialState

from engine.budget import RETRY_OF
from tests.tui.support import confirm, run, type_text, until
from tui.app import create_app
from tui.screens.dashboard import DashboardScreen
from tui.screens.trial import TrialScreen


def _running_trial(session, budget: int | None = None) -> tuple[object, int]:
    """Sprint 2 started, and one of its queued trials taken by a (pretend) worker."""
    if budget is None:
        session.decide("accepted", operator="ann@box")
    else:
        plan = session.open_proposal().plan.with_changes(budget=budget)
        session.decide("edited", plan=plan, operator="ann@box")
    study = session.study(session.current())
    trial = study.ask(session.current().plan.space.to_optuna())  # the first carried-over one
    return study, trial.number


async def _open_running(app, pilot, number: int) -> TrialScreen:
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard)
    await until(pilot, lambda: any(r.state == "running" for r in app.screen.dashboard.view.trials))
    await pilot.press("slash")
    await type_text(pilot, "state=running")
    await pilot.press("enter", "enter")
    await until(pilot, lambda: isinstance(app.screen, TrialScreen) and app.screen.detail)
    assert app.screen.detail.number == number and app.screen.detail.state == "running"
    return app.screen


def test_requeue_a_running_trial(awaiting):
    sd, session = awaiting
    study, number = _running_trial(session)
    params = study.trials[number].params
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _open_running(app, pilot, number)
            await pilot.press("r")
            await confirm(pilot)
            await until(pilot, lambda: screen.detail.state == "retried")

    run(flow)
    assert number in session.store.retried_numbers(session.current().study_name)
    trials = session.trials(session.current())
    assert trials[number].state == TrialState.FAIL
    assert trials[number].user_attrs["sprintopt.fail_reason"].startswith("re-queued by ")
    copies = [t for t in trials if t.user_attrs.get(RETRY_OF) == number]
    assert len(copies) == 1 and copies[0].state == TrialState.WAITING
    assert copies[0].system_attrs["fixed_params"] == params


def test_fail_a_running_trial(awaiting):
    sd, session = awaiting
    _, number = _running_trial(session)
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _open_running(app, pilot, number)
            await pilot.press("f")
            await confirm(pilot)
            await until(pilot, lambda: screen.detail.state == "failed")
            assert screen.detail.reason.startswith("failed by ")

    run(flow)
    trial = session.trials(session.current())[number]
    assert trial.state == TrialState.FAIL
    assert number not in session.store.retried_numbers(session.current().study_name)


def test_enqueue_an_edited_copy(awaiting):
    sd, session = awaiting
    study, number = _running_trial(session, budget=8)  # room beside the carried-over ones
    space = session.current().plan.space
    x = space["x"]
    edited = {**study.trials[number].params, "x": round((x.low + x.high) / 2, 4)}
    typed = " ".join(f"{k}={v}" for k, v in edited.items())
    before = len(session.trials(session.current()))
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _open_running(app, pilot, number)
            await pilot.press("c", "ctrl+u")
            await type_text(pilot, typed)
            await pilot.press("enter")
            await until(pilot, lambda: len(session.trials(session.current())) > before)

    run(flow)
    new = session.trials(session.current())[-1]
    assert new.state == TrialState.WAITING
    assert new.system_attrs["fixed_params"] == edited
    assert new.user_attrs["sprintopt.enqueued_by"]
