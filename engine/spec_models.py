"""The spec's tables besides [space]: session, fidelity, sprints, advisor and notify."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from engine.limits import (
    MAX_COUNT,
    MAX_DEPTH,
    MAX_FIDELITY_STEP,
    MAX_JSON_INT,
    MAX_RESOURCE,
    MAX_SECONDS,
    MAX_SEED,
    MAX_SESSION_NAME,
    shown,
)
from engine.pruners import PrunerKind
from engine.samplers import SamplerSetting

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
MAX_TRIALS = 100_000


class _Model(BaseModel):
    # Strict: a quoted number or `log = "yes"` is a mistake to report, not to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _int(value: int) -> str:
    return shown(str(value)) if abs(value) < 10**4000 else "a huge integer"


def _check_free_value(value: Any, where: str = "", depth: int = 0) -> None:
    """A frozen value or fidelity key is stored as JSON and handed to the objective as is:
    only TOML's strings, booleans, 64-bit integers, finite floats, arrays and tables."""
    at = f" at {shown(where)}" if where else ""
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep{at}: flatten it")
    if isinstance(value, (bool, str)):
        return
    if isinstance(value, int):
        if abs(value) > MAX_JSON_INT:
            raise ValueError(f"the integer{at} does not fit in 64 bits: quote it as a string")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value}{at} is not a finite number: use a number or a string")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_free_value(item, f"{where}[{i}]", depth + 1)
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"table keys{at} must be strings")
            _check_free_value(item, f"{where}.{key}" if where else key, depth + 1)
        return
    # TOML dates and times, or anything else a dict handed in: JSON cannot hold it.
    raise ValueError(f"{type(value).__name__} values{at} cannot be stored: quote it as a string")


def _check_free_table(table: dict[str, Any]) -> dict[str, Any]:
    for key, value in table.items():
        _check_free_value(value, key)
    return table


def _check_seconds(value: float | None) -> float | None:
    if value is not None and value > MAX_SECONDS:
        raise ValueError(f"must be at most {MAX_SECONDS:.0f} seconds (ten years), got {value:g}")
    return value


class SessionSpec(_Model):
    name: str = Field(pattern=NAME_PATTERN, max_length=MAX_SESSION_NAME)
    direction: Literal["minimize", "maximize"]
    objective: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    storage: str | None = Field(default=None, max_length=4096)
    seed: int = 0

    @field_validator("seed")
    @classmethod
    def _seed(cls, v: int) -> int:
        # Each worker seeds its sampler with seed * 1000003 + sprint * 10007 + worker id,
        # reduced mod 2**32 (NumPy's range): a seed in 0 .. 2**31 - 1 keeps that well-defined.
        if not 0 <= v <= MAX_SEED:
            raise ValueError(
                f"seed must be a whole number from 0 to {MAX_SEED} (2**31 - 1), got {_int(v)}"
            )
        return v


