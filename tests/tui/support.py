"""Helpers for the app's tests: sessions built in this process, Pilot waits, what the app said."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from engine.session import Session
from engine.spec import load_spec
from engine.worker import Worker, WorkerOptions
from tui.screens.confirm import ConfirmScreen
from tui.screens.dashboard import DashboardScreen

# Three kinds of parameter, and a top-4 small enough that the advisor cuts and drops.
EXTRA = """
[space.opt]
type = "categorical"
choices = ["adam", "sgd", "rmsprop"]

[space.layers]
type = "int"
low = 1
high = 8

[advisor]
top_k = 4
"""
SPRINTS = [
    {"name": "scout", "trials": 24, "epochs": 2, "pruner": "hyperband"},
    {"name": "fine", "trials": 6, "epochs": 4, "sampler": "tpe"},
]


def create(sd) -> Session:
    spec = load_spec(sd.spec)
    sys.path.insert(0, str(sd.path))
    return Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session


def step_until(sd, session: Session, done: Callable[[], bool], timeout: float = 60) -> None:
    """Run a worker in this process until ``done()``; it then leaves as workers do."""
    worker = Worker(WorkerOptions(sd.name, sd.url, poll=0.01, search_path=[str(sd.path)]))
    deadline = time.monotonic() + timeout
    try:
        worker.run(handle_signals=False, until=lambda: done() or time.monotonic() > deadline)
    finally:
        worker.session.store.close()
    if not done():
        raise AssertionError(f"the session did not get there within {timeout:g} s")


#: A sleep ends a little late and a clock read lands a little early: what a wait past the
#: yes/no box's guard adds, so the key is read after the guard by the app's clock too.
CLOCK_SLACK = 0.05


async def until(
    pilot: Pilot,
    predicate: Callable[[], object],
    timeout: float = 20,
    what: str = "the app did not get there",
) -> None:
    """Let the app run until ``predicate()`` holds (polls happen in threads)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:g} s")
        await pilot.pause(0.05)


def burst(app, *keys: tuple[str, str | None]) -> None:
    """Keys read in one chunk (a fast typist over SSH): all queued before the app handles one."""
    from textual import events

    for key, char in keys:
        app.post_message(events.Key(key, char))


async def type_text(pilot: Pilot, text: str) -> None:
    keys = {" ": "space", "=": "equals_sign", ",": "comma", ".": "full_stop", "<": "less_than_sign"}
    await pilot.press(*[keys.get(c, c) for c in text])


def run(flow: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(flow())


async def settle(pilot: Pilot, timeout: float = 10) -> None:
    """Wait until the screen stops changing (tables size their columns when idle)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        await pilot.pause(0.15)
        shot = pilot.app.export_screenshot()
        if shot == last:
            return
        last = shot


async def past_guard(pilot: Pilot) -> None:
    """Let the moment pass in which a yes/no box just shown ignores keys (typeahead)."""
    await pilot.pause(ConfirmScreen.GUARD_SECONDS + CLOCK_SLACK)


async def confirm(pilot: Pilot, answer: str = "y", timeout: float = 20) -> None:
    """Answer the open yes/no box as an operator does: once it has been up for its guard, and
    again if the guard still ignored the key (it counts from when the app notes the box
    painted, which on a loaded machine comes late)."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="no yes/no box opened")
    box = app.screen
    assert isinstance(box, ConfirmScreen)
    reached = keys_reaching(box)
    deadline = time.monotonic() + timeout
    while box in app.screen_stack:
        if time.monotonic() > deadline:
            raise AssertionError(f"the box ignored {answer!r} {len(reached)} times")
        await past_guard(pilot)
        tries = len(reached)
        await pilot.press(answer)
        await until(pilot, lambda n=tries: len(reached) > n, what=f"{answer!r} never got there")


def keys_reaching(box: ConfirmScreen) -> list[bool]:
    """Every y (True) or n (False) that reaches ``box`` from now on, whether it answered the
    box or the guard ignored it: what shows a key was handled, not lost on its way."""
    reached: list[bool] = []
    answer = box.action_answer

    def recording(yes: bool) -> None:
        reached.append(yes)
        answer(yes)

    box.action_answer = recording  # type: ignore[method-assign]
    return reached


def said(app: App) -> list[str]:
    """What the app tells the operator from now on: every ``notify`` message, in order, kept
    (the toasts on the screen expire)."""
    messages: list[str] = []
    notify = app.notify

    def recording(message: str, **kwargs: Any) -> None:
        messages.append(message)
        notify(message, **kwargs)

    app.notify = recording  # type: ignore[method-assign]
    return messages


async def dashboard_shown(app: App, pilot: Pilot) -> DashboardScreen:
    """Wait for the dashboard with its first read; return it."""
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard)
    return app.screen  # type: ignore[return-value]
