"""Each assumption ``engine.optuna_internals`` makes about Optuna, checked on the installed one.

One test per item of the module's docstring: an Optuna upgrade that breaks an assumption fails
here, by name, rather than somewhere downstream. The tests may use Optuna's private names
themselves: they are what is being pinned.
"""

from __future__ import annotations

import json
import math
import os
import time
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from types import SimpleNamespace

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.exceptions import ExperimentalWarning, UpdateFinishedTrialError
from optuna.pruners._successive_halving import _is_trial_promotable_to_next_rung
from optuna.storages._rdb import models
from optuna.study import StudyDirection
from optuna.trial import TrialState
from sqlalchemy import create_engine, event, func, inspect, select, text, update

from engine.objective import Fidelity
from engine.optuna_internals import (
    _NOT_FINITE,
    HEARTBEAT_WARNING,
    OPTUNA_TABLES,
    RDB_READS,
    STUDIES,
    STUDY_DIRECTIONS,
    STUDY_USER_ATTRIBUTES,
    TRIAL_HEARTBEATS,
    TRIAL_PARTS,
    TRIAL_TABLES,
    TRIALS,
    _start_is_utc,
    fixed_params,
    hyperband_bracket,
    is_finished_tell,
    mark_reads,
    promoted,
    quiet_optuna,
    record_heartbeat,
    remember_user_attrs,
    rung_values,
    set_trial_user_attr,
    storage_trial_id,
    stored_time,
    trial_state_is,
    trial_time,
)
from engine.read.prunes import bracket_of
from engine.space import FloatParam, Space
from engine.sprint import SprintPlan
from engine.store import Store


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'optuna.db'}"


def rdb(url: str, heartbeat: bool = False) -> optuna.storages.RDBStorage:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        if heartbeat:
            return optuna.storages.RDBStorage(url, heartbeat_interval=1, grace_period=1)
        return optuna.storages.RDBStorage(url)


