"""Layout snapshots at 80×24 and 120×40 (pytest-textual-snapshot), on pinned data.

The data comes from a real session built the same way every run; only what depends on the
clock (event times, pace, live workers, trial times) is pinned, so the pictures are stable.
Update them after a deliberate layout change with ``pytest tests/tui --snapshot-update``.

They are pictures of what one Textual version draws: another may draw other pixels (a border,
a glyph, a colour) with the layout unchanged. The version they were made with is kept beside
them; with another installed they are not compared (CI fails, a desk skips) until regenerated.
"""

from __future__ import annotations

import importlib.util
import os
import time
from dataclasses import replace
from datetime import datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import pytest

from engine.gpu import NO_LIBRARY, GpuSample, GpuUnavailable
from engine.read.chart_views import ChartViews
from engine.read.views import Dashboard, TrialDetail
from engine.read.workers import WorkerRow
from tests.services import missing, needs
from tests.tui.support import settle, type_text, until
from tui.app import create_app
from tui.screens.campaign import CampaignScreen
from tui.screens.chart import ChartScreen
from tui.screens.columns import ColumnsScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.proposal import ProposalScreen
from tui.screens.trial import TrialScreen
from tui.source import EngineSource
from tui.widgets.charts import KINDS

if importlib.util.find_spec("pytest_textual_snapshot") is None:  # a dev dependency
    pytestmark = needs(False, "pytest-textual-snapshot", "pip install -e '.[dev]'")

T0 = datetime(2026, 1, 1, 12, 0, 0)
#: The Textual version the pictures were made with; ``--snapshot-update`` rewrites it.
MADE_WITH = Path(__file__).parent / "snapshots-textual-version"  # beside, not in, syrupy's folder


@pytest.fixture(autouse=True)
def _made_with_this_textual(request):
    installed = version("textual")
    if request.config.getoption("update_snapshots", default=False):
        MADE_WITH.write_text(f"{installed}\n")
        return
    made = MADE_WITH.read_text().strip()
    if made != installed:
        why = (
            f"the snapshots were made with Textual {made} and Textual {installed} is installed: "
            "look at the pictures it draws, then regenerate them with "
            "`pytest tests/tui/test_snapshots.py --snapshot-update` (which records the version)"
        )
        missing(why)


