"""A watch reads a session incrementally, and what it shows after any change equals a fresh read.

Each poll reads from the store only the trials that were unfinished at the last poll, those
created since, and (when the summary of the older ones disagrees) those that went or came late
(``engine.read.reader.TrialCache``). These tests change a live sprint the ways workers, the
operator and a person at the database can, and compare the long-lived watch with a new one.
"""

from __future__ import annotations

import contextlib
import random
import time
from dataclasses import dataclass, replace
from typing import Any

import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial, Trial, TrialState, create_trial
from sqlalchemy import create_engine, delete, insert, select

from engine.attrs import FAIL_REASON, RETRY_OF
from engine.errors import SessionError
from engine.operations import requeue_trial
from engine.optuna_internals import TRIAL_HEARTBEATS, TRIAL_PARTS, TRIALS, storage_trial_id
from engine.read.plots import live_importance
from engine.read.views import Dashboard, LiveImportance, Watch
from engine.records import SprintRecord
from engine.session import Session
from engine.spec import load_spec
from engine.store import Store
from tests.conftest import SessionDir


@dataclass
class Live:
    sd: SessionDir
    session: Session
    sprint: SprintRecord
    watch: Watch

    def study(self) -> Any:
        """A new handle on the sprint's study each time: Optuna's own cache of a handle knows
        nothing of rows deleted behind its back."""
        return self.session.study(self.sprint)

    def rows(self) -> dict[int, Any]:
        return {r.number: r for r in self.watch.dashboard().view.trials}

    def ask(self) -> Trial:
        trial = self.study().ask()
        trial.suggest_float("x", 0.0, 1.0)
        return trial


@pytest.fixture
def live(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 500, "epochs": 4}])
    spec = load_spec(sd.spec)
    session = Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session
    watch = Watch(sd.name, sd.url)
    yield Live(sd, session, session.current(), watch)
    watch.close()
    session.store.close()


def _comparable(d: Dashboard) -> Dashboard:
    # The live importance is recomputed only when the completed trials grew by a tenth, by
    # design: a fresh watch computes it now. Everything else must agree.
    charts = d.charts and replace(d.charts, importance=(), importance_title="")
    return replace(d, charts=charts)


def assert_as_fresh(live: Live) -> None:
    """The long-lived watch shows what a new one shows, and holds Optuna's own trials."""
    seen = live.watch.dashboard()
    fresh = Watch(live.sd.name, live.sd.url)
    try:
        assert _comparable(seen) == _comparable(fresh.dashboard())
    finally:
        fresh.close()
    # Optuna's storage itself, not a study's cache: that keys trials by number, and a deletion
    # by hand lets Optuna give a later trial a number already taken.
    storage = live.session.store.optuna_storage()
    study_id = storage.get_study_id_from_name(live.sprint.study_name)
    theirs = sorted(storage.get_all_trials(study_id, deepcopy=False), key=_order)
    assert live.watch.session.trials(live.sprint) == theirs


def _all(live: Live) -> list[FrozenTrial]:
    return live.study().get_trials(deepcopy=False)


def _order(t: FrozenTrial) -> tuple[int, int]:
    return t.number, storage_trial_id(t)


def _hide(url: str, trial_id: int) -> list[tuple[Any, list[dict[str, Any]]]]:
    """Delete a trial's rows from Optuna's tables, as a person at the database could; returns
    them, to put back."""
    engine = create_engine(url)
    tables = [part for part, _, _ in TRIAL_PARTS] + [TRIAL_HEARTBEATS, TRIALS]
    saved = []
    with engine.begin() as conn:
        for table in tables:
            where = table.c.trial_id == trial_id
            rows = [dict(r._mapping) for r in conn.execute(select(table).where(where))]
            conn.execute(delete(table).where(where))
            saved.append((table, rows))
    engine.dispose()
    return saved


