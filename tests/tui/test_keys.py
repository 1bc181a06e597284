"""Keys on every screen: focus after switching panes, bursts read in one chunk, the yes/no
box's guard, and the too-small notice after the terminal grows back."""

from __future__ import annotations

from textual import events
from textual.app import App
from textual.widgets import DataTable, Static, TabbedContent

from engine.session import Session
from tests.conftest import SessionDir, write_spec
from tests.tui.support import (
    EXTRA,
    burst,
    create,
    dashboard_shown,
    keys_reaching,
    past_guard,
    run,
    step_until,
    until,
)
from tui.app import create_app
from tui.screens.confirm import ConfirmScreen
from tui.screens.help import HelpScreen
from tui.screens.proposal import ProposalScreen
from tui.widgets.trials_table import TrialsTable

_dashboard = dashboard_shown


def test_after_switching_panes_the_panes_keys_act_at_once(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            table = screen.query_one(TrialsTable)
            data = screen.query_one("#trials-data", DataTable)
            await pilot.press("2")
            assert app.focused is screen.query_one("#event-feed")
            await pilot.press("3")
            assert app.focused is screen.query_one("#chart-importance")
            await pilot.press("1")
            assert app.focused is data
            column = table.sort_column
            await pilot.press("s")
            assert table.sort_column != column
            data.move_cursor(row=0)
            await pilot.press("down", "j")
            assert data.cursor_row == 2

    run(flow)


def test_pane_keys_in_a_burst_settle_on_the_last_pane_at_once(awaiting):
    """Each switch queues messages (the tab activated, the pane focused) that arrive after the
    burst's later keys; acting on the stale ones switched the panes back and forth on their own,
    for a minute of CPU."""
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)
    focused: list[str | None] = []

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            tabs = screen.query_one(TabbedContent)
            screen.watch(app.screen, "focused", lambda w: focused.append(w and w.id), init=False)
            keys = [(k, k) for k in "2ee341"] + [(k, k) for k in "3434"]
            burst(app, *keys)
            await pilot.pause(1.5)
            assert tabs.active == "workers"
            assert app.focused is screen.query_one("#workers-pane")
            # One focus change per key at most: no pane switches on its own after the burst.
            assert len(focused) <= len(keys), focused

    run(flow)


def test_a_clicked_tab_shows_its_pane_and_focuses_it(awaiting):
    sd, _ = awaiting
    # No poll after the first: a later one may rewrap the header at 80 columns and move the
    # tabs between the pilot finding a tab and its click landing (a click that then misses).
    app = create_app(sd.name, sd.url, poll_seconds=60)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            await pilot.pause()
            tabs = screen.query_one(TabbedContent)
            for pane, main in (("charts", "#chart-importance"), ("events", "#event-feed")):
                assert await pilot.click(f"#--content-tab-{pane}")
                await until(pilot, lambda main=main: app.focused is screen.query_one(main))
                assert tabs.active == pane

    run(flow)


def _three_sprints_running_the_third(path) -> SessionDir:
    sprints = [
        {"name": "scout", "trials": 12},
        {"name": "warm", "trials": 4, "epochs": 2},
        {"name": "full", "trials": 3, "epochs": 4},
    ]
    write_spec(path, "t", "quadratic", sprints, extra=EXTRA)
    sd = SessionDir(path, "t")
    session = create(sd)
    for after in (1, 2):
        step_until(sd, session, lambda: session.refresh().state == "awaiting")
        session.decide("accepted", after=after)
    session.store.close()
    return sd


def test_sprint_keys_in_a_burst_each_move_one_sprint(tmp_path):
    sd = _three_sprints_running_the_third(tmp_path)
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            assert screen.dashboard.shown == 3
            burst(app, ("left_square_bracket", "["), ("left_square_bracket", "["))
            await until(pilot, lambda: screen.dashboard.shown == 1)
            burst(app, ("right_square_bracket", "]"), ("right_square_bracket", "]"))
            await until(pilot, lambda: screen.dashboard.shown == 3 and screen.sprint is None)

    run(flow)


