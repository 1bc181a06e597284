"""The spec: a TOML file validated on load; every mistake is one clear message."""

from __future__ import annotations

import importlib
import math
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union

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
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError("must be a finite number (not nan or inf)")
    return v


class FloatSpec(_Model):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False
    step: float | None = None

    _finite_bounds = field_validator("low", "high")(_finite)

    @model_validator(mode="after")
    def _check(self) -> FloatSpec:
        _check_range(self.low, self.high, self.log)
        if self.step is not None:
            if not (math.isfinite(self.step) and self.step > 0):
                raise ValueError(f"step must be a positive number, got {self.step}")
            if self.log:
                raise ValueError("log and step cannot be combined: drop one of them")
            if self.step > self.high - self.low:
                raise ValueError(f"step ({self.step:g}) is larger than the range high - low")
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
        seen: list[tuple[type, Any]] = []
        for c in v:
            if (type(c), c) in seen:
                raise ValueError(f"choice {c!r} is listed twice")
            seen.append((type(c), c))
        return v

    def to_param(self, name: str) -> Param:
        return CategoricalParam(name, tuple(self.choices))


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

    _finite_max = field_validator("max")(_finite)


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
    top_k: int = Field(default=10, ge=1)
    top_quantile: float | None = Field(default=None, gt=0, le=1)
    margin: float = Field(default=0.1, ge=0, le=1)
    freeze_threshold: float = Field(default=0.02, ge=0, le=1)
    importance: Literal["ped_anova", "fanova"] = "fanova"
    fidelity_step: float = Field(default=2.0, gt=1)
    min_rank_correlation: float = Field(default=0.5, ge=-1, le=1)
    carry_over: int = Field(default=5, ge=0)
    bootstrap: int = Field(default=200, ge=0)
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
    fractions = {
        k: float(table.pop(k, getattr(spec.fidelity, k)))
        for k in ("train_fraction", "valid_fraction")
    }
    extra = {**spec.fidelity.extra, **table}
    return Fidelity(resource, float(amount), extra=extra, **fractions)


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
    space = (
        dict(data.get("space", {})) if isinstance(data.get("space"), dict) else data.get("space")
    )
    if isinstance(space, dict) and "frozen" in space:
        # [space.frozen] reads naturally in TOML; keep it out of the parameter union.
        data["frozen"] = {**space.pop("frozen"), **data.get("frozen", {})}
        data["space"] = space
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(f"{source}: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not _is_union_tag(p))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key: remove it or check its spelling"
        elif err["type"] == "missing":
            msg = "required key is missing: add it"
        elif err["type"] == "union_tag_invalid":
            msg = "type must be one of 'float', 'int', 'categorical'"
        elif err["type"] == "union_tag_not_found":
            msg = "missing 'type': set type = 'float', 'int' or 'categorical'"
        lines.append(f"{loc}: {msg}" if loc else msg)
    more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
    return lines[0] + more + ("\n  " + "\n  ".join(lines[1:]) if len(lines) > 1 else "")


def _is_union_tag(part: object) -> bool:
    return part in ("float", "int", "categorical") or (isinstance(part, str) and "[" in part)


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