def _restore(url: str, saved: list[tuple[Any, list[dict[str, Any]]]]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for table, rows in reversed(saved):
            if rows:
                conn.execute(insert(table), rows)
    engine.dispose()


def test_a_poll_sees_a_running_trial_report_and_complete(live):
    trial = live.ask()
    trial.report(0.9, 1)
    assert live.rows()[trial.number].state == "running"
    assert live.rows()[trial.number].step == 1
    trial.report(0.5, 2)
    assert live.rows()[trial.number].step == 2
    trial.study.tell(trial, 0.4)
    row = live.rows()[trial.number]
    assert (row.state, row.value) == ("complete", 0.4)
    assert_as_fresh(live)


def test_a_poll_sees_a_trial_fail_be_handed_back_and_its_copy_run(live):
    first = live.ask()
    failing = live.ask()
    assert {r.state for r in live.rows().values()} == {"running"}
    failing.set_user_attr(FAIL_REASON, "diverged")
    failing.study.tell(failing, state=TrialState.FAIL)
    assert live.rows()[failing.number].state == "failed"
    requeue_trial(live.session, 1, failing.number, operator="ann")
    rows = live.rows()
    assert rows[failing.number].state == "retried"
    [copy] = [r for r in rows.values() if r.state == "waiting"]
    assert copy.params == rows[failing.number].params
    again = live.ask()  # Optuna hands the queued copy out first
    assert again.number == copy.number and again.user_attrs[RETRY_OF] == failing.number
    assert live.rows()[copy.number].state == "running"
    first.study.tell(first, 0.1)
    assert_as_fresh(live)


def test_a_running_trial_re_queued_by_the_operator_shows_as_retried(live):
    trial = live.ask()
    live.rows()
    requeue_trial(live.session, 1, trial.number, operator="ann")
    rows = live.rows()
    assert rows[trial.number].state == "retried"
    assert [r.state for r in rows.values()].count("waiting") == 1
    assert_as_fresh(live)


def test_a_trial_deleted_from_the_database_leaves_the_view(live):
    trials = [live.ask() for _ in range(4)]
    for i, t in enumerate(trials[:3]):
        t.study.tell(t, float(i))
    assert len(live.rows()) == 4
    _hide(live.sd.url, storage_trial_id(trials[1]))  # a finished one
    _hide(live.sd.url, storage_trial_id(trials[3]))  # the running one with the largest id
    assert sorted(live.rows()) == [trials[0].number, trials[2].number]
    assert_as_fresh(live)


def test_a_largest_id_deleted_and_taken_again_is_read_again(live):
    """SQLite hands a deleted largest id out again: the new trial must not pass for the old."""
    done = live.ask()
    done.study.tell(done, 1.0)
    live.rows()
    _hide(live.sd.url, storage_trial_id(done))
    again = live.ask()  # no poll between: same id, same number, another trial
    assert storage_trial_id(again) == storage_trial_id(done)
    assert live.rows()[again.number].state == "running"
    assert_as_fresh(live)


def test_a_trial_that_commits_late_below_the_largest_id_read_is_found(live):
    """On PostgreSQL ids are handed out before commit, so a trial can appear below ids read."""
    trials = [live.ask() for _ in range(3)]
    for t in trials:
        t.study.tell(t, 0.5)
    hidden = _hide(live.sd.url, storage_trial_id(trials[1]))
    assert sorted(live.rows()) == [trials[0].number, trials[2].number]
    _restore(live.sd.url, hidden)
    assert sorted(live.rows()) == [t.number for t in trials]
    assert_as_fresh(live)


def test_a_poll_reads_each_sprint_once_and_only_what_may_have_changed(live, monkeypatch):
    finished = [live.ask() for _ in range(5)]
    for t in finished:
        t.study.tell(t, 0.3)
    running = live.ask()
    reads: list[tuple[int, set[int], int]] = []
    store = live.watch.session.store
    read = Store.study_trials

    def counted(self, study, after=-1, again=()):
        batch = read(self, study, after, again)
        reads.append((after, set(again), len(batch.trials)))
        return batch

    monkeypatch.setattr(Store, "study_trials", counted)
    live.watch.dashboard()
    assert reads == [(-1, set(), 6)]  # the first poll reads them all, once for the screen
    reads.clear()
    running.study.tell(running, 0.2)
    live.watch.dashboard()
    # Only the trial open at the last poll, read again: nothing else.
    assert reads == [(storage_trial_id(running), {storage_trial_id(running)}, 1)]
    version = live.watch.session.cache(live.sprint).version  # a read of its own
    reads.clear()
    live.watch.dashboard()
    assert reads == [(storage_trial_id(running), set(), 0)]
    assert live.watch.session.cache(live.sprint).version == version
    assert store is live.watch.session.store


def test_a_usual_poll_says_which_trials_are_new_or_replaced(live):
    done = live.ask()
    running = live.ask()
    cache = live.watch.session.cache
    live.watch.dashboard()
    before = cache(live.sprint).trials
    running.study.tell(running, 0.2)
    added = live.ask()
    live.watch.dashboard()
    after = cache(live.sprint).trials
    assert cache(live.sprint).patch == (before, (1, 2))
    assert cache(live.sprint).patch[0] is before
    assert after[0] is before[0] and [t.number for t in after] == [
        done.number,
        running.number,
        added.number,
    ]
    _hide(live.sd.url, storage_trial_id(done))  # gone from the middle: listed afresh
    live.watch.dashboard()
    assert cache(live.sprint).patch is None
    assert_as_fresh(live)


def test_a_poll_makes_rows_events_and_chart_points_only_of_the_changed_trials(live, monkeypatch):
    import engine.read.events as events
    import engine.read.model as model
    import engine.read.plots as plots

    made: dict[str, list[int]] = {"row": [], "events": [], "point": []}

    def counting(kind, make):
        def counted(*args):
            trial = next(a for a in args if isinstance(a, FrozenTrial))
            made[kind].append(trial.number)
            return make(*args)

        return counted

    monkeypatch.setattr(model, "_make", counting("row", model._make))
    monkeypatch.setattr(events, "_trial_events", counting("events", events._trial_events))
    monkeypatch.setattr(plots, "_point", counting("point", plots._point))
    original, live.watch = live.watch, Watch(live.sd.name, live.sd.url)  # counting makers
    try:
        _only_the_changed_trials_are_made(live, made)
    finally:
        live.watch.close()
        live.watch = original


def _only_the_changed_trials_are_made(live: Live, made: dict[str, list[int]]) -> None:
    trials = [live.ask() for _ in range(6)]
    for t in trials[:5]:
        t.study.tell(t, float(t.number))
    live.watch.dashboard()
    assert all(sorted(numbers) == [t.number for t in trials] for numbers in made.values())
    for numbers in made.values():
        numbers.clear()
    trials[5].study.tell(trials[5], state=TrialState.PRUNED)
    d = live.watch.dashboard()
    assert made == {k: [trials[5].number] for k in made}
    assert d.events[-1].kind == "prune" and d.events[-1].trial == trials[5].number
    assert_as_fresh(live)


def test_a_big_sprints_importance_is_worked_out_off_the_poll(live, monkeypatch):
    monkeypatch.setattr(LiveImportance, "INLINE", 5)
    for _ in range(12):
        t = live.ask()
        t.study.tell(t, t.params["x"])
    title = live.watch.dashboard().charts.importance_title
    assert title.endswith("being computed on 12 trials")  # the first screen waits for nothing
    deadline = time.monotonic() + 60
    while "being computed" in title and time.monotonic() < deadline:
        time.sleep(0.05)
        charts = live.watch.dashboard().charts
        title = charts.importance_title
    trials = live.watch.session.trials(live.sprint)
    expected = live_importance(trials, live.sprint.plan, live.session.spec)
    assert (charts.importance, title) == expected


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_after_any_sequence_of_changes_the_watch_shows_a_fresh_read(live, seed):
    rng = random.Random(seed)
    running: list[Trial] = []
    step: dict[int, int] = {}

    def pick() -> Trial:
        return running.pop(rng.randrange(len(running)))

    for _ in range(40):
        ops = ["ask", "enqueue", "add"] + ["report", "attr", "end", "requeue"] * bool(running)
        op = rng.choice(ops + ["delete", "late"] * (len(_all(live)) > 2))
        if op == "ask":
            running.append(live.ask())
        elif op == "enqueue":
            live.study().enqueue_trial({"x": rng.random()})
        elif op == "add":
            x = rng.random()
            live.study().add_trial(
                create_trial(
                    params={"x": x},
                    distributions={"x": FloatDistribution(0.0, 1.0)},
                    value=x * x,
                    intermediate_values={1: x},
                )
            )
        elif op == "report":
            t = rng.choice(running)
            step[t.number] = step.get(t.number, 0) + 1
            t.report(rng.random(), step[t.number])
        elif op == "attr":
            rng.choice(running).set_user_attr("note", rng.random())
        elif op == "end":
            t = pick()
            state = rng.choice([TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL])
            t.study.tell(t, rng.random() if state == TrialState.COMPLETE else None, state=state)
        elif op == "requeue":
            # Refused where a deletion by hand let a new trial take a re-queued one's number.
            with contextlib.suppress(SessionError):
                requeue_trial(live.session, 1, pick().number, operator="ann")
        elif op == "delete":  # by hand: the next trial made takes its id and number again
            victim = max(_all(live), key=storage_trial_id)
            running = [t for t in running if t.number != victim.number]
            _hide(live.sd.url, storage_trial_id(victim))
            if victim.state.is_finished():
                # A finished trial replaced by one added finished (only by hand) between two
                # polls is the one change no poll can see: see the test above for one asked.
                assert_as_fresh(live)
        else:  # a trial that commits after a poll saw larger ids (PostgreSQL's sequences)
            hidden = _hide(live.sd.url, storage_trial_id(rng.choice(_all(live))))
            assert_as_fresh(live)
            _restore(live.sd.url, hidden)
        if rng.random() < 0.5:
            assert_as_fresh(live)
    assert_as_fresh(live)
