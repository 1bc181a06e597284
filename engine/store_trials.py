"""A study's trials read from Optuna's tables: in bulk for readers that poll (the store's part
that :class:`engine.read.reader.TrialCache` stands on), and those no heartbeat ever covered."""

from __future__ import annotations

import gc
import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import optuna
from optuna.trial import TrialState
from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from engine import store_claims
from engine.budget import BUDGET_ATTRS, Ledger, Slot
from engine.optuna_internals import (
    STUDIES,
    TRIAL_COLUMNS,
    TRIAL_HEARTBEATS,
    TRIAL_PARTS,
    TRIAL_USER_ATTRIBUTES,
    TRIALS,
    TrialBuilder,
    stored_time,
    trial_state_is,
)

#: At most this many ids in one ``IN (...)``: SQLite before 3.32 takes 999 parameters.
_IN_LIMIT = 500


@dataclass(frozen=True)
class TrialBatch:
    """What :meth:`Store.study_trials` read: the trials asked for, and of all the study's trials
    with ids up to the ``after`` asked with, (how many, the sum of their ids, how many have
    finished): a reader's check that none went away, came late or was replaced below it."""

    trials: tuple[optuna.trial.FrozenTrial, ...]
    older: tuple[int, int, int]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while trials are built in bulk: what is built holds no
    cycle, and each full collection would scan every object built so far (5 of the 12 s that
    100,000 trials took). Only switched back on if it was on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def study_trials(
    conn: Connection, study: str, after: int = -1, again: Collection[int] = ()
) -> TrialBatch:
    """The study's trials whose storage id is above ``after`` or in ``again``, read in bulk
    from Optuna's tables (:class:`engine.optuna_internals.TrialBuilder`: equal to what
    Optuna's storage gives), and a summary of the trials with ids up to ``after``.

    ``trials`` is read before its parts, so a trial read finished has its final parts
    whatever the isolation level. An unknown study has no trials.
    """
    t = TRIALS.c
    sid = conn.execute(select(STUDIES.c.study_id).where(STUDIES.c.study_name == study))
    study_id = sid.scalar()
    if study_id is None:
        return TrialBatch((), (0, 0, 0))
    changed = t.trial_id > after
    if again:  # a long list (many queued trials) is read as the range it spans
        many = len(again) > _IN_LIMIT
        changed |= t.trial_id >= min(again) if many else t.trial_id.in_(sorted(again))
    wanted = (t.study_id == study_id) & changed
    columns = (TRIALS.c[name] for name in TRIAL_COLUMNS)
    rows = conn.execute(select(*columns).where(wanted).order_by(t.trial_id))
    with _collector_paused():
        build = TrialBuilder(rows)
        ids = build.ids
        for part, names, key in TRIAL_PARTS if ids else ():
            c = part.c
            query = select(*(c[name] for name in names)).order_by(c[key])
            if len(ids) <= _IN_LIMIT:
                query = query.where(c.trial_id.in_(ids))
            else:
                query = query.join(TRIALS, t.trial_id == c.trial_id).where(wanted)
            build.add(part.name, _tuples(conn, query))
        trials = tuple(build.build())
    older = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(t.trial_id), 0),
            func.count(t.datetime_complete),
        ).where(t.study_id == study_id, t.trial_id <= after)
    ).one()
    return TrialBatch(trials, (int(older[0]), int(older[1]), int(older[2])))


def _tuples(conn: Connection, query: Select[Any]) -> Iterable[Sequence[Any]]:
    """The query's rows; on SQLite the driver's own tuples, through its cursor in the same
    transaction: SQLAlchemy's rows cost nearly as much as the reading itself (120 of 270 ms
    for the 150,000 rows of 10,000 trials' parts). Elsewhere, over a network, SQLAlchemy's
    (which also tells its pool of a lost connection). For untyped columns only: the driver's
    values are not converted (``trials``' dates are, so that table is read the usual way)."""
    if conn.dialect.name != "sqlite":
        return conn.execute(query)
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    args = tuple(params[k] for k in compiled.positiontup or ())
    driver = conn.connection.dbapi_connection
    assert driver is not None  # a connection in a transaction has its driver's
    cursor = driver.cursor()
    try:
        cursor.execute(str(compiled), args)
        return cursor.fetchall()
    except conn.dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy would have raised it
        raise DBAPIError.instance(
            str(compiled), args, exc, conn.dialect.loaded_dbapi.Error
        ) from exc
    finally:
        cursor.close()


