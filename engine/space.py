"""The search space: an immutable value object; every cut returns a new space."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal, Union

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from engine.errors import SpaceError

Choice = Union[str, int, float, bool]


@dataclass(frozen=True)
class FloatParam:
    """A real-valued parameter in [low, high], optionally on a log scale or a step grid."""

    name: str
    low: float
    high: float
    log: bool = False
    step: float | None = None
    kind: Literal["float"] = "float"

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        x = float(value)  # any real (numpy's too) compares as the float it stands for
        if not (math.isfinite(x) and _within(x, self.low, self.high)):
            return False
        # Off-grid values never come from Optuna, which would refuse them when enqueued.
        return self.step is None or _on_grid(x - self.low, self.step)

    def distribution(self) -> BaseDistribution:
        return FloatDistribution(self.low, self.high, log=self.log, step=self.step)

    def describe(self) -> str:
        return _describe_range(self.low, self.high, self.log, self.step)


@dataclass(frozen=True)
class IntParam:
    """An integer parameter in [low, high] on a step grid, optionally on a log scale."""

    name: str
    low: int
    high: int
    log: bool = False
    step: int = 1
    kind: Literal["int"] = "int"

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if isinstance(value, numbers.Integral):
            n = int(value)
        else:
            x = float(value)
            # The second test: a Fraction a hair off a whole number rounds to one as a float.
            if not x.is_integer() or x != value:
                return False
            n = int(x)
        return self.low <= n <= self.high and (n - self.low) % self.step == 0

    def distribution(self) -> BaseDistribution:
        return IntDistribution(self.low, self.high, log=self.log, step=self.step)

    def describe(self) -> str:
        return _describe_range(self.low, self.high, self.log, self.step if self.step != 1 else None)


@dataclass(frozen=True)
class CategoricalParam:
    """A parameter taking one of a fixed tuple of choices."""

    name: str
    choices: tuple[Choice, ...]
    kind: Literal["categorical"] = "categorical"

    def contains(self, value: Any) -> bool:
        return any(_same_choice(value, c) for c in self.choices)

    def distribution(self) -> BaseDistribution:
        return CategoricalDistribution(self.choices)

    def describe(self) -> str:
        return "{" + ", ".join(str(c) for c in self.choices) + "}"


Param = Union[FloatParam, IntParam, CategoricalParam]
Numeric = Union[FloatParam, IntParam]


def runnable(p: Param, value: Any) -> bool:
    """Whether a sprint over ``p`` can run ``value`` enqueued, inside the range or not.

    Optuna runs an enqueued number outside a distribution's range (it warns), but never a
    choice the distribution lacks: one of ``p``'s choices, or a finite number of its type on
    its grid (positive on a log scale).
    """
    if isinstance(p, CategoricalParam):
        return p.contains(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    x = float(value)
    if not math.isfinite(x) or (p.log and x <= 0):
        return False
    if isinstance(p, IntParam) and not x.is_integer():
        return False
    return p.step is None or _on_grid(x - p.low, p.step)


def _within(value: float, low: float, high: float) -> bool:
    # A tolerance of a few ulps: values that went through log/exp or JSON may land a hair outside.
    tol = 1e-12 * max(1.0, abs(low), abs(high))
    return low - tol <= value <= high + tol


def _on_grid(offset: float, step: float) -> bool:
    k = offset / step
    return abs(k - round(k)) <= 1e-8 * max(1.0, abs(k))


def _grid_point(origin: float, step: float, k: int) -> float:
    # In decimal, as Optuna checks a step: 0.1 * 3 must be 0.3, not 0.30000000000000004.
    return float(Decimal(str(origin)) + k * Decimal(str(step)))


def _same_choice(a: Any, b: Any) -> bool:
    # True == 1 in Python; a categorical {1, true} must keep them apart.
    return type(a) is type(b) and a == b


def _describe_range(low: float, high: float, log: bool, step: float | None) -> str:
    text = f"[{low:.4g}, {high:.4g}]"
    if log:
        text += " log"
    if step is not None:
        text += f" step {step:g}"
    return text


@dataclass(frozen=True)
class Space:
    """Named parameters to search plus frozen values passed to the objective unchanged."""

    params: tuple[Param, ...]
    frozen: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        names = [p.name for p in self.params] + [k for k, _ in self.frozen]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpaceError(f"parameter(s) {', '.join(dupes)} appear twice in the space")

    # -- reading -------------------------------------------------------------------------
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def frozen_values(self) -> dict[str, Any]:
        return dict(self.frozen)

    def __getitem__(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise SpaceError(
            f"no parameter named {name!r} in the space (have: {', '.join(self.names)})"
        )

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def contains(self, config: Mapping[str, Any]) -> bool:
        """True if every searched parameter of ``config`` lies inside its range or choices."""
        return all(p.name in config and p.contains(config[p.name]) for p in self.params)

    def runs(self, config: Mapping[str, Any]) -> bool:
        """True if a sprint over this space can run ``config`` enqueued (:func:`runnable`),
        though it may lie outside the ranges."""
        return all(p.name in config and runnable(p, config[p.name]) for p in self.params)

    def to_optuna(self) -> dict[str, BaseDistribution]:
        return {p.name: p.distribution() for p in self.params}

    def config(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The configuration an objective receives: sampled parameters plus frozen values."""
        return {**self.frozen_values, **{n: params[n] for n in self.names if n in params}}

    # -- cuts (each returns a new space) -------------------------------------------------
    def with_bounds(self, name: str, low: float, high: float) -> Space:
        """Set a numeric parameter's range; ints and steps snap outward onto the grid."""
        p = self[name]
        if isinstance(p, CategoricalParam):
            raise SpaceError(f"{name} is categorical: change its choices, not its bounds")
        if not (math.isfinite(low) and math.isfinite(high)):
            raise SpaceError(f"{name}: bounds must be finite numbers, got {low}..{high}")
        if low > high:
            raise SpaceError(f"{name}: low ({low:g}) must not be above high ({high:g})")
        if p.log and low <= 0:
            raise SpaceError(f"{name} is on a log scale: low must be > 0, got {low:g}")
        if isinstance(p, IntParam):
            origin, step = p.low, p.step
            new_low = origin + math.floor((low - origin) / step) * step
            new_high = origin + math.ceil((high - origin) / step) * step
            if p.log:  # step is 1 on a log scale; flooring 0.5 must not reach 0
                new_low = max(new_low, 1)
            return self._replace_param(replace(p, low=int(new_low), high=int(new_high)))
        if p.step is not None:
            start, grid = p.low, p.step
            low_point = _grid_point(start, grid, math.floor(round((low - start) / grid, 9)))
            high_point = _grid_point(start, grid, math.ceil(round((high - start) / grid, 9)))
            return self._replace_param(replace(p, low=low_point, high=high_point))
        return self._replace_param(replace(p, low=float(low), high=float(high)))

    def with_choices(self, name: str, choices: Iterable[Choice]) -> Space:
        """Keep only (or restore) the given choices of a categorical parameter."""
        p = self[name]
        if not isinstance(p, CategoricalParam):
            raise SpaceError(f"{name} is numeric: change its bounds, not its choices")
        kept = tuple(choices)
        if not kept:
            raise SpaceError(f"{name}: dropping every choice would leave nothing to search")
        return self._replace_param(replace(p, choices=kept))

    def freeze(self, name: str, value: Any) -> Space:
        """Stop searching ``name``; the objective always gets ``value``."""
        self[name]  # raises if unknown
        params = tuple(p for p in self.params if p.name != name)
        return Space(params, self.frozen + ((name, value),))

    def unfreeze(self, param: Param) -> Space:
        """Search ``param`` again (with the range given), dropping its frozen value."""
        frozen = tuple((k, v) for k, v in self.frozen if k != param.name)
        return Space(self.params + (param,), frozen)

    def _replace_param(self, new: Param) -> Space:
        return Space(tuple(new if p.name == new.name else p for p in self.params), self.frozen)

    # -- serialisation ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "params": [_param_to_dict(p) for p in self.params],
            "frozen": [[k, v] for k, v in self.frozen],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Space:
        params = tuple(_param_from_dict(d) for d in data["params"])
        return cls(params, tuple((k, v) for k, v in data.get("frozen", [])))

    def describe(self) -> list[str]:
        lines = [f"{p.name}: {p.describe()}" for p in self.params]
        lines += [f"{k} = {v!r} (frozen)" for k, v in self.frozen]
        return lines


