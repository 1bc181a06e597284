"""The spec: a TOML file validated on load; every mistake is one clear message."""

from __future__ import annotations

import importlib
import json
import math
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import SpecError
from engine.objective import Fidelity
from engine.space import CategoricalParam, FloatParam, IntParam, Param, Space

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class _Model(BaseModel):
    # Strict: a quoted number or `log = "yes"` is a mistake to report, not to coerce.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class FloatSpec(_Model):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    step: float | None = None

    @model_validator(mode="after")
    def _check(self) -> FloatSpec:
        _check_range(self.low, self.high, self.log)
        if self.step is not None:
            if self.step <= 0:
                raise ValueError(f"step must be a positive number, got {self.step:g}")
            if self.log:
                raise ValueError("log and step cannot be combined: drop one of them")
            if self.step > self.high - self.low:
                raise ValueError(f"step ({self.step:g}) is larger than the range high - low")
            n = (self.high - self.low) / self.step
            if abs(n - round(n)) > 1e-8 * max(1.0, n):
                _indivisible(self.low, self.high, self.step, math.floor(n))
        return self

    def to_param(self, name: str) -> Param:
        return FloatParam(name, self.low, self.high, self.log, self.step)


class IntSpec(_Model):
    type: Literal["int"]
    low: int
    high: int
    log: bool = False
    step: int = 1

    @model_validator(mode="after")
    def _check(self) -> IntSpec:
        _check_range(self.low, self.high, self.log)
        if self.step < 1:
            raise ValueError(f"step must be a positive integer, got {self.step}")
        if self.log and self.step != 1:
            raise ValueError("log and step cannot be combined: drop one of them")
        if self.step > self.high - self.low:
            raise ValueError(f"step ({self.step}) is larger than the range high - low")
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
        for i, c in enumerate(v):
            for d in v[:i]:
                if c != d:
                    continue
                if type(c) is type(d):
                    raise ValueError(f"choice {_toml(c)} is listed twice: remove one")
                # Optuna finds a choice by ==, so true would come back for 1 (and 1 for 1.0).
                raise ValueError(
                    f"choices {_toml(d)} and {_toml(c)} are equal to Optuna: drop one or quote "
                    f'it as a string ("{c}")'
                )
        return v

    def to_param(self, name: str) -> Param:
        return CategoricalParam(name, tuple(self.choices))


def _toml(value: Any) -> str:
    return json.dumps(value)  # true, 1, 1.0, "a": how the user wrote it


def _indivisible(low: float, high: float, step: float, whole_steps: float) -> NoReturn:
    raise ValueError(
        f"step ({step:g}) does not divide high - low ({high - low:g}): set high = "
        f"{low + whole_steps * step:g} or pick a step that divides the range"
    )


def _check_range(low: float, high: float, log: bool) -> None:
    if low >= high:
        raise ValueError(f"low ({low:g}) must be below high ({high:g})")
    if log and low <= 0:
        raise ValueError(f"log = true needs low > 0, got low = {low:g}")


ParamSpec = Annotated[Union[FloatSpec, IntSpec, CategoricalSpec], Field(discriminator="type")]