def study_trial_ends(conn: Connection, study: str) -> dict[int, bool]:
    """The storage id of each of the study's trials, with whether it has finished."""
    t, s = TRIALS.c, STUDIES.c
    query = select(t.trial_id, t.datetime_complete.is_not(None))
    query = query.join(STUDIES, s.study_id == t.study_id).where(s.study_name == study)
    return {int(tid): bool(ended) for tid, ended in conn.execute(query)}


def budget_slots(conn: Connection, study: str) -> list[Slot]:
    """Each of the study's trials as the budget sees it (:class:`engine.budget.Slot`): one
    query of small rows, where Optuna's storage reads every trial's parts in seven."""
    t, s, a = TRIALS.c, STUDIES.c, TRIAL_USER_ATTRIBUTES.c
    attrs = (a.trial_id == t.trial_id) & a.key.in_(BUDGET_ATTRS)
    query = (
        select(t.number, t.state, a.key, a.value_json)
        .select_from(
            TRIALS.join(STUDIES, s.study_id == t.study_id).outerjoin(TRIAL_USER_ATTRIBUTES, attrs)
        )
        .where(s.study_name == study)
        .order_by(t.number)
    )
    states: dict[int, TrialState] = {}
    labels: dict[int, dict[str, Any]] = {}
    for number, state, key, value in conn.execute(query):
        states[number] = TrialState[str(state)]
        found = labels.setdefault(number, {})
        if key is not None:
            found[key] = json.loads(value)
    return [Slot(n, st, labels[n]) for n, st in states.items()]


def ledger(conn: Connection, study: str) -> Ledger:
    """The study's budget: its trials as the budget sees them, then the numbers whose slot was
    handed back. In that order: a hand-back is recorded before its copy is queued, so a copy
    read first has its hand-back in the second read (the other way, a slot could show free
    between the two writes)."""
    slots = budget_slots(conn, study)
    return Ledger(slots, frozenset(store_claims.retried_numbers(conn, study)))


def unbeaten_trial_ids(conn: Connection, study: str, started_before: datetime) -> list[int]:
    """Running trials that never recorded a heartbeat and started before the given time.

    A worker killed between asking for a trial and its first heartbeat leaves such a trial;
    Optuna's own stale check skips trials without a heartbeat, so it would stay running
    forever and hold its budget slot. Reads Optuna's ``trials``, ``studies`` and
    ``trial_heartbeats`` tables (named in :mod:`engine.optuna_internals`);
    ``started_before`` is a local time, compared on the column's own basis (``stored_time``).
    """
    t, s, h = TRIALS.c, STUDIES.c, TRIAL_HEARTBEATS.c
    query = (
        select(t.trial_id)
        .select_from(
            TRIALS.join(STUDIES, s.study_id == t.study_id).outerjoin(
                TRIAL_HEARTBEATS, h.trial_id == t.trial_id
            )
        )
        .where(
            s.study_name == study,
            trial_state_is(TrialState.RUNNING),
            h.trial_id.is_(None),
            t.datetime_start < stored_time(started_before),
        )
        .order_by(t.trial_id)
    )
    return [int(r[0]) for r in conn.execute(query)]


def set_user_attrs(conn: Connection, trial_id: int, attrs: Mapping[str, Any]) -> bool:
    """Set a running trial's user attributes, as ``Trial.set_user_attr`` would one by one
    (JSON, a key set again replaced); False, with nothing written, if it is not running."""
    running = conn.execute(
        select(TRIALS.c.trial_id)
        .where(TRIALS.c.trial_id == trial_id)
        .where(trial_state_is(TrialState.RUNNING))
    ).first()
    if running is None:
        return False
    attr = TRIAL_USER_ATTRIBUTES.c
    conn.execute(
        delete(TRIAL_USER_ATTRIBUTES).where(attr.trial_id == trial_id).where(attr.key.in_(attrs))
    )
    conn.execute(
        insert(TRIAL_USER_ATTRIBUTES),
        [{"trial_id": trial_id, "key": k, "value_json": json.dumps(v)} for k, v in attrs.items()],
    )
    return True
