"""``sampler = "auto"``: which sampler (and pruner) a sprint runs with, from its space.

Pure and cheap, so the spec's first sprint and every proposal decide it the same way. A GP
(scikit-optimize, engine/samplers/gp.py) models a small space far better per evaluation than
TPE does, and at full fidelity that is the budget that counts; it learns only from trials that
finish, so it runs without a pruner (a pruned trial would be budget spent that the model never
sees). Past ``max_params`` searched parameters, or with categorical choices that one-hot coding
spreads over more dimensions than that, TPE with the sprint's own pruner scales better.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.pruners import PrunerKind
from engine.samplers import SamplerKind
from engine.space import CategoricalParam, Space


@dataclass(frozen=True)
class SamplerChoice:
    sampler: SamplerKind
    pruner: PrunerKind
    reason: str


def gp_dimensions(space: Space) -> int:
    """The dimensions a GP models: one per numeric parameter, one per choice beyond the first
    for a categorical (skopt codes them one-hot)."""
    return sum(
        max(1, len(p.choices) - 1) if isinstance(p, CategoricalParam) else 1 for p in space.params
    )


def choose_sampler(space: Space, pruner: PrunerKind, max_params: int) -> SamplerChoice:
    """``auto`` resolved over ``space``; ``pruner`` is the sprint's own, kept with TPE."""
    n, dims = len(space.params), gp_dimensions(space)
    what = f"{n} searched parameter{'s' if n != 1 else ''}"
    if dims != n:
        what += f" ({dims} dimensions one-hot)"
    if n and dims <= max_params:
        off = ""
        if pruner != "none":
            off = f"; {pruner} is off: a GP learns only from trials that finish"
        return SamplerChoice("gp", "none", f"auto: gp, {what} (at most {max_params}){off}")
    if not n:
        return SamplerChoice("tpe", pruner, "auto: tpe, nothing is searched")
    return SamplerChoice("tpe", pruner, f"auto: tpe, {what} (a GP takes at most {max_params})")
