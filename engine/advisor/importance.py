"""Parameter importance through Optuna's evaluators (fANOVA or PED-ANOVA), on a private study."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import optuna
from optuna.trial import FrozenTrial

from engine.space import Space

Method = Literal["ped_anova", "fanova"]


@dataclass(frozen=True)
class Importance:
    """Normalised importances (summing to 1), or None with the reason they are missing."""

    method: Method
    values: dict[str, float] | None
    reason: str
    trials: int = 0  # the completed trials it was (or would have been) computed over
    needed: int = 0  # the fewest completed trials it is computed from


def importances(
    trials: Sequence[FrozenTrial],
    space: Space,
    maximize: bool,
    method: Method,
    min_trials: int,
    top_share: float,
    seed: int,
) -> Importance:
    """Importances of the searched parameters over the completed ``trials``.

    PED-ANOVA is asked which parameters matter for reaching the top ``top_share`` of trials
    (the advisor's top-k), so its answer speaks to the same elite the cuts are made from.
    """
    names = list(space.names)
    # Inside the space only: the advisor's probes outside the cut ran beyond its ranges, which
    # an in-memory study refuses (and an importance over the space does not speak to).
    done = [t for t in trials if t.value is not None and space.contains(t.params)]
    need = max(min_trials, 2 * len(names))
    if len(names) < 2:
        return Importance(method, None, "only one parameter is searched: nothing to compare")
    if len(done) < need:
        return Importance(
            method,
            None,
            f"{len(done)} completed trials, fewer than the {need} needed to trust importances "
            f"(importance_min_trials, and at least two per parameter): nothing frozen",
            len(done),
            need,
        )
    # The evaluators take a study; an in-memory one keeps the session's storage untouched.
    # Optuna logs each study it creates; this one is private, so keep the log quiet.
    verbosity = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.create_study(direction="maximize" if maximize else "minimize")
    finally:
        optuna.logging.set_verbosity(verbosity)
    study.add_trials(done)
    # Imported here: optuna.importance loads scikit-learn (1.5 s), which a reader that never
    # computes an importance must not pay for.
    from optuna.importance import (
        FanovaImportanceEvaluator,
        PedAnovaImportanceEvaluator,
        get_param_importances,
    )

    evaluator = (
        FanovaImportanceEvaluator(seed=seed)
        if method == "fanova"
        else PedAnovaImportanceEvaluator(target_quantile=min(max(top_share, 1e-3), 0.999))
    )
    with warnings.catch_warnings():
        # Optuna warns when trials are few or the quantiles coincide; the reason says enough.
        warnings.simplefilter("ignore")
        try:
            raw = get_param_importances(study, evaluator=evaluator, params=names)
        except (ValueError, RuntimeError) as exc:
            return Importance(
                method, None, f"{method} could not run ({exc}): nothing frozen", len(done), need
            )
    values = {n: round(float(raw.get(n, 0.0)), 6) for n in names}
    return Importance(
        method, values, f"{method} over {len(done)} completed trials", len(done), need
    )
