"""Helpers for the app's tests: sessions built in this process, and Pilot waits."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable

from textual.pilot import Pilot

from engine.session import Session
from engine.spec import load_spec
from engine.worker import Worker, WorkerOptions

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


def step_until(sd, session: Session, done: Callable[[], bool], limit: int = 500) -> None:
    """Run a worker's loop in this process until ``done()``."""
    worker = Worker(WorkerOptions(sd.name, sd.url, poll=0.01, search_path=[str(sd.path)]))
    try:
        for _ in range(limit):
            if done():
                return
            worker._step()
        raise AssertionError("the session did not get there")
    finally:
        worker.session.store.touch_worker(worker.id, stopped=True)  # it leaves as workers do
        worker.session.store.close()


async def until(pilot: Pilot, predicate: Callable[[], object], timeout: float = 20) -> None:
    """Let the app run until ``predicate()`` holds (polls happen in threads)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the app did not get there in time")
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


async def confirm(pilot: Pilot, answer: str = "y") -> None:
    """Answer the open yes/no box, after the moment in which it ignores typeahead."""
    from tui.screens.confirm import ConfirmScreen

    await until(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    await pilot.pause(ConfirmScreen.GUARD_SECONDS + 0.05)
    await pilot.press(answer)
