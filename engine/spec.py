"""The spec: a TOML file validated on load; every mistake is one clear message."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, Union, get_args

from pydantic import Field, ValidationError, field_validator, model_validator

from engine.errors import SpecError
from engine.limits import (
    MAX_INT_PARAM,
    MAX_JSON_INT,
    MAX_PARAM_NAME,
    MAX_SESSION_NAME,
    MIN_STEP_RATIO,
    shown,
)
from engine.objective import Fidelity
from engine.pruners import PrunerKind
from engine.samplers import SamplerKind, SamplerSetting
from engine.settings import Settings
from engine.space import CategoricalParam, FloatParam, IntParam, Param, Space
from engine.spec_file import parse_toml
from engine.spec_file import read_spec_text as read_spec_text
from engine.spec_messages import _describe_errors, _repr, _toml
from engine.spec_models import FAILING_AFTER as FAILING_AFTER
from engine.spec_models import MAX_NOTIFY_SECONDS as MAX_NOTIFY_SECONDS
from engine.spec_models import MAX_TRIALS as MAX_TRIALS
from engine.spec_models import NAME_PATTERN as NAME_PATTERN
from engine.spec_models import NOTIFY_TIMEOUT as NOTIFY_TIMEOUT
from engine.spec_models import AdvisorSpec as AdvisorSpec
from engine.spec_models import FidelitySpec as FidelitySpec
from engine.spec_models import NotifySpec as NotifySpec
from engine.spec_models import SessionSpec as SessionSpec
from engine.spec_models import SprintSpec as SprintSpec
from engine.spec_models import _check_free_table, _int, _Model
from engine.spec_objective import resolve_objective as resolve_objective

FRACTIONS = ("train_fraction", "valid_fraction")


class FloatSpec(_Model):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    step: float | None = None

    @model_validator(mode="after")
    def _check(self) -> FloatSpec:
        _check_range(self.low, self.high, self.log)
        if not math.isfinite(self.high - self.low):
            # Samplers draw from [low, high] in float arithmetic: an infinite width breaks them.
            raise ValueError(
                f"the range high - low ({self.low:g} .. {self.high:g}) is too wide for a "
                "float: narrow it"
            )
        if self.step is not None:
            if self.step <= 0:
                raise ValueError(f"step must be a positive number, got {self.step:g}")
            if self.log:
                raise ValueError("log and step cannot be combined: drop one of them")
            if self.step > self.high - self.low:
                raise ValueError(f"step ({self.step:g}) is larger than the range high - low")
            bound = max(abs(self.low), abs(self.high))
            if self.step < MIN_STEP_RATIO * bound:
                raise ValueError(
                    f"step ({self.step:g}) is too small for the range {self.low:g} .. "
                    f"{self.high:g}: a float holds about 16 digits, so grid points closer than "
                    f"{MIN_STEP_RATIO * bound:.3g} cannot be told apart; use a larger step, or "
                    "drop step to search the range continuously"
                )
            n = (self.high - self.low) / self.step
            if abs(n - round(n)) > 1e-8 * max(1.0, n):
                _indivisible(self.low, self.high, self.step, math.floor(n))
            _check_optuna_accepts(self)
        return self

    def to_param(self, name: str) -> Param:
        return FloatParam(name, self.low, self.high, self.log, self.step)


def _check_optuna_accepts(p: FloatSpec) -> None:
    """Build the distribution a worker will build: what Optuna refuses, the spec refuses."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna warns when it lowers high onto the grid
            p.to_param("x").distribution()
    except (ArithmeticError, ValueError) as exc:  # decimal.InvalidOperation is both
        raise ValueError(
            f"Optuna cannot use step {p.step:g} over {p.low:g} .. {p.high:g} "
            f"({type(exc).__name__}): use a larger step"
        ) from None