class FidelitySpec(_Model):
    resource: str = Field(default="epochs", pattern=r"^[A-Za-z_]\w*$")
    max: float = Field(gt=0, le=MAX_RESOURCE)
    train_fraction: float = Field(default=1.0, gt=0, le=1)
    valid_fraction: float = Field(default=1.0, gt=0, le=1)
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("extra")
    @classmethod
    def _extra(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_free_table(v)


class SprintSpec(_Model):
    name: str = Field(pattern=NAME_PATTERN, max_length=40)
    sampler: SamplerSetting = "tpe"
    pruner: PrunerKind = "none"
    trials: int = Field(ge=1, le=MAX_TRIALS)
    fidelity: dict[str, Any] = Field(default_factory=dict)
    timeout: float | None = Field(default=None, gt=0)
    # One trial's time limit in seconds: past it the trial fails with the reason (the
    # objective runs in a child process; see docs/architecture.md).
    trial_timeout: float | None = Field(default=None, gt=0)
    min_resource: int = Field(default=1, ge=1, le=MAX_RESOURCE)
    reduction_factor: int = Field(default=3, ge=2, le=1000)
    n_startup_trials: int | None = Field(default=None, ge=0, le=MAX_COUNT)

    @field_validator("timeout", "trial_timeout")
    @classmethod
    def _seconds(cls, v: float | None) -> float | None:
        # Both become timedeltas and deadlines: ten years is far past any campaign.
        return _check_seconds(v)

    @field_validator("fidelity")
    @classmethod
    def _fidelity(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_free_table(v)


class AdvisorSpec(_Model):
    """How the advisor cuts the space between sprints (see engine/advisor/)."""

    # The top trials: top_k, capped by ceil(top_quantile * ranked trials) when that is set.
    top_k: int = Field(default=10, ge=1, le=MAX_COUNT)
    top_quantile: float | None = Field(default=None, gt=0, le=1)
    # Values within tie_tolerance of the k-th best tie with it; every tie joins the top-k
    # (exact ties always do): a sprint that cannot rank its trials is not cut on their order.
    tie_tolerance: float = Field(default=0.0, ge=0)
    # Cuts: the top-k span plus margin (a fraction of the current range, log space for log).
    # 0.2: of 0.1, 0.15, 0.2 and 0.3 on the strategy benchmark, the best mean rank over the
    # three budgets; a narrower cut loses the optimum more often (docs/benchmarks.md).
    margin: float = Field(default=0.2, ge=0, le=1)
    # Bound hits: top trials inside this band at an edge widen the range by `widen` x range.
    edge: float = Field(default=0.05, ge=0, lt=0.5)
    widen: float = Field(default=0.5, gt=0, le=10)
    # Freezing: normalised importance below the threshold freezes at the best trial's value.
    freeze_threshold: float = Field(default=0.02, ge=0, le=1)
    importance: Literal["ped_anova", "fanova"] = "fanova"
    importance_min_trials: int = Field(default=10, ge=2, le=MAX_COUNT)
    # Fidelity: past the plan, up to extra_sprints more, each fidelity_step x the last.
    fidelity_step: float = Field(default=2.0, gt=1, le=MAX_FIDELITY_STEP)
    extra_sprints: int = Field(default=0, ge=0, le=100)
    # The fidelity gate over carried-over configurations evaluated at two fidelities.
    min_rank_correlation: float = Field(default=0.5, ge=-1, le=1)
    on_low_correlation: Literal["widen", "keep"] = "widen"
    # ...and the next sprint's pruner decides no earlier than the closed sprint's fidelity
    # (its min_resource is raised): below it, rankings are what the gate just distrusted.
    raise_min_resource: bool = True
    # ...and its random start-up trials come on top of the carry-over (chosen on the ranking
    # the gate distrusts) instead of counting it.
    fresh_startup: bool = True
    # Warm start: the best configurations, plus probes at spread ranks for the gate.
    carry_over: int = Field(default=5, ge=0, le=MAX_COUNT)
    probes: int = Field(default=2, ge=0, le=MAX_COUNT)
    # ...and probes outside the cut, run where they lie as extra trials of the next sprint, so
    # the gate after it compares the fidelities over the whole range (engine/advisor/carry.py).
    # Off by default: a truer gate keeps more cuts, and on the benchmark that costs regret
    # (docs/benchmarks.md, "Probes outside the cut").
    probes_outside: int = Field(default=0, ge=0, le=MAX_COUNT)
    bootstrap: int = Field(default=200, ge=0, le=100_000)
    # Restore parameters frozen and choices dropped on lower-fidelity evidence.
    recheck_fixed: bool = True
    mix_fidelities: bool = False
    # A sprint with sampler = "auto" runs a GP (no pruner) over at most this many dimensions
    # (categoricals one-hot), TPE with its pruner past it (engine/samplers/choice.py).
    gp_max_params: int = Field(default=8, ge=0, le=MAX_COUNT)


#: The most seconds a notify command may run before it is killed: it calls a person, no more.
MAX_NOTIFY_SECONDS = 3600
#: Defaults of [notify]: trials failed in a row that call a person; seconds the command may run.
FAILING_AFTER = 3
NOTIFY_TIMEOUT = 30.0


class NotifySpec(_Model):
    """Calling a person (engine/notify.py): ``command`` runs once per event, in a shell, with
    the session, the event and a summary in its environment."""

    command: str = Field(max_length=4096)
    # Trials of one sprint failed in a row (in the order they ended) that call a person.
    failing_after: int = Field(default=FAILING_AFTER, ge=1, le=MAX_COUNT)
    timeout: float = Field(default=NOTIFY_TIMEOUT, gt=0, le=MAX_NOTIFY_SECONDS)

    @field_validator("command")
    @classmethod
    def _command(cls, v: str) -> str:
        if not v.strip():
            raise ValueError(
                "is empty: name the command to run, e.g. command = "
                """'notify-send sprintopt "$SPRINTOPT_SUMMARY"', or remove [notify]"""
            )
        if "\0" in v:
            raise ValueError("holds a NUL character, which no command line can carry")
        return v
