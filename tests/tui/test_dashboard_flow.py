"""The dashboard with the keyboard: filter and sort the table, switch sprints, open a trial."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.exc import OperationalError
from textual.widgets import DataTable

from engine.read.model import trial_rows
from tests.tui.support import dashboard_shown, run, said, type_text, until
from tui.app import create_app
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.sessions import SessionsScreen
from tui.screens.trial import TrialScreen
from tui.source import EngineSource
from tui.widgets.trials_table import TrialsTable

_dashboard = dashboard_shown


def _shown_numbers(screen: DashboardScreen) -> list[int]:
    table = screen.query_one("#trials-data", DataTable)
    return [int(str(table.get_row_at(i)[0])) for i in range(table.row_count)]  # the "#" column


def test_filter_the_table_by_state_and_by_parameter(awaiting):
    sd, session = awaiting
    rows = trial_rows(session)
    pruned = sorted(r.number for r in rows if r.state == "pruned")
    low_x = sorted(r.number for r in rows if r.state == "pruned" and r.params["x"] < 0.5)
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            assert sorted(_shown_numbers(screen)) == sorted(r.number for r in rows)
            await pilot.press("slash")
            await type_text(pilot, "state=pruned")
            await pilot.press("enter")
            assert sorted(_shown_numbers(screen)) == pruned
            await pilot.press("slash")
            await type_text(pilot, " x<0.5")
            await pilot.press("enter")
            assert sorted(_shown_numbers(screen)) == low_x
            status = str(screen.query_one("#trials-status").render())
            assert f"{len(low_x)} of {len(rows)} trials" in status
            await pilot.press("slash", "escape")  # Escape clears the filter
            assert len(_shown_numbers(screen)) == len(rows)

    run(flow)


def _by_value(session) -> list[int]:
    """Complete trials best (lowest: the session minimises) first, then the rest newest first."""
    rows = trial_rows(session)
    done = sorted((r for r in rows if r.state == "complete"), key=lambda r: r.value)
    rest = sorted((r.number for r in rows if r.state != "complete"), reverse=True)
    return [r.number for r in done] + rest


def test_the_table_opens_by_value_best_first_and_s_still_sorts(awaiting):
    sd, session = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)
    by_value = _by_value(session)
    done = sum(r.state == "complete" for r in trial_rows(session))

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            table = screen.query_one(TrialsTable)
            assert (table.sort_column, table.sort_reverse) == ("value", False)
            assert _shown_numbers(screen) == by_value
            assert "sorted by value ↑ best first" in str(table.query_one("#trials-status").render())
            await pilot.press("S")  # the worst value first; trials without one stay after
            assert _shown_numbers(screen) == by_value[:done][::-1] + by_value[done:]
            await pilot.press("s")
            assert table.sort_column == "step"

    run(flow)


def test_a_long_sprint_shows_a_window_of_rows_that_filter_and_sort_move(awaiting, monkeypatch):
    sd, session = awaiting
    monkeypatch.setattr(TrialsTable, "max_shown", 5)
    rows = trial_rows(session)
    pruned = sorted((r.number for r in rows if r.state == "pruned"), reverse=True)
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            assert _shown_numbers(screen) == _by_value(session)[:5]  # the best five
            status = str(screen.query_one("#trials-status").render())
            assert f"first 5 of {len(rows)} matching ({len(rows)} trials)" in status
            await pilot.press("slash")  # a filter narrows before the window
            await type_text(pilot, "state=pruned")
            await pilot.press("enter")
            assert _shown_numbers(screen) == pruned[:5]  # no value: the newest first
            await pilot.press("slash", "escape")
            table = screen.query_one(TrialsTable)
            while table.sort_column != "#":
                await pilot.press("s")
            await pilot.press("S")  # by #, descending: the newest five
            assert _shown_numbers(screen) == sorted((r.number for r in rows), reverse=True)[:5]

    run(flow)


def test_open_a_trial_and_go_back(awaiting):
    sd, session = awaiting
    best = _by_value(session)[0]  # where the cursor starts
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await _dashboard(app, pilot)
            await pilot.press("enter")  # the cursor starts on the best trial
            await until(pilot, lambda: isinstance(app.screen, TrialScreen) and app.screen.detail)
            detail = app.screen.detail
            assert (detail.sprint, detail.number) == (1, best)
            text = str(app.screen.query_one("#trial-text").render())
            assert f"trial {best}" in text and "x = " in text and "opt = " in text
            await pilot.press("escape")
            assert isinstance(app.screen, DashboardScreen)

    run(flow)


def test_sprints_tabs_help_and_sessions(awaiting):
    sd, session = awaiting
    session.decide("accepted", operator="ann@box")
    app = create_app(sd.name, sd.url, poll_seconds=0.2, sessions_dir=sd.path / "sessions")

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            await until(pilot, lambda: screen.dashboard.shown == 2)
            await pilot.press("left_square_bracket")
            await until(pilot, lambda: screen.dashboard.shown == 1)
            assert len(_shown_numbers(screen)) == 24
            await pilot.press("2")
            feed = str(screen.query_one("#events-text").render())
            assert "accepted by ann@box" in feed and "vs cut-off ≈" in feed
            await pilot.press("3", "v")
            assert screen.param == "opt"
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape", "L")
            await until(
                pilot, lambda: isinstance(app.screen, SessionsScreen) and app.screen.sessions
            )
            assert [s.name for s in app.screen.sessions] == ["t"]
            await pilot.press("enter")  # opens the session again, on a fresh dashboard
            await _dashboard(app, pilot)

    run(flow)


def test_a_small_terminal_is_told_so(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(70, 20)) as pilot:
            screen = await _dashboard(app, pilot)
            notice = screen.query_one("TooSmall")
            assert notice.display and "needs at least 80×24" in str(notice.render())
            await pilot.resize_terminal(80, 24)
            await until(pilot, lambda: not notice.display)

    run(flow)


class _AwaySource(EngineSource):
    """The storage goes away after the first poll, then comes back when the test says."""

    away = False
    failed_polls = 0

    def dashboard(self, sprint=None):
        if self.away:
            self.failed_polls += 1
            raise OperationalError("SELECT 1", {}, Exception("connection refused [simulated]"))
        return super().dashboard(sprint)


def test_an_unreachable_storage_is_said_once_and_shown_until_it_is_back(awaiting):
    sd, _ = awaiting
    source = _AwaySource(sd.name, sd.url)
    app = create_app(sd.name, sd.url, source=source, poll_seconds=0.1)
    notices = said(app)

    async def flow() -> None:
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            screen = await _dashboard(app, pilot)
            banner = screen.query_one("#storage-banner")
            assert not banner.display
            source.away = True
            await until(pilot, lambda: banner.display)
            said = str(banner.render())
            assert "cannot read the storage since" in said and "keeps trying" in said
            assert "connection refused [simulated]" in said
            await until(pilot, lambda: source.failed_polls > 3)
            told = [m for m in notices if "storage is unreachable" in m]
            assert len(told) == 1 and app.is_running, notices  # said once, not once per poll
            source.away = False
            await until(pilot, lambda: not banner.display)

    run(flow)


def test_the_header_shows_the_whole_sessions_progress(awaiting):
    sd, _ = awaiting
    app = create_app(sd.name, sd.url, poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _dashboard(app, pilot)
            lines = str(screen.query_one("#header-lines").render()).splitlines()
            overall = next(line for line in lines if line.startswith("overall "))
            # 24 of the 24 + 6 (the proposal's sprint) trials: 80 %, 10 of 12 cells.
            assert overall.startswith("overall ██████████░░ 80% · sprint 1/2 · ")
            assert "24/30 trials done, 6 left" in overall
            assert "time left unknown (no worker is alive)" in overall

    run(flow)


def test_the_sessions_screen_lists_every_database_and_says_why_one_is_unusable(awaiting):
    from engine.session import Session
    from engine.spec import load_spec
    from tests.conftest import write_spec

    sd, _ = awaiting
    home = sd.path / "sessions"
    other = sd.path / "other"
    other.mkdir()
    spec = load_spec(write_spec(other, "u", "quadratic", [{"name": "only", "trials": 3}]))
    url = f"sqlite:///{home / 'u.db'}"
    Session.create_or_resume(spec, "spec", url, [str(other)]).session.store.close()
    (home / "junk.db").write_text("not a database\n")
    app = create_app(None, None, poll_seconds=0.2, sessions_dir=home)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await until(
                pilot, lambda: isinstance(app.screen, SessionsScreen) and app.screen.sessions
            )
            screen = app.screen
            assert [(s.name, s.state) for s in screen.sessions] == [
                ("t", "awaiting"),
                ("u", "running"),
            ]
            assert screen.query_one(DataTable).row_count == 2
            title = str(screen.query_one("#sessions-title").render())
            assert "2 session(s) in" in title
            notes = screen.query_one("#sessions-unusable")
            assert notes.display
            said = str(notes.render())
            assert said == "✗ unusable: junk.db is not a SQLite database; it was left untouched"
            await pilot.press("down", "enter")  # the second row: u, on its dashboard
            board = await _dashboard(app, pilot)
            assert board.dashboard.view.name == "u"

    run(flow)


def test_a_big_sessions_first_poll_shows_the_trials_and_the_next_at_once_the_rest(
    awaiting, monkeypatch
):
    import engine.read.views as views

    sd, _ = awaiting
    full = views.Watch(sd.name, sd.url).dashboard()  # 24 trials: under the bar, whole at once
    assert not full.partial and full.events and full.charts is not None
    monkeypatch.setattr(views, "QUICK_FIRST_TRIALS", 10)
    watch = views.Watch(sd.name, sd.url)
    first = watch.dashboard()
    assert first.partial and first.events == () and first.charts is None
    assert first.view == full.view and first.progress == full.progress
    second = watch.dashboard()
    assert not second.partial and second.events == full.events
    assert second.charts == full.charts

    class Counting(EngineSource):
        polls: list[bool] = []

        def dashboard(self, sprint=None):
            d = super().dashboard(sprint)
            self.polls.append(d.partial)
            return d

    source = Counting(sd.name, sd.url)
    app = create_app(sd.name, sd.url, source=source, poll_seconds=60)  # no tick in the test

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            await until(pilot, lambda: len(source.polls) >= 2)
            assert source.polls[:2] == [True, False]  # the second poll came at once
            await until(pilot, lambda: screen.dashboard and not screen.dashboard.partial)
            text = str(screen.query_one("#events-text").render())
            assert "reading the events" not in text and "no events yet" not in text

    run(flow)


def test_the_event_feed_says_it_is_reading_until_the_events_come(awaiting):
    from tui.widgets.event_feed import EventFeed

    sd, _ = awaiting

    class Partial(EngineSource):
        def dashboard(self, sprint=None):
            return replace(super().dashboard(sprint), events=(), charts=None, partial=True)

    app = create_app(sd.name, sd.url, source=Partial(sd.name, sd.url), poll_seconds=0.2)

    async def flow() -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await _dashboard(app, pilot)
            await pilot.press("2")
            feed = screen.query_one(EventFeed)
            await until(pilot, lambda: screen.dashboard is not None)
            await pilot.pause(0.5)  # several partial polls: none may say "no events"
            assert feed.events is None
            assert "reading the events" in str(screen.query_one("#events-text").render())

    run(flow)


def test_a_small_sessions_first_poll_leaves_the_importance_library_to_a_thread(session_dir):
    """The first importance imports scikit-learn (fANOVA): 1.7 s that held up the first screen
    of a 20-trial session. In a fresh interpreter, as the app starts."""
    import subprocess
    import sys

    from tests.tui.support import EXTRA, create, step_until

    sd = session_dir(sprints=[{"name": "only", "trials": 12}], extra=EXTRA)
    session = create(sd)
    step_until(sd, session, lambda: session.refresh().state == "finished")
    session.store.close()
    code = f"""
import sys, time
from engine.read.views import Watch
watch = Watch({sd.name!r}, {sd.url!r})
first = watch.dashboard().charts.importance_title
assert "being computed" in first and "sklearn" not in sys.modules, first
for _ in range(300):
    title = watch.dashboard().charts.importance_title
    if "being computed" not in title:
        break
    time.sleep(0.1)
print(title)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "importance by fANOVA on 12 trials", done.stdout
