"""Every place the engine relies on Optuna's internals, in one module (written against 5.0.0).

Optuna's public API has no handle for some of what the engine needs: another process's trial,
the heartbeat, the Hyperband bracket a trial is in, what Optuna's tables hold. What the engine
takes from Optuna's insides is here and nowhere else, each item saying what it relies on, and
``tests/engine/test_optuna_internals.py`` checks every assumption against the installed Optuna,
one test per item, so an upgrade that breaks one fails there, by name.

Trials and studies
    :func:`storage_trial_id` reads ``Trial._trial_id`` / ``FrozenTrial._trial_id``: the
    storage's id of a trial (unique across studies; ``number`` is only unique in its study),
    which the storage interface (``get_trial``, ``set_trial_user_attr``, ...) takes.
    :func:`set_trial_user_attr` writes through ``Study._storage``: the only way to touch a trial
    another process is running. :func:`fixed_params` reads the ``"fixed_params"`` system
    attribute in which ``Study.enqueue_trial`` keeps a queued trial's parameters.
    :func:`is_finished_tell` reads the text of the ``ValueError`` that ``Study.tell`` raises
    for a trial that already finished ("Cannot tell a COMPLETE trial.").
    :func:`remember_user_attrs` updates ``Trial._cached_frozen_trial.user_attrs``, the copy
    ``Trial.user_attrs`` returns (``set_user_attr`` updates it after its write), for attributes
    the store wrote in one transaction.

Heartbeats
    :func:`record_heartbeat` calls ``RDBStorage.record_heartbeat`` (Optuna's ``BaseHeartbeat``,
    "not supposed to be directly accessed by library users"): the worker beats for its trial
    itself, since it runs trials with ask/tell rather than ``Study.optimize``. A trial with no
    heartbeat row is never stale to ``optuna.storages.fail_stale_trials`` (hence
    ``Store.unbeaten_trial_ids``). :data:`HEARTBEAT_WARNING` is the start of the warning
    ``Study.ask`` gives on a heartbeat storage outside ``optimize``; :func:`quiet_optuna`
    silences it, with Optuna's info logging and its experimental warnings.

Pruning
    :func:`hyperband_bracket` mirrors ``HyperbandPruner._get_bracket_id`` (and the allocation in
    ``_try_initialization``): a trial's bracket is ``crc32("<study>_<number>")`` modulo the
    brackets' total allocation, so it can be computed without the pruner.
    :func:`rung_values` reads the ``completed_rung_<k>`` system attributes in which
    ``SuccessiveHalvingPruner`` keeps the value a trial had at each rung it completed.
    :func:`promoted` is how many of a rung's competing values go on
    (``_is_trial_promotable_to_next_rung``).

Optuna's tables (for the store's raw SQL)
    :data:`STUDIES`, :data:`STUDY_USER_ATTRIBUTES`, :data:`STUDY_DIRECTIONS`, :data:`TRIALS` and
    :data:`TRIAL_HEARTBEATS` name the tables and columns the store reads (Optuna's
    ``optuna.storages._rdb.models``; unchanged since Optuna 2.x). A trial's ``state`` is stored
    as the ``TrialState``'s name (:func:`trial_state_is`; on PostgreSQL a native enum, so it is
    compared with a literal, never a ``VARCHAR`` parameter), a study's direction as the
    ``StudyDirection``'s name, user attributes as JSON. :data:`OPTUNA_TABLES` and
    :data:`TRIAL_TABLES` are the tables whose presence says Optuna's schema is there and holds
    trials. :func:`stored_time` turns a local time into the basis of ``trials.datetime_start``:
    naive UTC from Optuna 5.0 on (``TrialModel`` stores it as ``_datetime_start_utc``), the
    writing host's naive local time before; :func:`trial_time` turns a stored time back into
    the naive local time a ``FrozenTrial`` holds.

A study's trials, read in bulk (for the app's incremental reads)
    :data:`TRIAL_PARAMS`, :data:`TRIAL_VALUES`, :data:`TRIAL_INTERMEDIATE_VALUES`,
    :data:`TRIAL_USER_ATTRIBUTES` and :data:`TRIAL_SYSTEM_ATTRIBUTES` hold a trial's parts, one
    row each, keyed by ``trial_id`` (:data:`TRIAL_PARTS`). :class:`TrialBuilder` makes
    ``FrozenTrial`` s of their rows as ``RDBStorage._build_frozen_trial_from_trial_model``
    does: a parameter is its distribution's (``distribution_json``) external form of the stored
    float, ordered by ``param_id``; values are listed by ``objective``; a value the float
    column cannot hold is NULL with its kind in ``value_type`` / ``intermediate_value_type``
    (``INF_POS``, ``INF_NEG``, ``NAN``, else ``FINITE``); attributes are JSON. Optuna's storage
    refuses every write to a finished trial (``check_trial_is_updatable``), so a finished
    trial's rows never change: what :class:`engine.read.reader.TrialCache` stands on.

Reads that take no write lock
    :data:`RDB_READS` names the ``RDBStorage`` methods that only read, each in a session of its
    own (``_create_scoped_session``), among them the private ``_get_trials`` (what
    ``get_all_trials`` and Optuna's ``_CachedStorage`` call), ``_get_best_trial_id`` and
    ``_get_stale_trial_ids``. :func:`mark_reads` runs each inside a context manager (the store
    passes :func:`engine.dbfile.reading`), so on SQLite they begin with a plain ``BEGIN``.

The storage interface itself (``RDBStorage.get_trial``, ``set_trial_state_values``,
``get_study_id_from_name``, ``get_n_trials``, ``get_best_trial``) is used directly elsewhere: it
is documented API that third-party storages implement; only the trial ids it takes come from
here.
"""

