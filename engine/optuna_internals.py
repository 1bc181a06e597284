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
    writing host's naive local time before.

The storage interface itself (``RDBStorage.get_trial``, ``set_trial_state_values``,
``get_study_id_from_name``, ``get_n_trials``, ``get_best_trial``) is used directly elsewhere: it
is documented API that third-party storages implement; only the trial ids it takes come from
here.
"""

from __future__ import annotations

import binascii
import math
import warnings
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import optuna
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


def fixed_params(trial: FrozenTrial) -> dict[str, Any]:
    """The parameters ``enqueue_trial`` fixed for a queued trial ({} if none)."""
    return dict(trial.system_attrs.get("fixed_params", {}))


def is_finished_tell(exc: ValueError) -> bool:
    """Whether ``Study.tell`` refused a trial because it had already finished."""
    return "Cannot tell a" in str(exc)


# -- heartbeats -----------------------------------------------------------------------------

#: The start of the warning ``Study.ask`` gives on a heartbeat-enabled storage outside optimize.
HEARTBEAT_WARNING = "Heartbeat of storage is supposed to be used"


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
    column("study_id"),
    column("state"),
    column("datetime_start", DateTime),
)
TRIAL_HEARTBEATS = table("trial_heartbeats", column("trial_id"))
#: Tables every Optuna schema has: their presence says Optuna's tables are in a database.
OPTUNA_TABLES = frozenset({STUDIES.name, TRIALS.name, "version_info"})
#: Optuna's tables that hold a study's trials: a sprint that ran needs them.
TRIAL_TABLES = OPTUNA_TABLES | {STUDY_DIRECTIONS.name, "trial_params", "trial_values"}


def trial_state_is(state: TrialState) -> ColumnElement[bool]:
    """``trials.state`` is ``state`` (stored as its name)."""
    return TRIALS.c.state == literal_column(f"'{state.name}'")


@lru_cache(maxsize=1)
def _start_is_utc() -> bool:
    from optuna.storages._rdb import models  # imported by RDBStorage anyway; not at our import

    return hasattr(models.TrialModel, "_datetime_start_utc")


def stored_time(local: datetime) -> datetime:
    """A naive local time as ``trials.datetime_start`` holds it, to compare with the column."""
    if not _start_is_utc():
        return local
    return local.astimezone(timezone.utc).replace(tzinfo=None)
