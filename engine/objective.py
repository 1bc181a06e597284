"""The objective contract: what sprintopt calls, and what the user's function gets."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import optuna

#: Raised by :meth:`Reporter.report` when the pruner stops the trial (Optuna's own type, so
#: objectives written for Optuna keep working).
TrialPruned = optuna.TrialPruned


@dataclass(frozen=True)
class Fidelity:
    """How cheaply a trial runs: the resource amount, data fractions and any user keys."""

    resource: str = "epochs"
    amount: float = 1.0
    train_fraction: float = 1.0
    valid_fraction: float = 1.0
    extra: Mapping[str, Any] = field(default_factory=dict)
    #: The extra keys this sprint set itself; descriptions show only these, not the defaults.
    noted: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        """``fidelity["epochs"]`` is the resource amount; other keys come from ``extra``."""
        if key == self.resource:
            return self.amount
        if key in ("train_fraction", "valid_fraction"):
            return getattr(self, key)
        return self.extra[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    @property
    def steps(self) -> int:
        """The resource amount as a whole number of steps (epochs), at least one."""
        return max(1, int(round(self.amount)))

    def to_attr(self) -> dict[str, Any]:
        """The fidelity as objectives read it, ``trial.user_attrs["sprintopt.fidelity"]``
        (``from_dict`` takes it back): without ``noted``, which only says how plans are shown."""
        return {
            "resource": self.resource,
            "amount": self.amount,
            "train_fraction": self.train_fraction,
            "valid_fraction": self.valid_fraction,
            **{f"extra.{k}": v for k, v in self.extra.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        """The fidelity as a sprint plan stores it: :meth:`to_attr` and ``noted``."""
        return {**self.to_attr(), "noted": list(self.noted)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fidelity:
        extra = {k[len("extra.") :]: v for k, v in data.items() if k.startswith("extra.")}
        return cls(
            resource=str(data.get("resource", "epochs")),
            amount=float(data.get("amount", 1.0)),
            train_fraction=float(data.get("train_fraction", 1.0)),
            valid_fraction=float(data.get("valid_fraction", 1.0)),
            extra=extra,
            noted=tuple(data.get("noted", ())),
        )

    def describe(self) -> str:
        parts = [f"{self.resource}={self.amount:g}"]
        if self.train_fraction != 1.0:
            parts.append(f"train={self.train_fraction:.3g}")
        if self.valid_fraction != 1.0:
            parts.append(f"valid={self.valid_fraction:.3g}")
        parts += [f"{k}={v}" for k, v in self.extra.items() if k in self.noted]
        return " ".join(parts)


class Reporter(Protocol):
    """What an objective gets to talk back to the sprint while it trains."""

    def report(self, value: float, step: int) -> None:
        """Record an intermediate value; raises :data:`TrialPruned` if the pruner stops it.

        ``value`` is a finite real number (a float, an int, a NumPy scalar, a 0-d tensor; not
        a bool or a string); ``step`` a whole number from 1 to ``fidelity.steps``, larger than
        the step reported before. Anything else raises ``engine.reporter.ReportError`` (a
        ``ValueError``), and the trial fails with its message.
        """

    def set_attr(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable attribute on the trial (losses, thresholds, ...).

        Keys starting with ``sprintopt.`` are sprintopt's own and refused.
        """


class Objective(Protocol):
    """``objective(config, fidelity, reporter) -> float``: train one configuration, score it.

    The result must be a finite real number (NumPy scalars and 0-d tensors count; ``True``
    and ``"0.5"`` do not): anything else fails the trial with the reason.
    """

    def __call__(self, config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float: ...


def takes_optuna_trial(func: Callable[..., Any]) -> bool:
    """True for objectives written for Optuna, ``objective(trial)``, rather than our contract."""
    try:
        params = [
            p
            for p in inspect.signature(func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
        ]
    except (TypeError, ValueError):
        return False
    return len(params) == 1
