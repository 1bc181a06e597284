"""What the operator reviews: the open proposal, the sprint it follows, and its evidence.

The evidence is typed (:mod:`engine.proposal`); per parameter, what the review has a place
for is lifted into fields and the rest is kept as key/value text to show as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine import advisor
from engine.proposal import Evidence, GateEvidence, Volume
from engine.read.reader import SessionReader
from engine.records import ProposalRecord
from engine.space import Space
from engine.spec import Spec
from engine.sprint import SprintPlan


@dataclass(frozen=True)
class ParamEvidence:
    name: str
    action: str
    importance: float | None
    reason: str
    details: tuple[tuple[str, str], ...]  # the rest of the advisor's evidence, as text


@dataclass(frozen=True)
class ProposalView:
    proposal: ProposalRecord
    closed: SprintPlan  # the sprint the proposal follows
    spec: Spec  # what every edit is checked against (engine.decision)
    original: Space  # the spec's space: the bounds a parameter unfreezes to
    best_params: dict[str, Any]
    params: dict[str, ParamEvidence]
    summary: str
    fidelity_old: str
    gate: str
    notes: tuple[str, ...]
    other: tuple[tuple[str, str], ...]  # top-level evidence not shown elsewhere
    ranked: tuple[Mapping[str, Any], ...] = ()  # the closed sprint's ranked trials, best first
    top_k: int = 0  # how many of ``ranked`` the advisor counted as the top

    def effect(self, space: Space) -> EditEffect:
        """What the closed sprint's evidence says about ``space`` (the draft's, after edits)."""
        top = self.ranked[: self.top_k]
        return EditEffect(
            kept=sum(advisor.inside(p, space) for p in self.ranked),
            of=len(self.ranked),
            top_kept=sum(advisor.inside(p, space) for p in top),
            of_top=len(top),
            volume=advisor.volume(self.closed.space, space),
        )


@dataclass(frozen=True)
class EditEffect:
    """How many of the closed sprint's ranked (and top) trials a space keeps, and its volume."""

    kept: int
    of: int
    top_kept: int
    of_top: int
    volume: Volume  # against the closed sprint's space

    @property
    def volume_ratio(self) -> float | None:  # None: nothing comparable
        return self.volume.ratio

    def describe(self) -> str:
        volume = f" · {self.volume.describe()}" if self.volume.describe() else ""
        return f"keeps {self.kept}/{self.of} trials, {self.top_kept}/{self.of_top} top{volume}"


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)


def _gate(gate: GateEvidence | None) -> str:
    if gate is None:
        return "-"
    rho = gate.spearman
    head = f"rank correlation {rho:.2f} ({gate.verdict})" if rho is not None else gate.verdict
    return f"{head}: {gate.reason}" if gate.reason else head


def proposal_view(session: SessionReader) -> ProposalView | None:
    """The open proposal with the closed sprint's plan, or None when nothing waits."""
    proposal = session.open_proposal()
    if proposal is None:
        return None
    closed = next(s for s in session.sprints() if s.number == proposal.after_sprint)
    ranked = advisor.rank_trials(session.measured_trials(closed), session.maximize)
    ev = proposal.evidence
    imp_values = (ev.importance.values if ev.importance is not None else None) or {}
    names = list(dict.fromkeys([*closed.plan.space.names, *closed.plan.space.frozen_values]))
    names += [n for n in proposal.plan.space.names if n not in names]
    params = {}
    for name in names:
        entry = ev.params.get(name)
        importance = entry.importance if entry is not None else None
        params[name] = ParamEvidence(
            name=name,
            action=entry.action if entry is not None else "",
            importance=importance if importance is not None else imp_values.get(name),
            reason=entry.reason if entry is not None else "",
            details=tuple(
                (k, _text(v)) for k, v in (entry.details() if entry is not None else {}).items()
            ),
        )
    nxt = ev.next
    return ProposalView(
        proposal=proposal,
        closed=closed.plan,
        spec=session.spec,
        original=session.spec.to_space(),
        best_params=dict(ev.best.params) if ev.best is not None else {},
        params=params,
        summary=ev.summary,
        fidelity_old=nxt.fidelity_old
        if nxt and nxt.fidelity_old
        else closed.plan.fidelity.describe(),
        gate=_gate(ev.gate),
        notes=ev.notes,
        other=tuple((k, _text(v)) for k, v in _other(ev).items()),
        ranked=tuple(dict(t.params) for t in ranked),
        top_k=min(ev.top_k.k, len(ranked)) if ev.top_k is not None else 0,
    )


#: Evidence the review shows in places of its own; the rest goes under "other".
SHOWN = {"summary", "params", "importance", "gate", "pruner", "notes", "best", "next"}


def _other(ev: Evidence) -> dict[str, Any]:
    dumped = ev.model_dump(mode="json")
    # Only what the advisor said: a field left at its empty default has nothing to show.
    return {
        k: v
        for k, v in dumped.items()
        if k not in SHOWN and k != "version" and v not in (None, "", [], {})
    }
