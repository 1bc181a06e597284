"""What an objective returns and reports: only finite real numbers at whole, increasing steps
within the fidelity; anything else fails the trial with the reason."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import optuna
import pytest

from engine.errors import SprintoptError
from engine.optuna_internals import storage_trial_id
from engine.read.model import trial_rows
from engine.reporter import ReportError, TrialReporter, objective_value_problem
from engine.session import Session
from engine.spec import load_spec
from engine.worker import WorkerOptions, run_worker


def _reporter(max_steps: int | None = 4, prunes: bool = False) -> tuple[TrialReporter, Any]:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    trial = optuna.create_study().ask()
    return TrialReporter(trial, prunes=prunes, max_steps=max_steps), trial


# -- the objective's result ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "the objective returned bool, not a number"),
        (False, "the objective returned bool, not a number"),
        (np.bool_(True), "the objective returned bool, not a number"),
        ("0.5", "the objective returned str, not a number"),
        (b"0.5", "the objective returned bytes, not a number"),
        (None, "the objective returned NoneType, not a number"),
        ([0.5], "the objective returned list, not a number"),
        (np.array([0.5, 0.6]), "the objective returned ndarray, not a number"),
        (float("nan"), "the objective returned nan"),
        (float("-inf"), "the objective returned -inf"),
        (10**400, "the objective returned int, too large for a float"),
    ],
    ids=lambda v: repr(v)[:24],
)
def test_results_that_are_not_finite_real_numbers_fail(value: Any, reason: str) -> None:
    assert objective_value_problem(value) == reason


@pytest.mark.parametrize(
    "value", [0.5, 3, np.float32(0.5), np.float64(0.5), np.int64(3), np.array(0.5), Fraction(1, 2)]
)
def test_numbers_numpy_scalars_and_0d_arrays_are_results(value: Any) -> None:
    assert objective_value_problem(value) is None


# -- report() ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (True, "bool, not a number"),
        ("0.5", "str, not a number"),
        (None, "not a number"),
    ],
    ids=lambda v: repr(v)[:24],
)
def test_report_refuses_values_that_are_not_finite_real_numbers(value: Any, phrase: str) -> None:
    reporter, trial = _reporter()
    with pytest.raises(ReportError, match="report\\(\\) value must be a finite real number") as e:
        reporter.report(value, 1)
    assert phrase in str(e.value)
    assert trial.storage.get_trial(storage_trial_id(trial)).intermediate_values == {}


@pytest.mark.parametrize(
    ("steps", "phrase"),
    [
        ([1.5], "must be a whole number, got 1.5"),
        ([True], "must be a whole number"),
        (["2"], "must be a whole number"),
        ([float("nan")], "must be a whole number"),
        ([0], "count from 1"),
        ([-3], "count from 1"),
        ([2, 1], "must increase: step 1 came after step 2"),
        ([2, 2], "must increase"),
        ([5], "past the sprint's fidelity of 4 steps"),
    ],
    ids=lambda v: repr(v)[:24],
)
def test_report_refuses_steps_that_are_not_whole_increasing_and_within_the_fidelity(
    steps: list[Any], phrase: str
) -> None:
    reporter, trial = _reporter(max_steps=4)
    for step in steps[:-1]:
        reporter.report(0.5, step)
    with pytest.raises(ReportError, match=phrase):
        reporter.report(0.5, steps[-1])
    recorded = trial.storage.get_trial(storage_trial_id(trial)).intermediate_values
    assert len(recorded) == len(steps) - 1  # nothing was truncated and recorded


def test_report_takes_whole_steps_of_any_integer_type() -> None:
    reporter, trial = _reporter(max_steps=4)
    reporter.report(np.float32(0.3), np.int64(1))
    reporter.report(0.2, 2.0)
    reporter.report(np.array(0.1), 4)
    assert trial.storage.get_trial(storage_trial_id(trial)).intermediate_values == pytest.approx(
        {1: 0.3, 2: 0.2, 4: 0.1}
    )


def test_without_a_maximum_any_increasing_step_goes() -> None:
    reporter, _ = _reporter(max_steps=None)
    reporter.report(0.5, 10**6)


def test_the_report_error_is_the_products_and_a_value_error() -> None:
    assert issubclass(ReportError, SprintoptError) and issubclass(ReportError, ValueError)


def test_set_attr_refuses_what_the_trial_cannot_store() -> None:
    reporter, trial = _reporter()
    with pytest.raises(ReportError, match="JSON-serialisable"):
        reporter.set_attr("model", object())
    with pytest.raises(ReportError, match="sprintopt's own"):
        reporter.set_attr("sprintopt.over_budget", True)
    with pytest.raises(ReportError, match="1 to 512 characters"):
        reporter.set_attr("k" * 513, 1)
    reporter.set_attr("losses", [0.5, 0.25])
    assert trial.storage.get_trial(storage_trial_id(trial)).user_attrs == {"losses": [0.5, 0.25]}


# -- through a worker: each bad result fails its trial with the reason --------------------------
BAD_RESULTS = """

def bad_results(config, fidelity, reporter):
    import numpy
    x = config["x"]
    if x < 0.1:
        return True
    if x < 0.2:
        return "0.5"
    if x < 0.3:
        reporter.report(0.5, 1.5)
    if x < 0.4:
        reporter.report(0.5, 2)
        reporter.report(0.4, 1)
    if x < 0.5:
        reporter.report(0.5, fidelity.steps + 1)
    if x < 0.6:
        reporter.report(float("nan"), 1)
    reporter.report(numpy.float64(x), 1)
    return numpy.float64(x)
"""


def test_a_worker_fails_each_trial_with_a_bad_result_and_says_why(session_dir) -> None:
    sd = session_dir(objective="bad_results", sprints=[{"name": "only", "trials": 7, "epochs": 2}])
    with open(sd.path / "objs.py", "a") as f:
        f.write(BAD_RESULTS)
    spec = load_spec(sd.spec)
    session = Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session
    study = session.study(session.current())
    for x in (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.9):
        study.enqueue_trial({"x": x})
    options = WorkerOptions(sd.name, sd.url, False, poll=0.05, search_path=[str(sd.path)])
    assert run_worker(options, handle_signals=False) == 0
    rows = {r.params["x"]: r for r in trial_rows(session)}
    assert rows[0.05].reason == "the objective returned bool, not a number"
    assert rows[0.15].reason == "the objective returned str, not a number"
    assert "step must be a whole number, got 1.5" in rows[0.25].reason
    assert "steps must increase" in rows[0.35].reason
    assert "step 3 is past the sprint's fidelity of 2 steps" in rows[0.45].reason
    assert "finite real number" in rows[0.55].reason
    assert all(rows[x].state == "failed" for x in (0.05, 0.15, 0.25, 0.35, 0.45, 0.55))
    assert rows[0.9].state == "complete" and rows[0.9].value == pytest.approx(0.9)