@pytest.fixture(autouse=True)
def _utc():
    """Times show in local time: make that UTC for the pictures."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


class PinnedSource(EngineSource):
    """The real source with the clock taken out of what it returns."""

    def dashboard(self, sprint: int | None = None) -> Dashboard:
        d = super().dashboard(sprint)
        events = tuple(replace(e, at=T0 + timedelta(seconds=7 * i)) for i, e in enumerate(d.events))
        whole = replace(d.view.progress, to_end=75.0, unknown=None)  # as if 2 workers waited
        view = replace(d.view, workers_alive=2, progress=whole)
        progress = replace(d.progress, per_trial=12.5, eta=None)
        return replace(d, view=view, events=events, progress=progress)

    def chart_views(
        self, sprint: int | None = None, pair: tuple[str, str] | None = None
    ) -> ChartViews | None:
        v = super().chart_views(sprint, pair)
        if v is None:
            return None
        # Each bar keeps its worker and state; its times are made up from its place.
        bars = tuple(
            replace(b, start=7.0 * i, end=7.0 * i + (3.0 if b.state == "pruned" else 12.0))
            for i, b in enumerate(v.timeline.bars)
        )
        span = max((b.end for b in bars), default=0.0)
        return replace(v, timeline=replace(v.timeline, bars=bars, span=span))

    def trial(self, sprint: int, number: int) -> TrialDetail:
        return replace(
            super().trial(sprint, number), started=T0, finished=T0 + timedelta(seconds=42)
        )


def _app(sd):
    return create_app(source=PinnedSource(sd.name, sd.url), poll_seconds=3600)


async def _loaded(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard)
    await settle(pilot)
    app.clear_notifications()  # the toast saying a proposal waits, posted on the first poll
    await settle(pilot)


def test_dashboard_80x24(awaiting, snap_compare):
    sd, _ = awaiting
    assert snap_compare(_app(sd), terminal_size=(80, 24), run_before=_loaded)


def test_dashboard_120x40(awaiting, snap_compare):
    sd, _ = awaiting
    assert snap_compare(_app(sd), terminal_size=(120, 40), run_before=_loaded)


def test_events_and_charts_120x40(awaiting, snap_compare):
    sd, _ = awaiting

    async def charts(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(_app(sd), terminal_size=(120, 40), run_before=charts)


def test_proposal_review_80x24(awaiting, snap_compare):
    sd, _ = awaiting

    async def review(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("p")
        await until(
            pilot, lambda: isinstance(pilot.app.screen, ProposalScreen) and pilot.app.screen.draft
        )
        await pilot.press("down", "e")  # the edit prompt for opt's choices, open
        await settle(pilot)

    assert snap_compare(_app(sd), terminal_size=(80, 24), run_before=review)


def test_trial_detail_80x24(awaiting, snap_compare):
    sd, _ = awaiting

    async def trial(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("enter")
        await until(
            pilot, lambda: isinstance(pilot.app.screen, TrialScreen) and pilot.app.screen.detail
        )
        await settle(pilot)

    assert snap_compare(_app(sd), terminal_size=(80, 24), run_before=trial)


def test_too_small_60x20(awaiting, snap_compare):
    sd, _ = awaiting
    assert snap_compare(_app(sd), terminal_size=(60, 20), run_before=_loaded)


async def _campaign(pilot) -> None:
    await _loaded(pilot)
    await pilot.press("c")
    await until(
        pilot, lambda: isinstance(pilot.app.screen, CampaignScreen) and pilot.app.screen.view
    )
    await settle(pilot)


def test_campaign_80x24(two_sprints, snap_compare):
    sd, _ = two_sprints
    assert snap_compare(_app(sd), terminal_size=(80, 24), run_before=_campaign)


def test_campaign_120x40(two_sprints, snap_compare):
    sd, _ = two_sprints
    assert snap_compare(_app(sd), terminal_size=(120, 40), run_before=_campaign)


# -- the workers tab ---------------------------------------------------------------------------
LAPTOP = (
    WorkerRow(3, "laptop", 977, None, "alive", 1.0, GpuUnavailable(NO_LIBRARY), 1.0),
    WorkerRow(6, "laptop", 978, None, "alive", 2.0, GpuUnavailable(NO_LIBRARY), 2.0),
)
GPU_BOXES = (
    WorkerRow(
        1, "gpubox-a", 4242, "0", "alive", 2.0, GpuSample(0, "NVIDIA H200", 87, 61440, 143771), 2.0
    ),
    WorkerRow(
        2, "gpubox-a", 4243, "1", "alive", 2.0, GpuSample(1, "NVIDIA H200", 3, 1210, 143771), 4.0
    ),
    WorkerRow(
        4,
        "gpubox-b",
        5120,
        "MIG-6d0c2a4e-6b8e-5c6f-9a1d-0b9d1c7e2f11",
        "alive",
        3.0,
        GpuSample(None, "NVIDIA A100-SXM4-80GB MIG 1g.10gb", None, 812, 9728),
        3.0,
    ),
    LAPTOP[0],
    WorkerRow(5, "old-box", 13, None, "alive", 3.0, None, None),
    WorkerRow(
        7,
        "gpubox-c",
        801,
        "2",
        "silent",
        95.0,
        GpuUnavailable("NVML did not start: Driver Not Loaded (no NVIDIA driver here?)"),
        95.0,
    ),
)


class WorkersSource(PinnedSource):
    """Pinned data with made-up workers on several boxes (their samples and ages fixed)."""

    def __init__(self, name: str, url: str, workers: tuple[WorkerRow, ...]) -> None:
        super().__init__(name, url)
        self.workers = workers

    def dashboard(self, sprint: int | None = None) -> Dashboard:
        return replace(super().dashboard(sprint), workers=self.workers)


def _workers_app(sd, workers: tuple[WorkerRow, ...]):
    return create_app(source=WorkersSource(sd.name, sd.url, workers), poll_seconds=3600)


async def _workers_tab(pilot) -> None:
    await _loaded(pilot)
    await pilot.press("4")
    await settle(pilot)


def test_workers_with_gpus_80x24(awaiting, snap_compare):
    sd, _ = awaiting
    app = _workers_app(sd, GPU_BOXES)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_workers_tab)


def test_workers_with_gpus_120x40(awaiting, snap_compare):
    sd, _ = awaiting
    app = _workers_app(sd, GPU_BOXES)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_workers_tab)


def test_workers_without_gpu_data_80x24(awaiting, snap_compare):
    sd, _ = awaiting
    app = _workers_app(sd, LAPTOP)
    assert snap_compare(app, terminal_size=(80, 24), run_before=_workers_tab)


def test_workers_without_gpu_data_120x40(awaiting, snap_compare):
    sd, _ = awaiting
    app = _workers_app(sd, LAPTOP)
    assert snap_compare(app, terminal_size=(120, 40), run_before=_workers_tab)


async def _events(pilot, *keys: str) -> None:
    await _loaded(pilot)
    await pilot.press(*keys)
    await settle(pilot)


def test_events_80x24(awaiting, snap_compare):
    sd, _ = awaiting

    async def events(pilot) -> None:
        await _events(pilot, "2")

    assert snap_compare(_app(sd), terminal_size=(80, 24), run_before=events)


def test_events_of_one_kind_120x40(awaiting, snap_compare):
    sd, _ = awaiting

    async def prunes(pilot) -> None:
        await _events(pilot, "e")  # prunes only

    assert snap_compare(_app(sd), terminal_size=(120, 40), run_before=prunes)


async def _pruned_trial(pilot) -> None:
    await _loaded(pilot)
    await pilot.press("slash")
    await type_text(pilot, "state=pruned")
    await pilot.press("enter", "enter")  # the first pruned trial, the newest
    await until(
        pilot, lambda: isinstance(pilot.app.screen, TrialScreen) and pilot.app.screen.detail
    )
    await settle(pilot)


def test_pruned_trial_80x24(awaiting, snap_compare):
    sd, _ = awaiting
    assert snap_compare(_app(sd), terminal_size=(80, 24), run_before=_pruned_trial)


def test_pruned_trial_120x40(awaiting, snap_compare):
    sd, _ = awaiting
    assert snap_compare(_app(sd), terminal_size=(120, 40), run_before=_pruned_trial)


async def _columns(pilot) -> None:
    await _loaded(pilot)
    await pilot.press("o")
    await until(pilot, lambda: isinstance(pilot.app.screen, ColumnsScreen))
    await settle(pilot)


def test_column_picker_80x24(awaiting, snap_compare):
    sd, _ = awaiting
    assert snap_compare(_app(sd), terminal_size=(80, 24), run_before=_columns)


def test_column_picker_120x40(awaiting, snap_compare):
    sd, _ = awaiting
    assert snap_compare(_app(sd), terminal_size=(120, 40), run_before=_columns)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("key,kind", [(str(i + 1), k) for i, (k, _) in enumerate(KINDS)])
def test_full_screen_chart(awaiting, snap_compare, key, kind, size):
    sd, _ = awaiting

    async def chart(pilot) -> None:
        await _loaded(pilot)
        await pilot.press("g")
        await until(
            pilot, lambda: isinstance(pilot.app.screen, ChartScreen) and pilot.app.screen.views
        )
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(_app(sd), terminal_size=size, run_before=chart)