def test_help_scrolls_a_line_per_key_in_a_burst(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)
    downs, ups = 5, 2  # one line each

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _dashboard(app, pilot)
            burst(app, ("question_mark", "?"), *[("down", None)] * downs)
            await until(pilot, lambda: isinstance(app.screen, HelpScreen))
            view = app.screen.view
            await until(pilot, lambda: view.scroll_y == downs)
            burst(app, *[("k", "k")] * ups)
            await until(pilot, lambda: view.scroll_y == downs - ups)

    run(flow)


def test_a_key_still_queued_as_the_app_closes_is_dropped(awaiting):
    # A burst typed just before the app closed reaches on_key after its screens are gone (a
    # full run saw ScreenStackError raised out of run_test this way); with no screen it goes.
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)
    assert not app.screen_stack
    app.on_key(events.Key("x", "x"))


def test_the_sessions_list_moves_with_j_and_k(tmp_path):
    for name in ("a", "b", "c"):
        d = tmp_path / name
        d.mkdir()
        write_spec(d, name, "quadratic", [{"name": "only", "trials": 2}])
        create(SessionDir(d, name)).store.close()
        (tmp_path / "sessions").mkdir(exist_ok=True)
        (d / "sessions" / f"{name}.db").rename(tmp_path / "sessions" / f"{name}.db")
    app = create_app(sessions_dir=tmp_path / "sessions", poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            table = app.screen.query_one("#sessions-data", DataTable)
            await until(pilot, lambda: table.row_count == 3)
            burst(app, ("j", "j"), ("j", "j"), ("k", "k"))
            await until(pilot, lambda: table.cursor_row == 1)

    run(flow)


class _Box(App):
    pass


def test_the_yes_no_guard_starts_when_the_box_is_painted_not_mounted(monkeypatch):
    """Under load a box is mounted well before it is painted; keys in between never answer."""
    held: list = []
    monkeypatch.setattr(ConfirmScreen, "call_after_refresh", lambda self, cb: held.append(cb))
    app = _Box()
    box = ConfirmScreen("Accept?")
    asked = keys_reaching(box)  # each key that reached the box, taken or not
    answers: list = []

    async def flow() -> None:
        async with app.run_test() as pilot:
            app.push_screen(box, answers.append)
            await until(pilot, lambda: held)
            await past_guard(pilot)  # mounted a guard's length ago, and still not drawn
            await pilot.press("y")
            await until(pilot, lambda: len(asked) == 1)
            assert isinstance(app.screen, ConfirmScreen)  # reached the box, which still asks
            held[0]()  # painted now
            await pilot.press("y")  # inside the guard, counted from the paint
            await until(pilot, lambda: len(asked) == 2)
            assert isinstance(app.screen, ConfirmScreen)
            await past_guard(pilot)
            await pilot.press("y")
            await until(pilot, lambda: answers == [True])

    run(flow)


def test_the_yes_no_box_says_when_it_starts_to_listen():
    app = _Box()
    box = ConfirmScreen("Accept?")

    def keys_line() -> str:
        return str(box.query_one("#confirm-keys", Static).render())

    async def flow() -> None:
        async with app.run_test() as pilot:
            app.push_screen(box)
            await until(pilot, lambda: box.is_mounted)
            assert keys_line() == ConfirmScreen.WAITING
            await until(pilot, lambda: keys_line() == ConfirmScreen.READY, what="never listened")
            await pilot.press("y")  # seen listening: the key counts
            await until(pilot, lambda: box not in app.screen_stack, what="y did not answer")

    run(flow)


def test_the_too_small_notice_goes_when_the_terminal_grows_back_behind_a_screen(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            dashboard = await _dashboard(app, pilot)
            await pilot.resize_terminal(70, 20)
            await until(pilot, lambda: dashboard.query_one("TooSmall").display)
            await pilot.press("p")
            await until(pilot, lambda: isinstance(app.screen, ProposalScreen))
            await pilot.resize_terminal(80, 24)  # grows back while the review is in front
            await until(pilot, lambda: not app.screen.query_one("TooSmall").display)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is dashboard)
            await until(pilot, lambda: not dashboard.query_one("TooSmall").display)

    run(flow)
    assert Session.open(sd.name, sd.url).decisions() == []
