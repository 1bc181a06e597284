"""The cross-sprint view with the keyboard: c opens it, [ ] step the gates, Escape and q leave."""

from __future__ import annotations

from dataclasses import replace

from engine import CrossSprint
from tests.tui.support import run, until
from tui.app import create_app
from tui.screens.campaign import CampaignScreen
from tui.screens.dashboard import DashboardScreen
from tui.source import EngineSource
from tui.widgets.campaign_charts import RankScatter


async def _campaign(app, pilot) -> CampaignScreen:
    await until(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.dashboard)
    await pilot.press("c")
    await until(pilot, lambda: isinstance(app.screen, CampaignScreen) and app.screen.view)
    return app.screen


def _text(screen: CampaignScreen, id: str) -> str:
    return str(screen.query_one(f"#{id}").render())


def test_c_opens_the_sprints_side_by_side_and_escape_goes_back(two_sprints):
    sd, session = two_sprints
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _campaign(app, pilot)
            view = screen.view
            assert view is not None
            assert [s.name for s in view.sprints] == ["scout", "fine"]
            # The second sprint re-ran the first's best: its gate is shown, with its pairs drawn.
            (gate,) = view.gates
            assert (gate.low_sprint, gate.high_sprint) == (1, 2) and gate.pairs
            assert screen.query_one(RankScatter).gate == gate
            said = _text(screen, "gate-text")
            assert "sprint 1 -> 2" in said and f"{len(gate.pairs)} pairs" in said
            assert gate.evidence.verdict in said
            # One best per fidelity, each from its own sprints.
            assert [(b.fidelity, b.sprints) for b in view.bests] == [
                ("epochs=2", (1,)),
                ("epochs=4", (2,)),
            ]
            await pilot.press("escape")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, CampaignScreen))
            await pilot.press("q")  # back, not quit: the app goes on
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            assert app.is_running

    run(flow)


class _TwoGates(EngineSource):
    """The real view with its one gate given twice, as after a third sprint (judged at 3)."""

    def campaign(self) -> CrossSprint:
        view = super().campaign()
        (gate,) = view.gates
        later = replace(gate, low_sprint=2, high_sprint=3, pairs=gate.pairs[::-1])
        return replace(view, gates=(gate, later))


def test_brackets_step_the_gate_shown_and_stay_on_the_picked_one(two_sprints):
    sd, _ = two_sprints
    app = create_app(source=_TwoGates(sd.name, sd.url), poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _campaign(app, pilot)
            chart = screen.query_one(RankScatter)
            assert chart.gate is not None and chart.gate.high_sprint == 3  # the newest first
            assert "1 of 2" not in _text(screen, "gate-text")
            assert "2 of 2" in _text(screen, "gate-text")
            await pilot.press("left_square_bracket")
            assert chart.gate.high_sprint == 2
            assert "sprint 1 -> 2" in _text(screen, "gate-text")
            await pilot.press("left_square_bracket")  # the first: stays
            assert chart.gate.high_sprint == 2
            # A poll keeps the gate the operator picked.
            first = screen.view
            await until(pilot, lambda: screen.view is not first, what="no poll came")
            assert chart.gate.high_sprint == 2
            await pilot.press("right_square_bracket")
            assert chart.gate.high_sprint == 3

    run(flow)


def test_the_view_of_a_session_with_one_sprint_has_no_gate_and_says_so(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _campaign(app, pilot)
            assert screen.view is not None and screen.view.gates == ()
            assert "no sprint has re-run" in _text(screen, "gate-text")
            assert screen.query_one(RankScatter).gate is None
            assert not screen.enabled("gate")  # [ ] have nothing to step

    run(flow)
