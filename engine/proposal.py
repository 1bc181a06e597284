"""The record a person decides on: a proposal's plan, carry-over and evidence, typed.

The advisor builds an :class:`Evidence`; the store keeps it as JSON (``Evidence.to_json``) and
gives it back through ``Evidence.read``, which takes any row ever written: rows from before
the evidence had a version read as version 1, every field missing from them takes its default,
keys no longer known are ignored. Every reader (the review, ``sprintopt propose``, the event
feed) reads fields, never keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.sprint import SprintPlan

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

#: The evidence's shape as the advisor writes it now. 1: rows written before it had a version.
EVIDENCE_VERSION = 2


class Part(BaseModel):
    """A frozen piece of evidence; unknown keys (from other versions) are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class SprintCounts(Part):
    """The closed sprint: its number, name, fidelity, and its trials by state."""

    number: int = 0
    name: str = ""
    fidelity: str = ""
    trials: int = 0
    complete: int = 0
    pruned: int = 0
    fail: int = 0


class TopK(Part):
    """The best ``k`` ranked trials the cut was made on, with their values (best first)."""

    k: int = 0
    trials: tuple[int, ...] = ()
    values: tuple[float | None, ...] = ()
    pruned: int = 0
    tied: int = 0  # trials that joined the top because they tied with its k-th (see ranking)


class BestTrial(Part):
    trial: int
    value: float | None = None
    params: dict[str, Any] = {}


class ImportanceEvidence(Part):
    method: str = ""
    values: dict[str, float] | None = None  # None: not computed (``reason`` says why)
    threshold: float | None = None
    reason: str | None = None


class GateEvidence(Part):
    """The fidelity gate: rank correlation over carried-over pairs and its verdict."""

    pairs: int = 0
    spearman: float | None = None
    threshold: float | None = None
    passed: bool | None = None  # None: not enough evidence to judge either way
    reason: str = ""

    @property
    def verdict(self) -> str:
        return {True: "passed", False: "FAILED", None: "no verdict"}[self.passed]


class PrunerChange(Part):
    """The next sprint's pruner decides later than planned (after a failed gate)."""

    kind: str
    resource: str
    min_resource_old: int
    min_resource: int
    reason: str


class ChoiceStat(Part):
    choice: Any
    count: int = 0
    top_k: int = 0
    best: float | None = None


class ParamChange(Part):
    """One parameter's change and the evidence behind it."""

    old: str = ""
    new: str = ""
    action: str = "keep"
    reason: str = ""
    importance: float | None = None
    # In the order the advisor finds them (and the review lists them):
    choices: tuple[ChoiceStat, ...] | None = None
    top_k_span: tuple[float | int, float | int] | None = None
    widened: tuple[str, ...] | None = None  # the edges widened ("low", "high")
    at_spec_bound: tuple[str, ...] | None = None
    kept_trials: int | None = None  # ranked trials inside its new range alone
    unconfirmed: str | None = None  # fixed on lower-fidelity evidence, not restored

    def details(self) -> dict[str, Any]:
        """The evidence beyond old/new/action/reason/importance, where there is any."""
        lifted = {"old", "new", "action", "reason", "importance"}
        return {
            k: v for k, v in self.model_dump().items() if k not in lifted and v not in (None, ())
        }


class Kept(Part):
    """How many of the closed sprint's ranked (and top-k) trials the proposed space keeps."""

    trials: int = 0
    of: int = 0
    top_k: int = 0
    of_top_k: int = 0


class NextSprint(Part):
    number: int = 0
    name: str = ""
    reason: str = ""
    fidelity_old: str = ""
    fidelity: str = ""
    budget: int = 0
    sampler: str = ""
    pruner: str = ""
    sampler_reason: str = ""  # why, when the spec's sampler is "auto"
    n_startup_trials: int | None = None  # random trials before the model; None: the default


class CarryCounts(Part):
    count: int = 0
    best: int = 0
    probes: int = 0
    #: The last of them: probes outside the proposed space, extra trials of the next sprint.
    outside: int = 0


@dataclass(frozen=True)
class Volume:
    """How much of a space a new one searches: the volume ratio over the parameters both
    search, and how many of the old space's parameters the new one no longer searches."""

    ratio: float | None  # None: no parameter searched in both
    frozen: int  # searched before, frozen now
    of: int  # parameters the old space searched

    def describe(self) -> str:
        """``volume x0.3``, ``volume x0.69 over the 1 parameter still searched (5 of 6 frozen)``,
        or "" when nothing changed: a ratio alone would hide that frozen dimensions left it."""
        if self.of and self.frozen == self.of:
            return f"all {self.of} searched parameters frozen"
        ratio = "volume" if self.ratio is None else f"volume x{self.ratio:.3g}"
        if self.frozen:
            left = self.of - self.frozen
            over = "parameter" if left == 1 else f"{left} parameters"
            one = "the 1 " if left == 1 else "the "
            return f"{ratio} over {one}{over} still searched ({self.frozen} of {self.of} frozen)"
        return "" if self.ratio is None or self.ratio == 1 else ratio


class Evidence(Part):
    """Why the advisor proposes what it does: everything the operator and the report read."""

    version: int = 1
    summary: str = ""
    sprint: SprintCounts | None = None
    ranking: str = ""
    top_k: TopK | None = None
    best: BestTrial | None = None
    importance: ImportanceEvidence | None = None
    gate: GateEvidence | None = None
    pruner: PrunerChange | None = None
    params: dict[str, ParamChange] = {}
    kept: Kept | None = None
    volume_ratio: float | None = None
    volume_reduction: float | None = None
    volume_frozen: int = 0  # parameters the closed sprint searched and the proposal freezes
    volume_of: int = 0  # parameters the closed sprint searched (0 in rows from before)
    stability: dict[str, float] | None = None  # per parameter, and "*" for all at once
    next: NextSprint | None = None
    carry_over: CarryCounts | None = None
    notes: tuple[str, ...] = ()

    @property
    def volume(self) -> Volume:
        return Volume(self.volume_ratio, self.volume_frozen, self.volume_of)

    @classmethod
    def read(cls, stored: Any) -> Evidence:
        """Any evidence ever stored (its decoded JSON, or nothing) as this type."""
        if not isinstance(stored, Mapping):
            return cls()
        try:
            return cls.model_validate(dict(stored))
        except ValidationError:  # a row damaged by hand: keep what the top level still says
            fields = {k: v for k, v in stored.items() if k in ("summary", "notes", "version")}
            try:
                return cls.model_validate(fields)
            except ValidationError:
                return cls()

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@dataclass(frozen=True)
class ClosedSprint:
    """What the advisor reads: a finished sprint's 1-based number, its plan and its trials."""

    number: int
    plan: SprintPlan
    trials: Sequence[FrozenTrial]


@dataclass(frozen=True)
class Proposal:
    """The suggested next sprint, the configurations to re-evaluate first, and why.

    The advisor returns one; the store's :class:`engine.records.ProposalRecord` is one too,
    with the row's identity and status besides.
    """

    plan: SprintPlan
    carry_over: list[dict[str, Any]]
    evidence: Evidence

    def to_store(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_dict(),
            "carry_over": self.carry_over,
            "evidence": self.evidence.to_json(),
        }
