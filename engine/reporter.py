"""What an objective talks to while it runs: the reporter, and the check of what it returns.

A value or step the trial cannot record raises :class:`ReportError` inside the objective, so
the trial fails with that reason (the runner fails a trial with any exception's message):
silently truncating a step of 1.5, or handing NaN to the pruner, would only hide the bug.
"""

from __future__ import annotations

import json
import math
import operator
from typing import Any

import numpy as np
from optuna.trial import Trial

from engine.errors import SprintoptError
from engine.limits import shown
from engine.objective import TrialPruned

#: Optuna keeps user attributes under a key of at most this many characters (its column).
MAX_ATTR_KEY = 512
#: Our own attributes (budget, retries, fidelity) live under this prefix; an objective's may not.
RESERVED_PREFIX = "sprintopt."


class ReportError(SprintoptError, ValueError):
    """``report()`` or ``set_attr()`` was given something a trial cannot record."""


class TrialReporter:
    """The reporter an objective gets: intermediate values go to the pruner, attrs to the trial.

    Values must be finite real numbers; steps whole numbers from 1, strictly increasing, and
    at most ``max_steps`` (the sprint's fidelity in steps) when that is given.
    """

    def __init__(self, trial: Trial, prunes: bool = True, *, max_steps: int | None = None) -> None:
        self._trial = trial
        self._prunes = prunes  # without a pruner, skip the storage read should_prune makes
        self._max_steps = max_steps
        self._last_step = 0

    def report(self, value: float, step: int) -> None:
        number, problem = _real(value)
        if number is None:
            raise ReportError(
                f"report() value must be a finite real number, got {_describe(value)}: {problem}"
            )
        whole = self._step(step)
        self._trial.report(number, whole)
        self._last_step = whole
        if self._prunes and self._trial.should_prune():
            raise TrialPruned(f"pruned at step {whole}")

    def set_attr(self, key: str, value: Any) -> None:
        if not isinstance(key, str) or not 0 < len(key) <= MAX_ATTR_KEY:
            raise ReportError(
                f"set_attr() key must be a string of 1 to {MAX_ATTR_KEY} characters, "
                f"got {_describe(key)}"
            )
        if key.startswith(RESERVED_PREFIX):
            raise ReportError(
                f"set_attr() key {shown(key)!r}: keys starting with {RESERVED_PREFIX!r} are "
                "sprintopt's own; pick another name"
            )
        try:
            json.dumps(value)
        except (TypeError, ValueError, RecursionError) as exc:
            raise ReportError(
                f"set_attr({shown(key)!r}): the value must be JSON-serialisable "
                f"({type(exc).__name__}: {shown(str(exc))})"
            ) from None
        self._trial.set_user_attr(key, value)

    def _step(self, step: Any) -> int:
        whole = _whole(step)
        if whole is None:
            raise ReportError(f"report() step must be a whole number, got {_describe(step)}")
        if whole < 1:
            raise ReportError(f"report() steps count from 1, got {whole}")
        if whole <= self._last_step:
            raise ReportError(
                f"report() steps must increase: step {whole} came after step {self._last_step}"
            )
        if self._max_steps is not None and whole > self._max_steps:
            raise ReportError(
                f"report() step {whole} is past the sprint's fidelity of {self._max_steps} "
                "steps: report at most once per step, up to fidelity.steps"
            )
        return whole


def objective_value_problem(value: Any) -> str | None:
    """Why ``value`` cannot be a trial's result, or None when it is a finite number."""
    number, problem = _real(value)
    return None if number is not None else f"the objective returned {problem}"


def _real(value: Any) -> tuple[float, None] | tuple[None, str]:
    """``value`` as a finite float (numbers, NumPy scalars, 0-d tensors; never bool or text),
    or None and what it is instead: "str, not a number", "nan"."""
    if isinstance(value, (bool, np.bool_, str, bytes, bytearray)):
        # float() would take True and "0.5": a result must be computed, not converted.
        return None, f"{type(value).__name__}, not a number"
    try:
        number = float(value)
    except OverflowError:
        return None, f"{type(value).__name__}, too large for a float"
    except Exception:  # a list, None, a tensor of many values, a broken __float__
        return None, f"{type(value).__name__}, not a number"
    if not math.isfinite(number):
        return None, str(number)
    return number, None


def _whole(step: Any) -> int | None:
    if isinstance(step, (bool, np.bool_)):
        return None
    try:
        return operator.index(step)  # int, NumPy integers
    except TypeError:
        pass
    if isinstance(step, (float, np.floating)) and math.isfinite(step) and float(step).is_integer():
        return int(step)  # 3.0 is step 3; 1.5 is refused, never truncated
    return None


def _describe(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a user's object with a broken __repr__
        text = "?"
    return f"{shown(text)} ({type(value).__name__})"