class SessionSpec(_Model):
    name: str = Field(pattern=NAME_PATTERN, max_length=80)
    direction: Literal["minimize", "maximize"]
    objective: str = Field(pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    storage: str | None = None
    seed: int = 0


class FidelitySpec(_Model):
    resource: str = Field(default="epochs", pattern=r"^[A-Za-z_]\w*$")
    max: float = Field(gt=0)
    train_fraction: float = Field(default=1.0, gt=0, le=1)
    valid_fraction: float = Field(default=1.0, gt=0, le=1)
    extra: dict[str, Any] = Field(default_factory=dict)


class SprintSpec(_Model):
    name: str = Field(pattern=NAME_PATTERN, max_length=40)
    sampler: Literal["tpe", "gp", "random"] = "tpe"
    pruner: Literal["hyperband", "median", "none"] = "none"
    trials: int = Field(ge=1, le=100_000)
    fidelity: dict[str, Any] = Field(default_factory=dict)
    timeout: float | None = Field(default=None, gt=0)
    min_resource: int = Field(default=1, ge=1)
    reduction_factor: int = Field(default=3, ge=2)
    n_startup_trials: int | None = Field(default=None, ge=0)


class AdvisorSpec(_Model):
    """How the advisor cuts the space between sprints (see engine/advisor/)."""

    # The top trials: top_k, capped by ceil(top_quantile * ranked trials) when that is set.
    top_k: int = Field(default=10, ge=1)
    top_quantile: float | None = Field(default=None, gt=0, le=1)
    # Cuts: the top-k span plus margin (a fraction of the current range, log space for log).
    margin: float = Field(default=0.1, ge=0, le=1)
    # Bound hits: top trials inside this band at an edge widen the range by `widen` x range.
    edge: float = Field(default=0.05, ge=0, lt=0.5)
    widen: float = Field(default=0.5, gt=0, le=10)
    # Freezing: normalised importance below the threshold freezes at the best trial's value.
    freeze_threshold: float = Field(default=0.02, ge=0, le=1)
    importance: Literal["ped_anova", "fanova"] = "fanova"
    importance_min_trials: int = Field(default=10, ge=2)
    # Fidelity: past the plan, up to extra_sprints more, each fidelity_step x the last.
    fidelity_step: float = Field(default=2.0, gt=1)
    extra_sprints: int = Field(default=0, ge=0, le=100)
    # The fidelity gate over carried-over configurations evaluated at two fidelities.
    min_rank_correlation: float = Field(default=0.5, ge=-1, le=1)
    on_low_correlation: Literal["widen", "keep"] = "widen"
    # ...and the next sprint's pruner decides no earlier than the closed sprint's fidelity
    # (its min_resource is raised): below it, rankings are what the gate just distrusted.
    raise_min_resource: bool = True
    # Warm start: the best configurations, plus probes at spread ranks for the gate.
    carry_over: int = Field(default=5, ge=0)
    probes: int = Field(default=2, ge=0)
    bootstrap: int = Field(default=200, ge=0, le=100_000)
    # Restore parameters frozen and choices dropped on lower-fidelity evidence.
    recheck_fixed: bool = True
    mix_fidelities: bool = False


class Spec(_Model):
    session: SessionSpec
    space: dict[str, ParamSpec]
    frozen: dict[str, Any] = Field(default_factory=dict)
    fidelity: FidelitySpec
    sprints: list[SprintSpec] = Field(min_length=1)
    advisor: AdvisorSpec = Field(default_factory=AdvisorSpec)

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
            fid = sprint_fidelity(self, sprint)
            where = f"sprints[{i}] ({sprint.name})"
            if fid.amount <= 0 or fid.amount > self.fidelity.max:
                raise ValueError(
                    f"{where}: {fid.resource} = {fid.amount:g} must be in (0, "
                    f"fidelity.max = {self.fidelity.max:g}]"
                )
            for key in ("train_fraction", "valid_fraction"):
                if not 0 < getattr(fid, key) <= 1:
                    raise ValueError(f"{where}: fidelity {key} must be in (0, 1]")
            if sprint.pruner == "hyperband" and sprint.min_resource > fid.steps:
                raise ValueError(
                    f"{where}: Hyperband min_resource ({sprint.min_resource}) is above the "
                    f"sprint's {fid.resource} ({fid.steps}); lower min_resource or raise "
                    f"{fid.resource}"
                )
        return self

    # -- derived values -------------------------------------------------------------------
    def to_space(self) -> Space:
        params = tuple(p.to_param(name) for name, p in self.space.items())
        return Space(params, tuple(self.frozen.items()))

    def storage_url(self, base: Path | None = None) -> str:
        if self.session.storage:
            return self.session.storage
        home = (base or Path.cwd()) / "sessions"
        return f"sqlite:///{(home / f'{self.session.name}.db').resolve()}"


def sprint_fidelity(spec: Spec, sprint: SprintSpec) -> Fidelity:
    """The fidelity a planned sprint runs at: spec defaults overridden by the sprint's table."""
    resource = spec.fidelity.resource
    table = dict(sprint.fidelity)
    amount = table.pop(resource, spec.fidelity.max)
    if (
        isinstance(amount, bool)
        or not isinstance(amount, (int, float))
        or not math.isfinite(amount)
    ):
        raise ValueError(f"sprint {sprint.name}: fidelity {resource} must be a number")
    fractions: dict[str, float] = {}
    for key in ("train_fraction", "valid_fraction"):
        value = table.pop(key, getattr(spec.fidelity, key))
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"sprint {sprint.name}: fidelity {key} must be a number in (0, 1]")
        fractions[key] = float(value)
    extra = {**spec.fidelity.extra, **table}
    return Fidelity(resource, float(amount), extra=extra, noted=tuple(table), **fractions)