@pytest.fixture
def local_zone(request) -> Iterator[str]:
    """The process's local time zone set to ``request.param`` (POSIX TZ), then restored."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


# UTC; nine hours east of it (no DST); five hours west of it (no DST).
ZONES = ["UTC0", "JST-9", "XST+5"]


# -- trials and studies ----------------------------------------------------------------------


def test_the_storages_reading_methods_only_read_and_get_all_trials_goes_through_them(url):
    """Every method :func:`mark_reads` wraps issues no write, and ``get_all_trials`` (and so
    ``Study.get_trials``) reads through the wrapped ``_get_trials``."""
    storage = rdb(url, heartbeat=True)
    study = optuna.create_study(storage=storage, study_name="s")
    study.set_user_attr("a", 1)
    trial = study.ask({"x": FloatDistribution(0, 1)})
    trial.set_user_attr("u", 2)
    trial.report(0.5, 1)
    record_heartbeat(storage, storage_trial_id(trial))
    study.tell(study.ask({"x": FloatDistribution(0, 1)}), 1.0)
    tid, sid = storage_trial_id(trial), study._study_id
    calls = {
        "get_study_id_from_name": ("s",),
        "get_study_name_from_id": (sid,),
        "get_study_directions": (sid,),
        "get_study_user_attrs": (sid,),
        "get_study_system_attrs": (sid,),
        "get_trial_user_attrs": (tid,),
        "get_trial_system_attrs": (tid,),
        "get_all_studies": (),
        "get_trial_id_from_study_id_trial_number": (sid, 0),
        "get_trial": (tid,),
        "get_trial_param": (tid, "x"),
        "_get_trials": (sid, None, set(), -1),
        "_get_best_trial_id": (sid, StudyDirection.MINIMIZE),
        "_get_stale_trial_ids": (sid,),
    }
    assert set(calls) == set(RDB_READS)
    entered: list[str] = []
    statements: list[str] = []

    class Around:
        def __enter__(self) -> None:
            entered.append("in")

        def __exit__(self, *exc: object) -> None:
            entered.append("out")

    mark_reads(storage, Around)
    event.listen(
        storage.engine, "before_cursor_execute", lambda *a: statements.append(a[2].split()[0])
    )
    for name, args in calls.items():
        entered.clear()
        getattr(storage, name)(*args)
        assert entered[:1] == ["in"] and entered[-1:] == ["out"], name
    assert statements and not {"INSERT", "UPDATE", "DELETE"} & {w.upper() for w in statements}
    entered.clear()
    assert len(storage.get_all_trials(sid)) == 2 and entered == ["in", "out"]


def test_remember_user_attrs_is_what_trial_user_attrs_returns_and_the_store_writes_them(url):
    store = Store(url, create=True)
    study = optuna.create_study(storage=store.optuna_storage(), study_name="s")
    trial = study.ask({"x": FloatDistribution(0, 1)})
    trial.set_user_attr("kept", 1)
    attrs = {"a": 1, "b": {"c": [2]}, "kept": 3}
    assert store.set_user_attrs(storage_trial_id(trial), attrs)
    remember_user_attrs(trial, attrs)
    assert trial.user_attrs == attrs
    assert store.optuna_storage().get_trial(storage_trial_id(trial)).user_attrs == attrs
    study.tell(trial, 0.0)
    assert not store.set_user_attrs(storage_trial_id(trial), {"late": 1})  # finished: refused
    assert "late" not in store.optuna_storage().get_trial(storage_trial_id(trial)).user_attrs


def test_storage_trial_id_is_the_id_the_storage_takes(url):
    storage = rdb(url)
    a = optuna.create_study(study_name="a", storage=storage)
    b = optuna.create_study(study_name="b", storage=storage)
    asked = [a.ask(), b.ask(), a.ask()]
    ids = [storage_trial_id(t) for t in asked]
    assert len(set(ids)) == 3  # unique across studies, unlike numbers
    for trial, trial_id in zip(asked, ids, strict=True):
        frozen = storage.get_trial(trial_id)
        assert (frozen.number, storage_trial_id(frozen)) == (trial.number, trial_id)
    assert [storage_trial_id(t) for t in a.get_trials(deepcopy=False)] == [ids[0], ids[2]]


def test_set_trial_user_attr_reaches_a_trial_another_handle_runs(url):
    runner = optuna.create_study(study_name="s", storage=rdb(url))
    trial = runner.ask()
    other = optuna.load_study(study_name="s", storage=rdb(url))
    [frozen] = other.get_trials(deepcopy=False)
    set_trial_user_attr(other, frozen, "why", "failed by ann")
    [seen] = runner.get_trials(deepcopy=False)
    assert seen.user_attrs == {"why": "failed by ann"} and seen.number == trial.number


def test_fixed_params_are_where_enqueue_trial_keeps_a_queued_trials_params():
    study = optuna.create_study()
    study.enqueue_trial({"x": 0.25, "opt": "adam"}, user_attrs={"k": 1})
    [queued] = study.get_trials(states=(TrialState.WAITING,))
    assert queued.params == {} and fixed_params(queued) == {"x": 0.25, "opt": "adam"}
    sampled = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})  # the queued one
    study.tell(sampled, 1.0)
    fresh = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    study.tell(fresh, 1.0)
    assert fixed_params(study.trials[-1]) == {}


@pytest.mark.parametrize("state", [TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED])
def test_is_finished_tell_knows_optunas_refusal_of_a_finished_trial(state):
    study = optuna.create_study()
    trial = study.ask()
    study.tell(trial, 1.0 if state == TrialState.COMPLETE else None, state=state)
    with pytest.raises(ValueError) as refused:
        study.tell(trial, 2.0)
    assert is_finished_tell(refused.value)
    assert not is_finished_tell(ValueError("some other complaint"))


# -- heartbeats -----------------------------------------------------------------------------


def test_record_heartbeat_is_what_the_stale_check_reads_and_an_unbeaten_trial_is_skipped(url):
    storage = rdb(url, heartbeat=True)
    study = optuna.create_study(study_name="s", storage=storage)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the heartbeat warning, pinned below
        beaten, unbeaten = study.ask(), study.ask()
    record_heartbeat(storage, storage_trial_id(beaten))
    old = datetime(2000, 1, 1)
    with create_engine(url).begin() as conn:
        beats = conn.execute(select(TRIAL_HEARTBEATS.c.trial_id)).scalars().all()
        assert beats == [storage_trial_id(beaten)]
        conn.execute(text("UPDATE trial_heartbeats SET heartbeat = :t"), {"t": old})
        conn.execute(update(TRIALS).values(datetime_start=old))
    optuna.storages.fail_stale_trials(study)
    states = {t.number: t.state for t in study.get_trials()}
    assert states == {beaten.number: TrialState.FAIL, unbeaten.number: TrialState.RUNNING}


def test_ask_outside_optimize_gives_the_heartbeat_warning_and_quiet_optuna_silences_it(url):
    study = optuna.create_study(study_name="s", storage=rdb(url, heartbeat=True))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.ask()
    assert [str(w.message) for w in caught if str(w.message).startswith(HEARTBEAT_WARNING)]
    verbosity = optuna.logging.get_verbosity()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            optuna.logging.set_verbosity(optuna.logging.INFO)
            quiet_optuna()
            study.ask()
            warnings.warn("experimental", ExperimentalWarning, stacklevel=1)
            assert optuna.logging.get_verbosity() == optuna.logging.WARNING
        assert caught == []
    finally:
        optuna.logging.set_verbosity(verbosity)


def test_the_storage_refuses_to_fail_a_finished_trial_twice(url):
    # What the reap relies on when two processes fail the same unbeaten trial.
    storage = rdb(url)
    study = optuna.create_study(study_name="s", storage=storage)
    trial_id = storage_trial_id(study.ask())
    assert storage.set_trial_state_values(trial_id, TrialState.FAIL) is True
    with pytest.raises(UpdateFinishedTrialError):
        storage.set_trial_state_values(trial_id, TrialState.FAIL)


def test_a_finished_trial_refuses_every_write(url):
    """What the app's incremental read stands on: a finished trial's rows never change."""
    storage = rdb(url)
    study = optuna.create_study(study_name="s", storage=storage)
    for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        study.tell(trial, 1.0 if state == TrialState.COMPLETE else None, state=state)
        tid = storage_trial_id(trial)
        writes = [
            (storage.set_trial_user_attr, ("k", 1)),
            (storage.set_trial_system_attr, ("k", 1)),
            (storage.set_trial_intermediate_value, (1, 0.5)),
            (storage.set_trial_param, ("y", 0.5, FloatDistribution(0.0, 1.0))),
            (storage.set_trial_state_values, (TrialState.COMPLETE, [2.0])),
        ]
        for write, args in writes:
            with pytest.raises(UpdateFinishedTrialError):
                write(tid, *args)


# -- pruning ----------------------------------------------------------------------------------

CONFIGS = [  # (min_resource, max_resource, reduction_factor)
    (1, 1, 3),
    (1, 2, 3),
    (1, 9, 3),
    (1, 10, 3),
    (1, 27, 3),
    (1, 100, 3),
    (2, 16, 2),
    (2, 50, 2),
    (3, 27, 3),
    (3, 81, 3),
    (1, 16, 4),
    (1, 64, 4),
    (5, 5, 2),
    (1, 10, 10),
    (4, 1000, 5),
]
NAMES = ["t:1:a", "t:2:b", "mnist-lr:1:scout", "ünïcode:7:zß", "a b:12:sprint-3", "x" * 80]


@pytest.mark.parametrize(("min_r", "max_r", "rf"), CONFIGS)
def test_hyperband_bracket_is_the_one_optunas_pruner_assigns(min_r, max_r, rf):
    pruner = optuna.pruners.HyperbandPruner(
        min_resource=min_r, max_resource=max_r, reduction_factor=rf
    )
    pruner._try_initialization(None)  # with max_resource given, it reads no study
    for name in NAMES:
        study = SimpleNamespace(study_name=name)
        for number in range(300):
            trial = SimpleNamespace(number=number)
            assert hyperband_bracket(name, number, min_r, max_r, rf) == pruner._get_bracket_id(
                study, trial
            ), (name, number)


@pytest.mark.parametrize(
    ("epochs", "min_resource", "rf"), [(9, 1, 3), (4, 2, 2), (3, 5, 3), (27, 3, 3), (1, 1, 2)]
)
def test_a_sprints_brackets_are_the_ones_its_own_pruner_assigns(epochs, min_resource, rf):
    # bracket_of reads the plan as make_pruner does (a floor above the epochs is clipped).
    plan = SprintPlan(
        name="scout",
        space=Space((FloatParam("x", 0.0, 1.0),)),
        fidelity=Fidelity(amount=epochs),
        sampler="random",
        pruner="hyperband",
        budget=100,
        min_resource=min_resource,
        reduction_factor=rf,
    )
    pruner = plan.make_pruner()
    pruner._try_initialization(None)  # with max_resource given, it reads no study
    study = SimpleNamespace(study_name="t:2:scout")
    for number in range(200):
        trial = SimpleNamespace(number=number)
        assert bracket_of(study.study_name, number, plan) == pruner._get_bracket_id(study, trial)


@pytest.mark.parametrize(("min_r", "max_r", "rf"), [(1, 27, 3), (2, 16, 2), (1, 9, 3)])
def test_rung_values_and_brackets_match_what_a_real_hyperband_study_records(min_r, max_r, rf):
    pruner = optuna.pruners.HyperbandPruner(
        min_resource=min_r, max_resource=max_r, reduction_factor=rf
    )
    study = optuna.create_study(
        study_name="t:1:scout", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0)
    )
    for _ in range(60):
        trial = study.ask()
        x = trial.suggest_float("x", 0.0, 1.0)
        pruned = False
        for step in range(1, max_r + 1):
            trial.report(x + 1.0 / step, step)
            if trial.should_prune():
                pruned = True
                break
        study.tell(trial, None if pruned else x, state=TrialState.PRUNED if pruned else None)
    rungs_seen = 0
    for t in study.get_trials():
        bracket = hyperband_bracket(study.study_name, t.number, min_r, max_r, rf)
        values = rung_values(t)
        # Rung k of bracket b is at step min_resource * rf**(b + k), with the value reported there.
        steps = [min_r * rf ** (bracket + k) for k in range(len(values))]
        assert values == [t.intermediate_values[s] for s in steps], t.number
        assert min_r * rf ** (bracket + len(values)) > t.last_step, t.number  # none missed
        rungs_seen += len(values)
    assert rungs_seen  # the study did run its rungs


@pytest.mark.parametrize("rf", [2, 3, 4, 5])
@pytest.mark.parametrize("direction", [StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE])
def test_promoted_is_optunas_promotion_rule(rf, direction):
    for n in range(1, 41):
        competing = [float(v) for v in range(n)]
        ranked = sorted(competing, reverse=direction == StudyDirection.MAXIMIZE)
        keep = promoted(n, rf)
        assert _is_trial_promotable_to_next_rung(ranked[keep - 1], list(competing), rf, direction)
        if keep < n:
            assert not _is_trial_promotable_to_next_rung(
                ranked[keep], list(competing), rf, direction
            )


# -- Optuna's tables --------------------------------------------------------------------------


def test_the_tables_and_columns_the_store_reads_are_optunas(url):
    defined = models.BaseModel.metadata.tables
    parts = tuple(part for part, _, _ in TRIAL_PARTS)
    for ours in (
        STUDIES,
        STUDY_USER_ATTRIBUTES,
        STUDY_DIRECTIONS,
        TRIALS,
        TRIAL_HEARTBEATS,
        *parts,
    ):
        assert ours.name in defined, ours.name
        theirs = {c.name for c in defined[ours.name].columns}
        assert {c.name for c in ours.columns} <= theirs, ours.name
    assert OPTUNA_TABLES | TRIAL_TABLES <= set(defined)
    rdb(url)  # a fresh storage creates them
    assert OPTUNA_TABLES | TRIAL_TABLES <= set(inspect(create_engine(url)).get_table_names())


def test_state_direction_and_attributes_are_stored_as_the_store_reads_them(url):
    study = optuna.create_study(study_name="s", storage=rdb(url), direction="maximize")
    study.set_user_attr("sprintopt.session", "ann's")
    running = study.ask()
    study.tell(study.ask(), 1.0)
    with create_engine(url).connect() as conn:
        states = conn.execute(select(TRIALS.c.state).order_by(TRIALS.c.trial_id)).scalars()
        assert list(states) == ["RUNNING", "COMPLETE"]
        found = conn.execute(select(TRIALS.c.trial_id).where(trial_state_is(TrialState.RUNNING)))
        assert found.scalars().all() == [storage_trial_id(running)]
        [direction] = conn.execute(select(STUDY_DIRECTIONS.c.direction)).scalars()
        assert str(direction).lower() == "maximize"
        ua = STUDY_USER_ATTRIBUTES.c
        [(key, value)] = conn.execute(select(ua.key, ua.value_json))
        assert (key, json.loads(value)) == ("sprintopt.session", "ann's")
        count = conn.execute(select(func.count()).select_from(TRIALS)).scalar()
        assert count == 2


@pytest.mark.parametrize("local_zone", ZONES, indirect=True)
def test_stored_time_is_the_basis_of_datetime_start(url, local_zone):
    storage = rdb(url)
    study = optuna.create_study(study_name="s", storage=storage)
    trial = study.ask()
    with create_engine(url).connect() as conn:
        raw = conn.execute(select(TRIALS.c.datetime_start)).scalar()
    local = storage.get_trial(storage_trial_id(trial)).datetime_start
    assert isinstance(raw, datetime) and raw.tzinfo is None
    assert stored_time(local) == raw


@pytest.mark.parametrize("local_zone", ZONES, indirect=True)
def test_the_store_finds_unbeaten_trials_by_start_in_any_time_zone(tmp_path, local_zone):
    store = Store(f"sqlite:///{tmp_path / 's.db'}", create=True)
    try:
        study = optuna.create_study(study_name="s", storage=store.optuna_storage())
        trial = study.ask()
        now = datetime.now()
        assert store.unbeaten_trial_ids("s", now - timedelta(minutes=1)) == []
        assert store.unbeaten_trial_ids("s", now + timedelta(minutes=1)) == [
            storage_trial_id(trial)
        ]
        assert store.unbeaten_trial_ids("other", now + timedelta(minutes=1)) == []
    finally:
        store.close()


def test_a_value_the_float_column_cannot_hold_is_stored_as_the_builder_reads_it():
    kinds = {m.name for m in models.TrialIntermediateValueModel.TrialIntermediateValueType}
    assert kinds == set(_NOT_FINITE) | {"FINITE"}
    assert {m.name for m in models.TrialValueModel.TrialValueType} == kinds - {"NAN"}


def test_the_start_basis_is_read_from_optunas_version_as_its_model_says():
    assert _start_is_utc() == hasattr(models.TrialModel, "_datetime_start_utc")


@pytest.mark.parametrize("local_zone", ZONES, indirect=True)
def test_trial_time_gives_the_datetimes_a_frozen_trial_holds(url, local_zone):
    storage = rdb(url)
    study = optuna.create_study(study_name="s", storage=storage)
    trial = study.ask()
    study.tell(trial, 1.0)
    with create_engine(url).connect() as conn:
        start, end = conn.execute(select(TRIALS.c.datetime_start, TRIALS.c.datetime_complete)).one()
    frozen = storage.get_trial(storage_trial_id(trial))
    assert (trial_time(start), trial_time(end)) == (frozen.datetime_start, frozen.datetime_complete)
    assert trial_time(None) is None


def _nan_free(trials):
    """Trials as comparable dicts: NaN is never equal to itself, so it is named."""
    out = []
    for t in trials:
        d = dict(t.__dict__)
        d["intermediate_values"] = {
            k: "nan" if v != v else v for k, v in d["intermediate_values"].items()
        }
        out.append(d)
    return out


def test_the_store_reads_trials_as_optunas_storage_builds_them(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 's.db'}", create=True)
    try:
        storage = store.optuna_storage()
        study = optuna.create_study(study_name="s", storage=storage)
        dists = {
            "f": FloatDistribution(0.0, 1.0),
            "lf": FloatDistribution(1e-5, 1.0, log=True),
            "sf": FloatDistribution(0.0, 1.0, step=0.25),
            "i": IntDistribution(1, 9),
            "li": IntDistribution(1, 1024, log=True),
            "c": CategoricalDistribution(["adam", None, 3, 2.5, True]),
        }
        for k, (state, value) in enumerate(
            [
                (TrialState.COMPLETE, math.inf),
                (TrialState.COMPLETE, -math.inf),
                (TrialState.COMPLETE, 0.25),
                (TrialState.PRUNED, None),
                (TrialState.FAIL, None),
                (TrialState.RUNNING, None),
            ]
        ):
            trial = study.ask(dists)
            trial.set_user_attr("note", {"k": [k, "ä"], "none": None})
            storage.set_trial_system_attr(storage_trial_id(trial), "completed_rung_0", 0.5)
            for step, v in enumerate([0.5, math.nan, math.inf, -math.inf]):
                trial.report(v, step)
            if state != TrialState.RUNNING:
                study.tell(trial, value, state=state)
        study.enqueue_trial({"f": 0.5}, user_attrs={"retry_of": 1})
        two = optuna.create_study(study_name="two", storage=storage, directions=["minimize"] * 2)
        two.tell(two.ask(), [1.0, -math.inf])
        for name in ("s", "two"):
            theirs = storage.get_all_trials(storage.get_study_id_from_name(name), deepcopy=False)
            ours = store.study_trials(name).trials
            assert _nan_free(ours) == _nan_free(theirs), name
            assert [list(t.params) for t in ours] == [list(t.params) for t in theirs]
        last = storage_trial_id(study.trials[-1])
        batch = store.study_trials("s", after=last - 2, again=[1])
        assert [storage_trial_id(t) for t in batch.trials] == [1, last - 1, last]
        assert batch.older[:2] == (last - 2, sum(range(1, last - 1)))
        assert store.study_trials("nobody").trials == ()
    finally:
        store.close()