from __future__ import annotations

import binascii
import functools
import json
import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, json_to_distribution
from optuna.study import Study
from optuna.trial import FrozenTrial, Trial, TrialState
from sqlalchemy import DateTime, column, literal_column, table
from sqlalchemy.sql.elements import ColumnElement

# -- trials and studies ----------------------------------------------------------------------


def storage_trial_id(trial: Trial | FrozenTrial) -> int:
    """The storage's id of a trial (Optuna exposes none publicly)."""
    return trial._trial_id


def set_trial_user_attr(study: Study, trial: FrozenTrial, key: str, value: Any) -> None:
    """Set a user attribute on a trial by its id, whichever process is running it."""
    study._storage.set_trial_user_attr(storage_trial_id(trial), key, value)


def remember_user_attrs(trial: Trial, attrs: dict[str, Any]) -> None:
    """Let ``trial.user_attrs`` show attributes written for it behind its back."""
    trial._cached_frozen_trial.user_attrs.update(attrs)


def fixed_params(trial: FrozenTrial) -> dict[str, Any]:
    """The parameters ``enqueue_trial`` fixed for a queued trial ({} if none)."""
    return dict(trial.system_attrs.get("fixed_params", {}))


def is_finished_tell(exc: ValueError) -> bool:
    """Whether ``Study.tell`` refused a trial because it had already finished."""
    return "Cannot tell a" in str(exc)


# -- heartbeats -----------------------------------------------------------------------------

#: The start of the warning ``Study.ask`` gives on a heartbeat-enabled storage outside optimize.
HEARTBEAT_WARNING = "Heartbeat of storage is supposed to be used"
#: The warning ``Trial`` gives for an enqueued number outside its range: the advisor's probes
#: outside the proposed space run there on purpose (engine/advisor/carry.py).
OUT_OF_RANGE_WARNING = r"Fixed parameter .* is out of range"


#: ``RDBStorage`` methods that only read; each runs in a transaction of its own.
RDB_READS = (
    "get_study_id_from_name",
    "get_study_name_from_id",
    "get_study_directions",
    "get_study_user_attrs",
    "get_study_system_attrs",
    "get_trial_user_attrs",
    "get_trial_system_attrs",
    "get_all_studies",
    "get_trial_id_from_study_id_trial_number",
    "get_trial",
    "get_trial_param",
    "_get_trials",
    "_get_best_trial_id",
    "_get_stale_trial_ids",
)


def mark_reads(
    storage: optuna.storages.RDBStorage, around: Callable[[], AbstractContextManager[None]]
) -> None:
    """Run each of ``storage``'s reading methods (:data:`RDB_READS`) inside ``around()``."""
    for name in RDB_READS:
        method = getattr(storage, name)  # a name Optuna dropped fails here, loudly

        @functools.wraps(method)
        def read(*args: Any, _method: Callable[..., Any] = method, **kwargs: Any) -> Any:
            with around():
                return _method(*args, **kwargs)

        setattr(storage, name, read)


def record_heartbeat(storage: optuna.storages.RDBStorage, trial_id: int) -> None:
    """Record that the trial's worker is alive (what ``Study.optimize``'s thread would do)."""
    storage.record_heartbeat(trial_id)


