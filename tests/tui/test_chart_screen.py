"""The full-screen charts with the keyboard: g opens them, keys pick the chart, the parameter,
the contour's pair and the axis; Escape or q goes back to the dashboard."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import create_trial
from textual_plotext import Plot

from engine.read.chart_views import chart_views
from tests.tui.support import run, until
from tui.app import create_app
from tui.screens.chart import ChartScreen
from tui.screens.dashboard import DashboardScreen
from tui.source import EngineSource
from tui.widgets.charts import KINDS, ViewChart, draw_view

X = FloatDistribution(0.0, 1.0)


def _drawn(screen: ChartScreen) -> str:
    """What the chart shows now, without colour."""
    chart = screen.query_one(ViewChart)
    return re.sub(r"\x1b\[[0-9;]*m", "", chart.plt.build())


async def _charts(app, pilot) -> ChartScreen:
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard)
    await pilot.press("g")
    await until(pilot, lambda: isinstance(app.screen, ChartScreen) and app.screen.views)
    return app.screen


def test_g_opens_the_shown_sprints_charts_and_digits_and_tab_walk_them(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _charts(app, pilot)
            assert screen.views.sprint == 1
            assert screen.kind == "history"
            assert "value by trial" in _drawn(screen)
            assert "[1 history]" in str(screen.query_one("#chart-tabs").render())
            shown = {}
            for key, kind, words in [
                ("2", "slice", "value vs x"),
                ("3", "parallel", "parallel coordinates"),
                ("4", "contour", "contour: best value by x × opt"),
                ("5", "edf", "EDF: share of the"),
                ("6", "timeline", "timeline: what each worker ran when"),
            ]:
                await pilot.press(key)
                assert screen.kind == kind
                await pilot.pause()
                shown[kind] = _drawn(screen)
                assert words in shown[kind], shown[kind]
            await pilot.press("tab")  # from the last back to the first
            assert screen.kind == "history"
            await pilot.press("left")
            assert screen.kind == "timeline"
            await pilot.press("right", "right")
            assert screen.kind == "slice"
            await pilot.press("shift+tab")
            assert screen.kind == "history"

    run(flow)


def test_v_x_y_and_l_change_what_the_chart_shows(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=30)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _charts(app, pilot)
            assert screen.views.params == ("x", "opt", "layers")
            await pilot.press("2")
            assert screen.param == "x"
            await pilot.press("v")
            assert screen.param == "opt"
            await pilot.pause()
            assert "value vs opt" in _drawn(screen)
            await pilot.press("4", "x")  # x moves past opt (it is y) to layers
            await until(pilot, lambda: screen.views.contour.x.name == "layers")
            assert "contour: best value by layers × opt" in _drawn(screen)
            await pilot.press("y")  # y moves from opt to x
            await until(pilot, lambda: screen.views.contour.y.name == "x")
            await pilot.press("v")  # v belongs to the slice: on the contour it does nothing
            assert screen.param == "opt"
            await pilot.press("1")
            assert screen.log_scale is None
            log_first = screen.views.history.log_y
            await pilot.press("l")
            assert screen.log_scale is (not log_first)
            await pilot.press("l")
            assert screen.log_scale is log_first
            await pilot.press("2")  # another chart starts on its data's own axis
            assert screen.log_scale is None

    run(flow)


def test_escape_and_q_go_back_to_the_dashboard(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=30)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _charts(app, pilot)
            await pilot.press("escape")
            assert isinstance(app.screen, DashboardScreen)
            await _charts(app, pilot)
            await pilot.press("q")  # back, not quit: the dashboard is one key away
            assert isinstance(app.screen, DashboardScreen)
            assert app.is_running

    run(flow)


@pytest.mark.parametrize("kind", [k for k, _ in KINDS])
@pytest.mark.parametrize("log", [None, True, False])
def test_each_chart_builds_the_same_picture_twice_on_any_axis(kind, log):
    """A widget builds its figure at every render: a log axis must not be applied twice
    (plotext's own log scale logs the data in place at each build)."""
    trials = [
        create_trial(value=10.0**i, params={"x": (i + 2) / 4}, distributions={"x": X})
        for i in range(-2, 3)
    ]
    for i, t in enumerate(trials):
        t.number = i
    views = chart_views(1, trials, maximize=False, now=datetime.now())
    plt = Plot()
    plt.plotsize(80, 22)
    draw_view(plt, views, kind, "x", log, (80, 22))
    first = plt.build()
    assert plt.build() == first


class _NoSprintSource(EngineSource):
    """A session whose sprints have not started: no charts to show yet."""

    def chart_views(self, sprint=None, pair=None):
        return None


def test_before_any_sprint_ran_the_screen_says_so_and_its_keys_do_nothing(awaiting):
    sd, _ = awaiting
    app = create_app(source=_NoSprintSource(sd.name, sd.url), poll_seconds=30)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            await pilot.press("g")
            await until(pilot, lambda: isinstance(app.screen, ChartScreen) and app.screen._read)
            screen = app.screen
            assert "no sprint ran yet" in str(screen.query_one("#chart-tabs").render())
            await pilot.press("2", "v", "4", "x", "y", "1", "l")
            assert screen.views is None and screen.kind == "history"
            assert "waiting for data" in _drawn(screen)

    run(flow)
