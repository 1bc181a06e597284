"""The workers tab (4): each live worker's host and GPU, as the workers stored them."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Static

from engine.gpu import NO_LIBRARY, GpuSample, GpuUnavailable, to_dict
from tests.tui.support import run, until
from tui.app import create_app
from tui.screens.dashboard import DashboardScreen
from tui.widgets.workers_pane import NO_WORKERS, WorkersPane


def _text(pane: WorkersPane) -> str:
    """What the pane's text shows, laid out wide enough that no cell wraps."""
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(pane.query_one("#workers-text", Static).content)
    return console.export_text()


def test_key_4_lists_each_workers_gpu_or_why_there_is_none(awaiting):
    sd, session = awaiting
    store, sid = session.store, session.record.id
    busy = store.register_worker(sid, "gpubox-a", 4242, "1", None)
    store.record_gpu(busy, to_dict(GpuSample(1, "NVIDIA H200", 87, 61440, 143771)))
    bare = store.register_worker(sid, "laptop", 977, None, None)
    store.record_gpu(bare, to_dict(GpuUnavailable(NO_LIBRARY)))
    left = store.register_worker(sid, "gone-box", 13, "0", None)
    store.touch_worker(left, stopped=True)
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            screen = app.screen
            assert isinstance(screen, DashboardScreen)
            await pilot.press("4")
            pane = screen.query_one(WorkersPane)
            await until(pilot, lambda: len(pane.listed) == 2, what="no workers listed")
            assert app.focused is pane  # its arrows scroll it at once
            text = _text(pane)
            assert "gpubox-a" in text and "87 %" in text and "61440/143771" in text
            assert "NVIDIA H200" in text
            assert f"no GPU data: {NO_LIBRARY}" in text
            assert "gone-box" not in text  # it left the session
            store.record_gpu(busy, to_dict(GpuSample(1, "NVIDIA H200", 12, 900, 143771)))
            await until(pilot, lambda: "12 %" in _text(pane), what="the next sample never showed")

    run(flow)


def test_a_session_without_workers_says_how_to_add_one(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            await until(pilot, lambda: app.screen.dashboard is not None)
            await pilot.press("4")
            pane = app.screen.query_one(WorkersPane)
            assert pane.listed == ()
            assert _text(pane).strip() == NO_WORKERS

    run(flow)
