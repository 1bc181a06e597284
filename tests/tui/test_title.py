"""The terminal's title says when a decision waits, so an operator who looked away sees it."""

from __future__ import annotations

from engine.states import Action
from tests.tui.support import run, until
from tui.app import create_app

WAITS = "sprintopt t — decision waits"


def test_the_title_says_a_decision_waits_until_it_is_taken(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            written: list[str] = []
            driver = app._driver
            assert driver is not None
            write = driver.write

            def recording(data: str) -> None:
                written.append(data)
                write(data)

            driver.write = recording  # type: ignore[method-assign]
            await until(pilot, lambda: app.terminal_title == WAITS, what="no 'decision waits'")
            session.decide(Action.ACCEPTED, note="from the test")
            await until(pilot, lambda: app.terminal_title == "sprintopt t", what="title kept")
            assert "\x1b]0;sprintopt t\x07" in written  # OSC 0: the window's title

    run(flow)


def test_the_sessions_list_has_the_plain_title(tmp_path):
    app = create_app(sessions_dir=tmp_path)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.terminal_title == "sprintopt"

    run(flow)
