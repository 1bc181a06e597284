"""The strategy benchmark's methods, each run in-process on in-memory Optuna studies.

Every method spends one budget counted in full-fidelity evaluations: a trial that ran e epochs
of a max of E on a training fraction t costs e / E * t (a pruned trial: the epochs it ran). What
a method recommends at any moment is its best configuration at the highest fidelity it has
measured (a full-fidelity value beats any lower-fidelity one, however good); the regret is that
configuration's value at full fidelity.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

import numpy as np
import optuna
from optuna.trial import Trial, TrialState

from bench.problems import Problem
from engine import advisor
from engine.advisor.gate import CARRIED, fidelity_gate
from engine.objective import Fidelity, Objective, TrialPruned
from engine.pruners import make_pruner
from engine.samplers import make_sampler
from engine.space import Space
from engine.sprint import SprintPlan, planned_sprint, study_name

optuna.logging.set_verbosity(optuna.logging.WARNING)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

AcqOptimizer = Literal["auto", "lbfgs", "sampling"]


@dataclass(frozen=True)
class Evaluation:
    """One finished trial: the budget spent once it ended, and what it measured where."""

    spent: float
    cost: float
    level: float  # epochs reached / max epochs x train fraction
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
        self.evaluations.append(
            Evaluation(self.spent, cost, cost, full, float(value), dict(config))
        )


@dataclass
class Run:
    """One method on one problem for one seed."""

    problem: str
    method: str
    seed: int
    budget: float
    evaluations: list[Evaluation]
    # (budget spent, full-fidelity value of the recommendation) at each change of recommendation
    trajectory: list[tuple[float, float]]
    wall: float
    notes: dict[str, Any] = field(default_factory=dict)
    cpu: float = math.nan  # CPU seconds: what the run costs on an idle core


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
    """Ask, evaluate, tell (as engine.runner does, minus storage), until ``trials`` or budget."""
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


def _study(name: str, problem: Problem, sampler: Any, pruner: Any = None) -> optuna.Study:
    # A fixed name, as the engine gives its studies: Hyperband assigns trials to brackets by
    # a hash of the study's name, and Optuna's default name is a random UUID.
    direction = "maximize" if problem.maximize else "minimize"
    return optuna.create_study(study_name=name, direction=direction, sampler=sampler, pruner=pruner)


# -- the methods ------------------------------------------------------------------------
Decide = Callable[[advisor.Proposal, SprintPlan], SprintPlan]


def accept(proposal: advisor.Proposal, closed: SprintPlan) -> SprintPlan:
    """``--auto-approve``: the proposal's plan as it stands."""
    return proposal.plan


def pruner_follows_gate(proposal: advisor.Proposal, closed: SprintPlan) -> SprintPlan:
    """What-if (not the advisor's rule): a failed fidelity gate also stops Hyperband from
    pruning below the fidelity just measured, as it would on the ranking the gate distrusts."""
    plan = proposal.plan
    if proposal.evidence["gate"]["passed"] is False and plan.pruner == "hyperband":
        floor = min(closed.fidelity.steps, plan.fidelity.steps)
        return plan.with_changes(min_resource=max(plan.min_resource, floor))
    return plan


