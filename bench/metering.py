"""Budget accounting for the strategy benchmark: every trial charged in full-fidelity evaluations.

A trial that ran e epochs of a max of E on a training fraction t costs e / E * t; a pruned trial
pays for the epochs it ran. ``run_study`` is engine.runner's ask-evaluate-tell without storage,
stopping when a sprint's trials or the benchmark's budget run out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import Trial, TrialState

from engine.advisor.gate import CARRIED
from engine.objective import Fidelity, Objective, TrialPruned
from engine.space import Space


@dataclass(frozen=True)
class Evaluation:
    """One finished trial: the budget spent once it ended, its cost, and what it measured."""

    spent: float
    cost: float  # also the fidelity it measured at: the share of a full evaluation
    full: bool  # measured at full fidelity: the value is the true one
    value: float
    config: Mapping[str, Any]


@dataclass
class Meter:
    """Charges each trial its share of a full-fidelity evaluation and logs what it measured."""

    max_steps: float
    budget: float
    evaluations: list[Evaluation] = field(default_factory=list)
    spent: float = 0.0

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.budget - 1e-9

    def record(
        self, steps: int, fidelity: Fidelity, value: float, config: Mapping[str, Any]
    ) -> None:
        share = min(steps / self.max_steps, 1.0)
        cost = share * fidelity.train_fraction
        self.spent += cost
        full = share >= 1.0 and fidelity.train_fraction == 1.0 and fidelity.valid_fraction == 1.0
        self.evaluations.append(Evaluation(self.spent, cost, full, float(value), dict(config)))


class MeteredReporter:
    """The reporter objectives get here: the pruner may stop the trial; epochs are counted."""

    def __init__(self, trial: Trial, prunes: bool) -> None:
        self._trial, self._prunes = trial, prunes
        self.step, self.value = 0, math.nan

    def report(self, value: float, step: int) -> None:
        self.step, self.value = max(self.step, int(step)), float(value)
        self._trial.report(float(value), int(step))
        if self._prunes and self._trial.should_prune():
            raise TrialPruned(f"pruned at step {step}")

    def set_attr(self, key: str, value: Any) -> None:
        self._trial.set_user_attr(key, value)


class SilentReporter:
    """For evaluations outside any study: full trainings that nothing may prune."""

    def report(self, value: float, step: int) -> None:
        pass

    def set_attr(self, key: str, value: Any) -> None:
        pass


def new_study(name: str, maximize: bool, sampler: Any, pruner: Any = None) -> optuna.Study:
    """An in-memory study with a fixed name, as the engine names its studies: Hyperband puts
    trials in brackets by a hash of the study's name, and Optuna's default name is random."""
    direction = "maximize" if maximize else "minimize"
    return optuna.create_study(study_name=name, direction=direction, sampler=sampler, pruner=pruner)


def run_study(
    study: optuna.Study,
    space: Space,
    fidelity: Fidelity,
    objective: Objective,
    meter: Meter,
    prunes: bool,
    trials: int | None = None,
    carried: Sequence[Mapping[str, Any]] = (),
) -> None:
    """Ask, evaluate, tell until ``trials`` have run or the budget is spent; ``carried``
    configurations are enqueued first and tagged, so the fidelity gate finds them."""
    for params in carried:
        study.enqueue_trial(dict(params), user_attrs={CARRIED: True})
    done = 0
    while (trials is None or done < trials) and not meter.exhausted:
        trial = study.ask(space.to_optuna())
        config = space.config(trial.params)
        reporter = MeteredReporter(trial, prunes)
        try:
            value = objective(config, fidelity, reporter)
        except TrialPruned:
            study.tell(trial, state=TrialState.PRUNED)
            meter.record(reporter.step, fidelity, reporter.value, config)
        else:
            study.tell(trial, float(value))
            meter.record(max(reporter.step, fidelity.steps), fidelity, value, config)
        done += 1