def quiet_optuna() -> None:
    """Optuna's logging at WARNING, its experimental and heartbeat warnings off.

    Called by the entry points (the command line, the worker); a program that drives the
    engine itself calls it once at start to get the same output.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # We drive heartbeats ourselves around ask/tell (engine.runner), which Optuna does not expect.
    warnings.filterwarnings("ignore", message=HEARTBEAT_WARNING)
    warnings.filterwarnings("ignore", message=OUT_OF_RANGE_WARNING)


# -- pruning ----------------------------------------------------------------------------------

_RUNG_KEY = "completed_rung_{}"


@lru_cache(maxsize=64)
def _allocations(min_resource: int, max_resource: int, reduction_factor: int) -> tuple[int, ...]:
    n = math.floor(math.log(max_resource / min_resource, reduction_factor)) + 1
    return tuple(math.ceil(n * reduction_factor ** (n - 1 - b) / (n - b)) for b in range(n))


def hyperband_bracket(
    study_name: str, number: int, min_resource: int, max_resource: int, reduction_factor: int
) -> int:
    """The bracket ``HyperbandPruner(min_resource, max_resource, reduction_factor)`` puts trial
    ``number`` of study ``study_name`` in."""
    budgets = _allocations(min_resource, max_resource, reduction_factor)
    n = binascii.crc32(f"{study_name}_{number}".encode()) % sum(budgets)
    for bracket, budget in enumerate(budgets):
        n -= budget
        if n < 0:
            return bracket
    return len(budgets) - 1


def rung_values(trial: FrozenTrial) -> list[float]:
    """The value the trial had at each rung it completed, rung 0 first."""
    values: list[float] = []
    while (key := _RUNG_KEY.format(len(values))) in trial.system_attrs:
        values.append(float(trial.system_attrs[key]))
    return values


def promoted(competing: int, reduction_factor: int) -> int:
    """How many of ``competing`` values at a rung (the trial's own included) are promotable."""
    return max(1, competing // reduction_factor)


# -- Optuna's tables --------------------------------------------------------------------------

STUDIES = table("studies", column("study_id"), column("study_name"))
STUDY_USER_ATTRIBUTES = table(
    "study_user_attributes", column("study_id"), column("key"), column("value_json")
)
STUDY_DIRECTIONS = table(
    "study_directions", column("study_id"), column("direction"), column("objective")
)
TRIALS = table(
    "trials",
    column("trial_id"),
    column("number"),
    column("study_id"),
    column("state"),
    column("datetime_start", DateTime),
    column("datetime_complete", DateTime),
)
TRIAL_HEARTBEATS = table("trial_heartbeats", column("trial_id"))
TRIAL_PARAMS = table(
    "trial_params",
    column("param_id"),
    column("trial_id"),
    column("param_name"),
    column("param_value"),
    column("distribution_json"),
)
TRIAL_VALUES = table(
    "trial_values",
    column("trial_value_id"),
    column("trial_id"),
    column("objective"),
    column("value"),
    column("value_type"),
)
TRIAL_INTERMEDIATE_VALUES = table(
    "trial_intermediate_values",
    column("trial_intermediate_value_id"),
    column("trial_id"),
    column("step"),
    column("intermediate_value"),
    column("intermediate_value_type"),
)
TRIAL_USER_ATTRIBUTES = table(
    "trial_user_attributes",
    column("trial_user_attribute_id"),
    column("trial_id"),
    column("key"),
    column("value_json"),
)
TRIAL_SYSTEM_ATTRIBUTES = table(
    "trial_system_attributes",
    column("trial_system_attribute_id"),
    column("trial_id"),
    column("key"),
    column("value_json"),
)
#: Tables every Optuna schema has: their presence says Optuna's tables are in a database.
OPTUNA_TABLES = frozenset({STUDIES.name, TRIALS.name, "version_info"})
#: Optuna's tables that hold a study's trials: a sprint that ran needs them.
TRIAL_TABLES = OPTUNA_TABLES | {STUDY_DIRECTIONS.name, TRIAL_PARAMS.name, TRIAL_VALUES.name}


def trial_state_is(state: TrialState) -> ColumnElement[bool]:
    """``trials.state`` is ``state`` (stored as its name)."""
    return TRIALS.c.state == literal_column(f"'{state.name}'")


@lru_cache(maxsize=1)
def _start_is_utc() -> bool:
    # Optuna 5.0 made the columns naive UTC (``TrialModel._datetime_start_utc``). Its version
    # says so without loading Optuna's ORM models (a tenth of a second), which a reader that
    # never opens Optuna's storage (the app's watch) would otherwise load for this alone.
    return int(optuna.__version__.split(".")[0]) >= 5


def stored_time(local: datetime) -> datetime:
    """A naive local time as ``trials.datetime_start`` holds it, to compare with the column."""
    if not _start_is_utc():
        return local
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def trial_time(stored: datetime | None) -> datetime | None:
    """A ``trials.datetime_*`` value as Optuna's ``FrozenTrial`` holds it: naive local time
    (the inverse of :func:`stored_time`)."""
    if stored is None or not _start_is_utc():
        return stored
    return stored.replace(tzinfo=timezone.utc).astimezone().replace(tzinfo=None)


# -- a study's trials, built from Optuna's rows ------------------------------------------------

#: The value a ``value_type`` (``trial_values``) or ``intermediate_value_type``
#: (``trial_intermediate_values``) stands for where SQL cannot hold it (the value is NULL).
_NOT_FINITE = {"INF_POS": math.inf, "INF_NEG": -math.inf, "NAN": math.nan}

#: The tables that hold a trial's parts: (table, the columns the builder reads, in its order,
#: the first being ``trial_id``), each read ordered by its primary key as Optuna reads it.
TRIAL_PARTS = (
    (TRIAL_PARAMS, ("trial_id", "param_name", "param_value", "distribution_json"), "param_id"),
    (TRIAL_VALUES, ("trial_id", "objective", "value", "value_type"), "trial_value_id"),
    (
        TRIAL_INTERMEDIATE_VALUES,
        ("trial_id", "step", "intermediate_value", "intermediate_value_type"),
        "trial_intermediate_value_id",
    ),
    (TRIAL_USER_ATTRIBUTES, ("trial_id", "key", "value_json"), "trial_user_attribute_id"),
    (TRIAL_SYSTEM_ATTRIBUTES, ("trial_id", "key", "value_json"), "trial_system_attribute_id"),
)
#: The columns of ``trials`` the builder reads, in its order.
TRIAL_COLUMNS = ("trial_id", "number", "state", "datetime_start", "datetime_complete")


def _stored_float(value: float | None, kind: Any) -> float:
    special = _NOT_FINITE.get(str(kind))
    return float(value) if special is None else special  # type: ignore[arg-type]


@lru_cache(maxsize=256)
def _distribution(text: str) -> BaseDistribution:
    # Shared between the trials that have it: a study's distinct distributions are few.
    return json_to_distribution(text)


@dataclass(slots=True)
class _Parts:
    params: dict[str, Any] = field(default_factory=dict)
    dists: dict[str, BaseDistribution] = field(default_factory=dict)
    values: dict[int, float] = field(default_factory=dict)
    steps: dict[int, float] = field(default_factory=dict)
    user: dict[str, Any] = field(default_factory=dict)
    system: dict[str, Any] = field(default_factory=dict)


def _param(p: _Parts, row: Sequence[Any]) -> None:
    dist = _distribution(row[3])
    p.params[row[1]] = dist.to_external_repr(row[2])
    p.dists[row[1]] = dist


def _value(p: _Parts, row: Sequence[Any]) -> None:
    p.values[int(row[1])] = _stored_float(row[2], row[3])


def _step(p: _Parts, row: Sequence[Any]) -> None:
    p.steps[int(row[1])] = _stored_float(row[2], row[3])


def _user(p: _Parts, row: Sequence[Any]) -> None:
    p.user[row[1]] = json.loads(row[2])


def _system(p: _Parts, row: Sequence[Any]) -> None:
    p.system[row[1]] = json.loads(row[2])


_ADD = {
    TRIAL_PARAMS.name: _param,
    TRIAL_VALUES.name: _value,
    TRIAL_INTERMEDIATE_VALUES.name: _step,
    TRIAL_USER_ATTRIBUTES.name: _user,
    TRIAL_SYSTEM_ATTRIBUTES.name: _system,
}


class TrialBuilder:
    """``FrozenTrial`` s from the rows of Optuna's tables, equal to what ``RDBStorage`` builds
    (``_build_frozen_trial_from_trial_model``): rows of ``trials`` (:data:`TRIAL_COLUMNS`),
    then of each table in :data:`TRIAL_PARTS` (:meth:`add`)."""

    def __init__(self, trials: Iterable[Sequence[Any]]) -> None:
        self._trials = {int(r[0]): r for r in trials}
        self._parts = {tid: _Parts() for tid in self._trials}

    @property
    def ids(self) -> list[int]:
        return list(self._trials)

    def add(self, part: str, rows: Iterable[Sequence[Any]]) -> None:
        """Rows of the table named ``part``; rows of trials not read are skipped (created since:
        the next read has them)."""
        add, parts = _ADD[part], self._parts
        for row in rows:
            mine = parts.get(int(row[0]))
            if mine is not None:
                add(mine, row)

    def build(self) -> list[FrozenTrial]:
        out = []
        for tid, (_, number, state, start, complete) in self._trials.items():
            p = self._parts[tid]
            out.append(
                FrozenTrial(
                    number=int(number),
                    state=TrialState[str(state)],
                    value=None,
                    values=[p.values[k] for k in sorted(p.values)] or None,
                    datetime_start=trial_time(start),
                    datetime_complete=trial_time(complete),
                    params=p.params,
                    distributions=p.dists,
                    user_attrs=p.user,
                    system_attrs=p.system,
                    intermediate_values=p.steps,
                    trial_id=tid,
                )
            )
        return out
