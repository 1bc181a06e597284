"""The edits an operator can make to a proposed sprint plan, as small typed records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from engine.space import Choice
from engine.spec import FRACTIONS as FRACTIONS
from engine.spec import MAX_TRIALS as MAX_TRIALS


@dataclass(frozen=True)
class SetBounds:
    """``--set lr=1e-5:3e-4``; a side left empty keeps its bound; a frozen one is unfrozen."""

    name: str
    low: float | None
    high: float | None


@dataclass(frozen=True)
class Freeze:
    name: str
    value: Any


@dataclass(frozen=True)
class Unfreeze:
    """Search a frozen parameter again over its whole spec range (narrow it with SetBounds)."""

    name: str


@dataclass(frozen=True)
class DropChoice:
    name: str
    choice: Choice


@dataclass(frozen=True)
class RestoreChoice:
    name: str
    choice: Choice


@dataclass(frozen=True)
class SetFidelity:
    """The resource amount (``epochs=3``), a data fraction, or a user key of the fidelity."""

    key: str
    value: Any


@dataclass(frozen=True)
class SetTrials:
    trials: int


@dataclass(frozen=True)
class SetSampler:
    """As the operator wrote it: applying the edit checks it is a ``SamplerKind``."""

    sampler: str


@dataclass(frozen=True)
class SetPruner:
    """As the operator wrote it: applying the edit checks it is a ``PrunerKind``."""

    pruner: str


@dataclass(frozen=True)
class SetMinResource:
    """The first step the pruner may stop a trial at (Hyperband's min_resource)."""

    min_resource: int


Edit = Union[
    SetBounds,
    Freeze,
    Unfreeze,
    DropChoice,
    RestoreChoice,
    SetFidelity,
    SetTrials,
    SetSampler,
    SetPruner,
    SetMinResource,
]