class IntSpec(_Model):
    type: Literal["int"]
    low: int
    high: int
    log: bool = False
    step: int = 1

    @model_validator(mode="after")
    def _check(self) -> IntSpec:
        for key in ("low", "high"):
            if abs(getattr(self, key)) > MAX_INT_PARAM:
                raise ValueError(
                    f"{key} ({_int(getattr(self, key))}) is out of reach: int bounds must lie "
                    f"within +-{MAX_INT_PARAM} (2**53), where a float (how Optuna stores a "
                    "parameter) still holds every integer"
                )
        _check_range(self.low, self.high, self.log)
        if self.step < 1:
            raise ValueError(f"step must be a positive integer, got {_int(self.step)}")
        if self.log and self.step != 1:
            raise ValueError("log and step cannot be combined: drop one of them")
        if self.step > self.high - self.low:
            raise ValueError(f"step ({_int(self.step)}) is larger than the range high - low")
        if (self.high - self.low) % self.step:
            _indivisible(self.low, self.high, self.step, (self.high - self.low) // self.step)
        return self

    def to_param(self, name: str) -> Param:
        return IntParam(name, self.low, self.high, self.log, self.step)


class CategoricalSpec(_Model):
    type: Literal["categorical"]
    choices: list[Union[bool, int, float, str]]

    @field_validator("choices")
    @classmethod
    def _choices(cls, v: list[Any]) -> list[Any]:
        if not v:
            raise ValueError("choices is empty: list at least one choice")
        seen: dict[Any, Any] = {}  # equal values hash alike (true, 1, 1.0): one pass finds any
        for c in v:
            if isinstance(c, int) and abs(c) > MAX_JSON_INT:
                raise ValueError(f"choice {_toml(c)} does not fit in 64 bits: quote it")
            if c not in seen:
                seen[c] = c
                continue
            d = seen[c]
            if type(c) is type(d):
                raise ValueError(f"choice {_toml(c)} is listed twice: remove one")
            # Optuna finds a choice by ==, so true would come back for 1 (and 1 for 1.0).
            raise ValueError(
                f"choices {_toml(d)} and {_toml(c)} are equal to Optuna: drop one or quote "
                f'it as a string ("{shown(str(c))}")'
            )
        return v

    def to_param(self, name: str) -> Param:
        return CategoricalParam(name, tuple(self.choices))


def _indivisible(low: float, high: float, step: float, whole_steps: float) -> NoReturn:
    raise ValueError(
        f"step ({step:g}) does not divide high - low ({high - low:g}): set high = "
        f"{low + whole_steps * step:g} or pick a step that divides the range"
    )


def _check_range(low: float, high: float, log: bool) -> None:
    if low >= high:
        raise ValueError(f"low ({_num(low)}) must be below high ({_num(high)})")
    if log and low <= 0:
        raise ValueError(f"log = true needs low > 0, got low = {_num(low)}")


def _num(value: float) -> str:
    return _int(value) if isinstance(value, int) else f"{value:g}"


ParamSpec = Annotated[Union[FloatSpec, IntSpec, CategoricalSpec], Field(discriminator="type")]


class Spec(_Model):
    session: SessionSpec
    space: dict[str, ParamSpec]
    frozen: dict[str, Any] = Field(default_factory=dict)
    fidelity: FidelitySpec
    sprints: list[SprintSpec] = Field(min_length=1)
    advisor: AdvisorSpec = Field(default_factory=AdvisorSpec)
    notify: NotifySpec | None = None

    @field_validator("space", "frozen")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if not 0 < len(name) <= MAX_PARAM_NAME:
                raise ValueError(
                    f"parameter names must be 1 to {MAX_PARAM_NAME} characters, got "
                    f"{len(name)} ({_toml(name)})"
                )
        return v

    @field_validator("frozen")
    @classmethod
    def _frozen(cls, v: dict[str, Any]) -> dict[str, Any]:
        return _check_free_table(v)

    @model_validator(mode="after")
    def _cross_checks(self) -> Spec:
        if not self.space:
            raise ValueError("space is empty: define at least one parameter under [space.NAME]")
        clash = sorted(set(self.space) & set(self.frozen))
        if clash:
            raise ValueError(f"{', '.join(clash)} is both searched and frozen: keep one")
        names = [s.name for s in self.sprints]
        if len(set(names)) != len(names):
            raise ValueError("sprint names must be unique")
        for i, sprint in enumerate(self.sprints):
            problem = sprint_problem(
                sprint_fidelity(self, sprint),
                self.fidelity.max,
                sampler=sprint.sampler,
                samplers=SamplerSetting,
                pruner=sprint.pruner,
                min_resource=sprint.min_resource,
                trials=sprint.trials,
            )
            if problem:
                raise ValueError(f"sprints[{i}] ({sprint.name}): {problem}")
        return self

    # -- derived values -------------------------------------------------------------------
    def to_space(self) -> Space:
        params = tuple(p.to_param(name) for name, p in self.space.items())
        return Space(params, tuple(self.frozen.items()))

    def storage_url(self, base: Path | None = None) -> str:
        """The spec's ``storage =``, else the session's own database under ``base``."""
        return Settings(base=base).storage_for(self.session.name, spec_storage=self.session.storage)


def sprint_fidelity(spec: Spec, sprint: SprintSpec) -> Fidelity:
    """The fidelity a planned sprint runs at: spec defaults overridden by the sprint's table."""
    resource = spec.fidelity.resource
    table = dict(sprint.fidelity)
    amount = _finite(table.pop(resource, spec.fidelity.max))
    if amount is None:
        raise ValueError(f"sprint {sprint.name}: fidelity {resource} must be a number")
    fractions: dict[str, float] = {}
    for key in FRACTIONS:
        value = _finite(table.pop(key, getattr(spec.fidelity, key)))
        if value is None:
            raise ValueError(f"sprint {sprint.name}: fidelity {key} must be a number in (0, 1]")
        fractions[key] = value
    extra = {**spec.fidelity.extra, **table}
    return Fidelity(resource, amount, extra=extra, noted=tuple(table), **fractions)


def sprint_problem(
    fidelity: Fidelity,
    fidelity_max: float,
    *,
    sampler: str,
    pruner: str,
    min_resource: int,
    trials: int,
    samplers: Any = SamplerKind,
) -> str | None:
    """What makes one sprint unrunnable, or None if nothing does.

    The one set of sprint rules: the spec checks each of its sprints with it, and
    ``engine.decision.validate_plan`` checks each decided plan, so the two cannot drift apart.
    A spec's sprint may also name the ``auto`` sampler (``samplers``); a plan names a kind.
    """
    if not 0 < fidelity.amount <= fidelity_max:
        return (
            f"{fidelity.resource} = {fidelity.amount:g} must be in (0, "
            f"fidelity.max = {fidelity_max:g}]"
        )
    for key in FRACTIONS:
        if not 0 < getattr(fidelity, key) <= 1:
            return f"fidelity {key} must be in (0, 1]"
    if not 1 <= trials <= MAX_TRIALS:
        return f"trials must be between 1 and {MAX_TRIALS}"
    unknown = kind_problem(sampler, samplers, "sampler") or kind_problem(
        pruner, PrunerKind, "pruner"
    )
    if unknown:
        return unknown
    if pruner == "hyperband" and min_resource > fidelity.steps:
        return (
            f"Hyperband min_resource ({min_resource}) is above the sprint's "
            f"{fidelity.resource} ({fidelity.steps}); lower min_resource, raise "
            f"{fidelity.resource} or choose another pruner"
        )
    return None


def kind_problem(value: str, kinds: Any, what: str) -> str | None:
    """Why ``value`` is not one of the ``Literal`` ``kinds`` (a sampler, a pruner), or None."""
    allowed = get_args(kinds)
    if value in allowed:
        return None
    return f"unknown {what} {value!r}: use one of {', '.join(allowed)}"


def _finite(value: Any) -> float | None:
    """``value`` as a finite float, or None when it is not a number (or too large for one)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


# -- loading ------------------------------------------------------------------------------
def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; raises :class:`SpecError` with one clear message."""
    return parse_spec(read_spec_text(path), source=shown(str(path)))


def parse_spec(text: str, source: str = "<spec>") -> Spec:
    return spec_from_dict(parse_toml(text, source), source)


def spec_from_dict(data: Mapping[str, Any], source: str = "<spec>") -> Spec:
    data = dict(data)
    space = data.get("space")
    if isinstance(space, Mapping) and "frozen" in space:
        # [space.frozen] reads naturally in TOML; keep it out of the parameter union.
        space = dict(space)
        frozen, top = space.pop("frozen"), data.get("frozen", {})
        if not (isinstance(frozen, Mapping) and isinstance(top, Mapping)):
            raise SpecError(
                f"{source}: space.frozen: must be a table of name = value, e.g. [space.frozen] "
                "then batch_size = 32"
            )
        data["frozen"] = {**frozen, **top}
        data["space"] = space
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: {_describe_errors(exc)}") from None
    except RecursionError:
        raise SpecError(f"{source}: values nested too deeply: flatten them") from None


def check_name(name: str) -> str:
    """``name`` if it can name a session (and its `sessions/<name>.db`), else a SpecError."""
    if not re.match(NAME_PATTERN, name):
        raise SpecError(f"{_repr(name)} is not a valid session name (letters, digits, _ . -)")
    if len(name) > MAX_SESSION_NAME:
        raise SpecError(
            f"a session name has at most {MAX_SESSION_NAME} characters; {_repr(name)} has "
            f"{len(name)}"
        )
    return name