def sprints(
    problem: Problem,
    seed: int,
    budget: float,
    acq: AcqOptimizer,
    decide: Decide = accept,
    final: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """sprintopt's pipeline, auto-approved: each sprint's study is new, carry-over enqueued
    first, the advisor's proposal applied as it stands; the last sprint runs out the budget.
    ``decide`` stands in for the operator; ``final`` overrides the last sprint's spec table."""
    if final:
        data = dict(problem.spec_data)
        data["sprints"] = [*data["sprints"][:-1], {**data["sprints"][-1], **final}]
        problem = replace(problem, spec_data=data)
    spec = problem.spec(seed)
    plan: SprintPlan | None = planned_sprint(spec, 0)
    meter = Meter(spec.fidelity.max, budget)
    history: list[advisor.ClosedSprint] = []
    carried: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    number = 1
    while plan is not None and not meter.exhausted:
        # Seeds as a worker (id 1) derives them, so a sprint's draws differ from the last's.
        sampler_seed = seed * 1_000_003 + number * 10_007 + 1
        sampler = make_sampler(
            plan.sampler, plan.space, sampler_seed, plan.n_startup_trials, acq_optimizer=acq
        )
        name = study_name(f"{spec.session.name}-{seed}", number, plan.name)
        study = _study(name, problem, sampler, plan.make_pruner())
        start = meter.spent
        run_study(
            study,
            plan.space,
            plan.fidelity,
            problem.objective,
            meter,
            plan.pruner != "none",
            plan.budget,
            carried[: plan.budget],
        )
        closed = advisor.ClosedSprint(number, plan, study.get_trials(deepcopy=False))
        proposal = advisor.propose(spec, history, closed)
        note = _sprint_note(problem, spec, history, closed, meter.spent - start)
        if proposal is not None:
            note["proposal"] = proposal.evidence["summary"]
            note["gate"] = proposal.evidence["gate"]
            note["volume_ratio"] = proposal.evidence["volume_ratio"]
        notes.append(note)
        history.append(closed)
        if proposal is None:
            break
        decided = decide(proposal, plan)
        carried = advisor.fit_carry_over(proposal.carry_over, proposal.plan.space, decided.space)
        plan, number = decided, number + 1
    return {"evaluations": meter.evaluations, "notes": {"sprints": notes}}


def _sprint_note(
    problem: Problem,
    spec: Any,
    history: Sequence[advisor.ClosedSprint],
    closed: advisor.ClosedSprint,
    spent: float,
) -> dict[str, Any]:
    space = closed.plan.space
    note: dict[str, Any] = {
        "sprint": closed.plan.name,
        "trials": len(closed.trials),
        "spent": round(spent, 3),
        "holds_optimum": None
        if not problem.optima
        else any(space.contains(space.config(o)) for o in problem.optima),
    }
    if history:  # the gate's reading on this sprint's carried-over configurations
        gate = fidelity_gate(
            history[-1], closed, spec.advisor.min_rank_correlation, problem.maximize
        )
        note["spearman"] = gate.spearman
    return note


def tpe_hyperband(problem: Problem, seed: int, budget: float, acq: AcqOptimizer) -> dict[str, Any]:
    """Optuna TPE (the engine's settings) with Hyperband over the full epoch range."""
    spec = problem.spec(seed)
    space, fidelity = spec.to_space(), problem.full_fidelity()
    study = _study(
        f"{problem.name}-tpe+hyperband-{seed}",
        problem,
        make_sampler("tpe", space, seed),
        make_pruner("hyperband", fidelity.steps),
    )
    meter = Meter(spec.fidelity.max, budget)
    run_study(study, space, fidelity, problem.objective, meter, prunes=True)
    return {"evaluations": meter.evaluations}


def _full_fidelity(kind: Literal["tpe", "random"]) -> Callable[..., dict[str, Any]]:
    def method(problem: Problem, seed: int, budget: float, acq: AcqOptimizer) -> dict[str, Any]:
        spec = problem.spec(seed)
        space = spec.to_space()
        study = _study(f"{problem.name}-{kind}-{seed}", problem, make_sampler(kind, space, seed))
        meter = Meter(spec.fidelity.max, budget)
        run_study(study, space, problem.full_fidelity(), problem.objective, meter, prunes=False)
        return {"evaluations": meter.evaluations}

    method.__doc__ = f"{kind} at full fidelity, no pruning."
    return method


def gp_minimize(problem: Problem, seed: int, budget: float, acq: AcqOptimizer) -> dict[str, Any]:
    """scikit-optimize's ``gp_minimize`` at full fidelity, ``budget`` calls, defaults otherwise."""
    from skopt import gp_minimize as skopt_gp_minimize

    # The GP sampler's own encoding of the space, so both GP methods see parameters alike.
    from engine.samplers.gp import _decode, _dimension

    spec = problem.spec(seed)
    space, fidelity = spec.to_space(), problem.full_fidelity()
    meter = Meter(spec.fidelity.max, budget)
    sign = -1.0 if problem.maximize else 1.0

    def func(point: list[Any]) -> float:
        params = {p.name: _decode(p, v) for p, v in zip(space.params, point, strict=True)}
        config = space.config(params)
        value = problem.objective(config, fidelity, _Count())
        meter.record(fidelity.steps, fidelity, value, config)
        return sign * float(value)

    n_calls = int(math.floor(budget + 1e-9))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate points on small spaces: harmless
        skopt_gp_minimize(
            func,
            [_dimension(p) for p in space.params],
            n_calls=n_calls,
            n_initial_points=min(10, n_calls),
            acq_optimizer=acq,
            random_state=seed,
        )
    return {"evaluations": meter.evaluations}


class _Count:
    def report(self, value: float, step: int) -> None:
        pass

    def set_attr(self, key: str, value: Any) -> None:
        pass


def top_k(
    problem: Problem,
    seed: int,
    budget: float,
    acq: AcqOptimizer,
    trained: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Random configurations for one epoch on half the budget, the best half-budget of them
    trained fully from scratch (no checkpoint in the objective contract). ``trained`` memoizes
    full trainings across the budgets of one seed: charged every time, computed once."""
    trained = {} if trained is None else trained
    spec = problem.spec(seed)
    space, full = spec.to_space(), problem.full_fidelity()
    one = Fidelity(full.resource, 1.0, extra=full.extra)
    meter = Meter(spec.fidelity.max, budget)
    k = max(1, int(round(budget / 2)))
    n = max(k, int(math.floor((budget - k) * spec.fidelity.max + 1e-9)))
    study = _study(f"{problem.name}-top-k-{seed}", problem, make_sampler("random", space, seed))
    run_study(study, space, one, problem.objective, meter, prunes=False, trials=n)
    screened = sorted(meter.evaluations, key=lambda e: _key(e, problem.maximize), reverse=True)
    meter.budget = math.inf  # the k full trainings are decided on already
    for e in screened[:k]:
        tag = _tag(e.config)
        if tag not in trained:
            trained[tag] = float(problem.objective(dict(e.config), full, _Count()))
        meter.record(full.steps, full, trained[tag], e.config)
    return {"evaluations": meter.evaluations}


METHODS: dict[str, Callable[..., dict[str, Any]]] = {
    "sprints": sprints,
    "tpe+hyperband": tpe_hyperband,
    "tpe": _full_fidelity("tpe"),
    "gp_minimize": gp_minimize,
    "random": _full_fidelity("random"),
    "top-k": top_k,
}
# What-ifs, run only when asked for (--methods): an advisor rule and a final-sprint choice.
VARIANTS: dict[str, Callable[..., dict[str, Any]]] = {
    "sprints/gated-pruner": partial(sprints, decide=pruner_follows_gate),
    "sprints/gp-final": partial(sprints, final={"sampler": "gp", "pruner": "none"}),
}
# The top-k baseline is not anytime: it is run once per budget on the grid, not once in all.
PER_BUDGET = frozenset({"top-k"})


# -- recommendations and regret ---------------------------------------------------------
def _key(e: Evaluation, maximize: bool) -> tuple[float, float]:
    return (e.level, e.value if maximize else -e.value)


def trajectory(
    evaluations: Iterable[Evaluation], problem: Problem, cache: dict[str, float] | None = None
) -> list[tuple[float, float]]:
    """(spent, full-fidelity value of the recommendation) each time the recommendation moves."""
    cache = {} if cache is None else cache
    best: Evaluation | None = None
    out: list[tuple[float, float]] = []
    for e in evaluations:
        if best is not None and _key(e, problem.maximize) <= _key(best, problem.maximize):
            continue
        best = e
        if e.full:
            out.append((e.spent, e.value))
            continue
        tag = _tag(e.config)
        if tag not in cache:
            cache[tag] = problem.true_value(e.config)
        out.append((e.spent, cache[tag]))
    return out


def _tag(config: Mapping[str, Any]) -> str:
    return repr(sorted(config.items()))


def at_budget(points: Sequence[tuple[float, float]], budget: float) -> float:
    """The recommendation's value once ``budget`` was spent (nan before the first trial)."""
    value = math.nan
    for spent, v in points:
        if spent > budget + 1e-9:
            break
        value = v
    return value


def run_method(
    problem: Problem,
    method: str,
    seed: int,
    budget: float,
    acq: AcqOptimizer = "sampling",
    grid: Sequence[float] = (),
) -> Run:
    """One method, one seed; per-budget methods run once per grid budget up to ``budget``."""
    start, cpu = time.perf_counter(), time.process_time()
    func = {**METHODS, **VARIANTS}[method]
    cache: dict[str, float] = {}
    notes: dict[str, Any] = {}
    if method in PER_BUDGET:
        points, evaluations = [], []
        for b in sorted(g for g in grid if 2 <= g <= budget):
            evaluations = func(problem, seed, b, acq, cache)["evaluations"]
            points.append((b, trajectory(evaluations, problem, cache)[-1][1]))
    else:
        out = func(problem, seed, budget, acq)
        evaluations, notes = out["evaluations"], out.get("notes", {})
        points = trajectory(evaluations, problem, cache)
    run = Run(problem.name, method, seed, budget, evaluations, points, _since(start), notes)
    run.cpu = round(time.process_time() - cpu, 2)
    return run


def one_blas_thread() -> Any:
    """A context with BLAS on one thread in this process. OpenBLAS threads fighting over two
    busy cores made GP fits four times slower; load every BLAS user first, as the limit only
    reaches libraries already loaded."""
    import scipy.linalg
    import scipy.optimize  # noqa: F401
    import sklearn.gaussian_process  # noqa: F401
    import skopt  # noqa: F401
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _since(start: float) -> float:
    return round(time.perf_counter() - start, 2)


def normalized_regret(value: float, optimum: float, reference: float, maximize: bool) -> float:
    """0 at the optimum, 1 at the median random configuration's value."""
    if math.isnan(value):
        return math.nan
    gap = (optimum - value) if maximize else (value - optimum)
    scale = abs(reference - optimum) or 1.0
    return max(0.0, gap / scale)


def summarize(values: Sequence[float]) -> tuple[float, float, float]:
    """(median, 25th percentile, 75th percentile), ignoring nans."""
    arr = np.array([v for v in values if not math.isnan(v)])
    if arr.size == 0:
        return math.nan, math.nan, math.nan
    q1, med, q3 = np.percentile(arr, [25, 50, 75])
    return float(med), float(q1), float(q3)
