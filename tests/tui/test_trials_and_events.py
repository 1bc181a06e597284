"""Trials and events with the keyboard: pick the table's columns (o), filter the feed by kind
(e), and read on a pruned trial's screen why it was pruned."""

from __future__ import annotations

from textual.widgets import SelectionList

from engine.read.model import trial_rows
from tests.tui.support import dashboard_shown, run, type_text, until
from tui.app import create_app
from tui.screens.columns import ColumnsScreen
from tui.screens.dashboard import DashboardScreen
from tui.screens.trial import TrialScreen
from tui.widgets.event_feed import EventFeed
from tui.widgets.trials_table import TrialsTable

_dashboard = dashboard_shown


async def _toggle(pilot, name: str) -> None:
    """Move to ``name`` in the open column list and press Space on it."""
    options = pilot.app.screen.query_one(SelectionList)
    for _ in range(options.option_count):
        at = options.highlighted
        if at is not None and options.get_option_at_index(at).value == name:
            await pilot.press("space")
            return
        await pilot.press("down")
    raise AssertionError(f"no column {name} in the list")


def test_o_picks_the_columns_and_the_choice_stays_for_the_app(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            table = screen.query_one(TrialsTable)
            # Every trial of a sprint has its fidelity: it is no column until asked for.
            assert "fidelity" not in table.shown_columns() and "x" in table.shown_columns()
            await pilot.press("2", "o")  # from another tab: the trials come back, the list opens
            await until(pilot, lambda: isinstance(app.screen, ColumnsScreen))
            assert screen.query_one("#tabs").active == "trials"
            await _toggle(pilot, "fidelity")
            await _toggle(pilot, "x")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            assert "fidelity" in table.shown_columns() and "x" not in table.shown_columns()
            await pilot.press("o")
            await until(pilot, lambda: isinstance(app.screen, ColumnsScreen))
            await _toggle(pilot, "opt")
            await pilot.press("escape")  # leaves the columns as they were
            await until(pilot, lambda: isinstance(app.screen, DashboardScreen))
            assert "opt" in table.shown_columns()
            polls = id(screen.dashboard)
            await until(pilot, lambda: id(screen.dashboard) != polls)  # a poll keeps the choice
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, TrialScreen))
            await pilot.press("escape")  # and so does a visit to a trial
            assert isinstance(app.screen, DashboardScreen)
            columns = table.shown_columns()
            assert "fidelity" in columns and "x" not in columns and "opt" in columns

    run(flow)


def test_e_cycles_the_feeds_kind_and_each_event_is_one_line_at_80_columns(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            feed = screen.query_one(EventFeed)
            events = screen.dashboard.events
            text = screen.query_one("#events-text")
            status = screen.query_one("#events-status")
            await pilot.press("e")  # from the trials tab: the feed shows, prunes only
            assert screen.query_one("#tabs").active == "events" and feed.kind == "prune"
            prunes = [e for e in events if e.kind == "prune"]
            assert f"prune events only ({len(prunes)} of {len(events)})" in str(status.render())
            await pilot.pause()
            assert text.size.height == len(prunes)  # one line each: nothing wrapped
            shown = str(text.render())
            assert shown.count("prune ") == len(prunes) and "sprint " not in shown
            await pilot.press("e")
            assert feed.kind == "failure"
            assert "no failure events yet" in str(text.render())
            for _ in range(5):  # retry, sprint, proposal, decision, then all again
                await pilot.press("e")
            assert feed.kind is None
            await pilot.pause()
            assert f"all events ({len(events)})" in str(status.render())
            assert text.size.height == len(events)

    run(flow)


def test_a_pruned_trial_says_its_rung_cutoff_and_how_many_went_on(awaiting):
    sd, session = awaiting
    why = {r.number: r.reason for r in trial_rows(session, prune_reasons=True)}
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _dashboard(app, pilot)
            await pilot.press("slash")
            await type_text(pilot, "state=pruned")
            await pilot.press("enter", "enter")
            await until(pilot, lambda: isinstance(app.screen, TrialScreen) and app.screen.detail)
            detail = app.screen.detail
            pruned = detail.pruned
            assert pruned is not None and pruned.rule == "hyperband"
            assert pruned.text == why[detail.number]  # the export's words, from the same numbers
            text = str(app.screen.query_one("#trial-text").render())
            assert "why it was pruned" in text
            assert f"Hyperband rung {pruned.rung}" in text
            assert f"the best {pruned.went_on} of the {pruned.competing} trials" in text

    run(flow)