# -- loading ------------------------------------------------------------------------------
def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; raises :class:`SpecError` with one clear message."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read it ({exc})") from None
    return parse_spec(text, source=str(path))


def parse_spec(text: str, source: str = "<spec>") -> Spec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: not valid TOML: {exc}") from None
    return spec_from_dict(data, source)


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


_PARAM_TAGS = ("float", "int", "categorical")
_CHOICE_TYPES = ("bool", "int", "float", "str")  # the members of a choice's union
_PATTERN_HINTS = {
    "name": "use letters, digits, _ . - (starting with a letter or digit)",
    "objective": "write it as 'module:function', e.g. 'mypkg.train:objective'",
    "resource": "use a plain name such as 'epochs'",
}


def _describe_errors(exc: ValidationError) -> str:
    """The first problem, then one line for each other field at fault."""
    problems: dict[str, str] = {}
    for err in exc.errors():
        loc = list(err["loc"])
        if len(loc) > 2 and loc[0] == "space" and loc[2] in _PARAM_TAGS:
            del loc[2]  # the parameter's `type`, which pydantic shows as a path step
        if len(loc) > 1 and isinstance(loc[-2], int) and loc[-1] in _CHOICE_TYPES:
            del loc[-1]  # one choice failed every type of the union: say so once
            msg = "must be a string, a number or a boolean"
        else:
            msg = _message(err)
        if err["type"] == "finite_number":
            msg = "must be a finite number (not nan or inf)"
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
        if where not in problems or err["type"] == "finite_number":
            problems[where] = msg
    lines = [f"{where}: {msg}" if where else msg for where, msg in problems.items()]
    if len(lines) == 1:
        return lines[0]
    return f"{lines[0]} (and {len(lines) - 1} more)\n  " + "\n  ".join(lines[1:])


def _message(err: Any) -> str:
    kind, loc = err["type"], err["loc"]
    if kind == "extra_forbidden":
        return "unknown key: remove it or check its spelling"
    if kind == "missing":
        return "required key is missing: add it"
    if kind == "union_tag_invalid":
        return "type must be one of 'float', 'int', 'categorical'"
    if kind == "union_tag_not_found":
        return "missing 'type': set type = 'float', 'int' or 'categorical'"
    if kind == "string_pattern_mismatch" and loc and loc[-1] in _PATTERN_HINTS:
        return f"{_PATTERN_HINTS[loc[-1]]}; got {err['input']!r}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type"):
        given = err["input"]
        shown = _toml(given) if isinstance(given, (bool, int, float, str)) else repr(given)
        msg += f", got {shown}"
    return msg


# -- the objective, imported only after the spec validates --------------------------------
def resolve_objective(spec: Spec, search_path: list[str] | None = None) -> Callable[..., Any]:
    """Import ``module:function``; a failure is a :class:`SpecError` naming the field."""
    module_name, _, attr = spec.session.objective.partition(":")
    for entry in reversed(search_path or []):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure of user code is a spec problem to report
        raise SpecError(
            f"session.objective: cannot import module {module_name!r} ({type(exc).__name__}: "
            f"{exc}); run from the directory that contains it or fix the path"
        ) from None
    func = getattr(module, attr, None)
    if func is None:
        raise SpecError(f"session.objective: module {module_name!r} has no attribute {attr!r}")
    if not callable(func):
        raise SpecError(f"session.objective: {spec.session.objective} is not callable")
    return func


def check_name(name: str) -> str:
    if not re.match(NAME_PATTERN, name):
        raise SpecError(f"{name!r} is not a valid session name (letters, digits, _ . -)")
    return name
