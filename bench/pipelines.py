"""The strategy benchmark's methods, each run in-process on in-memory Optuna studies.

Each method spends one budget counted in full-fidelity evaluations (bench/metering.py) and
returns its evaluations; ``run_method`` turns them into the recommendation's trajectory
(bench/regret.py). The sprint pipeline runs the engine's own pieces: ``planned_sprint``,
``make_sampler``, ``make_pruner``, ``advisor.propose`` and ``advisor.fit_carry_over``.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Literal

from bench.metering import Evaluation, Meter, SilentReporter, new_study, run_study
from bench.problems import Problem
from bench.regret import rank_key, tag, trajectory
from engine import advisor
from engine.advisor.gate import fidelity_gate
from engine.objective import Fidelity
from engine.optuna_internals import quiet_optuna
from engine.pruners import make_pruner
from engine.samplers import make_sampler
from engine.sprint import SprintPlan, planned_sprint, study_name

quiet_optuna()  # as the command line and the workers run

AcqOptimizer = Literal["auto", "lbfgs", "sampling"]


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
    acq: str = "auto"  # the GP acquisition optimiser it ran with


# The operator: from the proposal and the plan of the sprint just closed, the next plan and
# the configurations it re-evaluates first.
Decide = Callable[[advisor.Proposal, SprintPlan], tuple[SprintPlan, list[dict[str, Any]]]]


def accept(
    proposal: advisor.Proposal, closed: SprintPlan
) -> tuple[SprintPlan, list[dict[str, Any]]]:
    """``--auto-approve``: the proposal as it stands."""
    return proposal.plan, list(proposal.carry_over)


def no_carry_after_failed_gate(
    proposal: advisor.Proposal, closed: SprintPlan
) -> tuple[SprintPlan, list[dict[str, Any]]]:
    """What-if: no carry-over after a failed gate: the carried configurations were ranked at a
    fidelity the gate has not vouched for, and as the first trials of the next sprint they
    would seed its sampler's model."""
    plan, carry = accept(proposal, closed)
    gate = proposal.evidence.gate
    return plan, [] if gate is not None and gate.passed is False else carry


def sprints(
    problem: Problem,
    seed: int,
    budget: float,
    acq: AcqOptimizer,
    decide: Decide = accept,
    final: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """sprintopt's pipeline, auto-approved: each sprint's study is new, carry-over enqueued
    first, the advisor's proposal applied as it stands; the last sprint runs out the budget.
    ``decide`` stands in for the operator; ``final`` overrides the last sprint's spec table and
    ``settings`` the spec's advisor settings."""
    if final or settings:
        data = dict(problem.spec_data)
        if final:
            data["sprints"] = [*data["sprints"][:-1], {**data["sprints"][-1], **final}]
        if settings:
            data["advisor"] = {**data.get("advisor", {}), **settings}
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
        study = new_study(name, problem.maximize, sampler, plan.make_pruner())
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
            ev = proposal.evidence
            note["proposal"] = ev.summary
            note["gate"] = None if ev.gate is None else ev.gate.model_dump(mode="json")
            note["volume_ratio"] = ev.volume_ratio
        notes.append(note)
        history.append(closed)
        if proposal is None:
            break
        decided, carry = decide(proposal, plan)
        carried = advisor.fit_carry_over(carry, proposal.plan.space, decided.space)
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
        "sampler": closed.plan.sampler,
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
    study = new_study(
        f"{problem.name}-tpe+hyperband-{seed}",
        problem.maximize,
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
        sampler = make_sampler(kind, space, seed)
        study = new_study(f"{problem.name}-{kind}-{seed}", problem.maximize, sampler)
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
        value = problem.objective(config, fidelity, SilentReporter())
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
    sampler = make_sampler("random", space, seed)
    study = new_study(f"{problem.name}-top-k-{seed}", problem.maximize, sampler)
    run_study(study, space, one, problem.objective, meter, prunes=False, trials=n)
    screened = sorted(meter.evaluations, key=lambda e: rank_key(e, problem.maximize), reverse=True)
    meter.budget = math.inf  # the k full trainings are decided on already
    for e in screened[:k]:
        key = tag(e.config)
        if key not in trained:
            trained[key] = float(problem.objective(dict(e.config), full, SilentReporter()))
        meter.record(full.steps, full, trained[key], e.config)
    return {"evaluations": meter.evaluations}


METHODS: dict[str, Callable[..., dict[str, Any]]] = {
    "sprints": sprints,
    "tpe+hyperband": tpe_hyperband,
    "tpe": _full_fidelity("tpe"),
    "gp_minimize": gp_minimize,
    "random": _full_fidelity("random"),
    "top-k": top_k,
}
# What-ifs, run only when asked for (--methods): the pipeline without the advisor's pruner
# floor (as it was before that rule), without carry-over after a failed gate, and with the last
# sprint's sampler named "tpe" instead of "auto" (the examples' spec before issue #15), and
# with 4 probes outside the cut for the gate (advisor.probes_outside, off by default).
VARIANTS: dict[str, Callable[..., dict[str, Any]]] = {
    "sprints/outside": partial(sprints, settings={"probes_outside": 4}),
    "sprints/no-floor": partial(sprints, settings={"raise_min_resource": False}),
    "sprints/no-carry": partial(sprints, decide=no_carry_after_failed_gate),
    "sprints/tpe-final": partial(sprints, final={"sampler": "tpe"}),
}
# The top-k baseline is not anytime: it is run once per budget on the grid, not once in all.
PER_BUDGET = frozenset({"top-k"})


def run_method(
    problem: Problem,
    method: str,
    seed: int,
    budget: float,
    acq: AcqOptimizer = "auto",
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
    run.cpu, run.acq = round(time.process_time() - cpu, 2), acq
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