def _param_to_dict(p: Param) -> dict[str, Any]:
    if isinstance(p, CategoricalParam):
        return {"kind": "categorical", "name": p.name, "choices": list(p.choices)}
    return {
        "kind": p.kind,
        "name": p.name,
        "low": p.low,
        "high": p.high,
        "log": p.log,
        "step": p.step,
    }


def _param_from_dict(d: Mapping[str, Any]) -> Param:
    if d["kind"] == "categorical":
        return CategoricalParam(d["name"], tuple(d["choices"]))
    if d["kind"] == "int":
        return IntParam(d["name"], int(d["low"]), int(d["high"]), bool(d["log"]), int(d["step"]))
    step = None if d.get("step") is None else float(d["step"])
    return FloatParam(d["name"], float(d["low"]), float(d["high"]), bool(d["log"]), step)


# -- parameter values that went through storage: types kept apart, floats by tolerance --
def same_choice(a: Any, b: Any) -> bool:
    """Equal and of one type: True == 1 in Python, but a categorical {1, true} keeps them apart."""
    return type(a) is type(b) and a == b


def same_value(a: Any, b: Any) -> bool:
    """Equal parameter values; floats within a hair, since storage may round-trip them."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return same_choice(a, b)


def show_value(value: Any) -> str:
    """A parameter value as the operator reads it: floats to six digits, the rest as typed."""
    return f"{value:.6g}" if isinstance(value, float) else repr(value)
