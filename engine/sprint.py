"""A sprint's plan: the space, sampler, pruner, fidelity and budget one Optuna study runs with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

import optuna

from engine.objective import Fidelity
from engine.pruners import PrunerKind, make_pruner
from engine.samplers import SamplerKind, make_sampler
from engine.samplers.choice import SamplerChoice, choose_sampler
from engine.space import Space
from engine.spec import Spec, sprint_fidelity


@dataclass(frozen=True)
class SprintPlan:
    """Everything needed to run a sprint; proposals suggest one and decisions apply one."""

    name: str
    space: Space
    fidelity: Fidelity
    sampler: SamplerKind
    pruner: PrunerKind
    budget: int
    min_resource: int = 1
    reduction_factor: int = 3
    n_startup_trials: int | None = None
    timeout: float | None = None
    trial_timeout: float | None = None

    def make_sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        return make_sampler(self.sampler, self.space, seed, self.n_startup_trials)

    def make_pruner(self) -> optuna.pruners.BasePruner:
        return make_pruner(
            self.pruner, self.fidelity.steps, self.min_resource, self.reduction_factor
        )

    def with_changes(self, **changes: Any) -> SprintPlan:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["space"] = self.space.to_dict()
        data["fidelity"] = self.fidelity.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SprintPlan:
        fields = dict(data)
        fields["space"] = Space.from_dict(fields["space"])
        fields["fidelity"] = Fidelity.from_dict(fields["fidelity"])
        return cls(**fields)


def planned_sprint(spec: Spec, index: int, space: Space | None = None) -> SprintPlan:
    """The spec's sprint ``index`` (0-based) as a plan, over ``space`` (default: the spec's);
    ``sampler = "auto"`` is decided over that space (``auto_sampler``)."""
    s = spec.sprints[index]
    space = space or spec.to_space()
    choice = auto_sampler(spec, index, space)
    return SprintPlan(
        name=s.name,
        space=space,
        fidelity=sprint_fidelity(spec, s),
        sampler=choice.sampler if choice else s.sampler,  # type: ignore[arg-type]
        pruner=choice.pruner if choice else s.pruner,
        budget=s.trials,
        min_resource=s.min_resource,
        reduction_factor=s.reduction_factor,
        n_startup_trials=s.n_startup_trials,
        timeout=s.timeout,
        trial_timeout=s.trial_timeout,
    )


def auto_sampler(spec: Spec, index: int, space: Space) -> SamplerChoice | None:
    """The ``auto`` sampler's choice for the spec's sprint ``index`` over ``space``; None when
    the sprint names its sampler."""
    s = spec.sprints[index]
    if s.sampler != "auto":
        return None
    return choose_sampler(space, s.pruner, spec.advisor.gp_max_params)


def study_name(session: str, number: int, sprint: str) -> str:
    """``<session>:<k>:<sprint>`` with k 1-based: sorts and reads well in optuna-dashboard."""
    return f"{session}:{number}:{sprint}"
