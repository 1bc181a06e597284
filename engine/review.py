"""What the operator reviews: the open proposal, the sprint it follows, and its evidence.

The advisor's evidence is a JSON dict whose details may grow; known keys are lifted into
fields and everything else per parameter is kept as key/value pairs to show as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine import advisor
from engine.records import ProposalRecord, Standing
from engine.session import Session
from engine.space import Space
from engine.spec import Spec
from engine.sprint import SprintPlan

LIFTED = ("old", "new", "action", "reason", "importance")


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
            volume_ratio=advisor.volume_ratio(self.closed.space, space),
        )


@dataclass(frozen=True)
class EditEffect:
    """How many of the closed sprint's ranked (and top) trials a space keeps, and its volume."""

    kept: int
    of: int
    top_kept: int
    of_top: int
    volume_ratio: float | None  # against the closed sprint's space; None: nothing comparable

    def describe(self) -> str:
        volume = "" if self.volume_ratio is None else f" · volume x{self.volume_ratio:.3g}"
        return f"keeps {self.kept}/{self.of} trials, {self.top_kept}/{self.of_top} top{volume}"


def proposal_standing(session: Session, after_sprint: int) -> Standing:
    """Whether the proposal after ``after_sprint`` is still the open one, and if not, why."""
    return session.standing(after_sprint)


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_text(v)}" for k, v in value.items())
    return str(value)


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _gate(gate: Any) -> str:
    if not isinstance(gate, Mapping):
        return "-"
    rho = _float(gate.get("spearman"))
    verdict = {True: "passed", False: "FAILED", None: "no verdict"}.get(gate.get("passed"), "?")
    head = f"rank correlation {rho:.2f} ({verdict})" if rho is not None else verdict
    reason = gate.get("reason")
    return f"{head}: {reason}" if reason else head


def proposal_view(session: Session) -> ProposalView | None:
    """The open proposal with the closed sprint's plan, or None when nothing waits."""
    proposal = session.open_proposal()
    if proposal is None:
        return None
    closed = next(s for s in session.sprints() if s.number == proposal.after_sprint)
    ranked = advisor.rank_trials(session.measured_trials(closed), session.maximize)
    ev: dict[str, Any] = proposal.evidence if isinstance(proposal.evidence, dict) else {}
    importance = ev.get("importance")
    imp_values = importance.get("values") if isinstance(importance, Mapping) else None
    imp_values = imp_values if isinstance(imp_values, Mapping) else {}
    raw_params = ev.get("params") if isinstance(ev.get("params"), Mapping) else {}
    names = list(dict.fromkeys([*closed.plan.space.names, *closed.plan.space.frozen_values]))
    names += [n for n in proposal.plan.space.names if n not in names]
    params = {}
    for name in names:
        entry = raw_params.get(name) if isinstance(raw_params.get(name), Mapping) else {}
        params[name] = ParamEvidence(
            name=name,
            action=str(entry.get("action", "")),
            importance=_float(entry.get("importance", imp_values.get(name))),
            reason=str(entry.get("reason", "")),
            details=tuple((k, _text(v)) for k, v in entry.items() if k not in LIFTED),
        )
    best = ev.get("best")
    best_params = dict(best.get("params", {})) if isinstance(best, Mapping) else {}
    nxt = ev.get("next") if isinstance(ev.get("next"), Mapping) else {}
    shown = {"summary", "params", "importance", "gate", "pruner", "notes", "best", "next"}
    return ProposalView(
        proposal=proposal,
        closed=closed.plan,
        spec=session.spec,
        original=session.spec.to_space(),
        best_params=best_params,
        params=params,
        summary=str(ev.get("summary", "")),
        fidelity_old=str(nxt.get("fidelity_old", closed.plan.fidelity.describe())),
        gate=_gate(ev.get("gate")),
        notes=tuple(str(n) for n in ev.get("notes", []) or []),
        other=tuple((k, _text(v)) for k, v in ev.items() if k not in shown),
        ranked=tuple(dict(t.params) for t in ranked),
        top_k=_top_k(ev, len(ranked)),
    )


def _top_k(ev: Mapping[str, Any], n: int) -> int:
    top = ev.get("top_k")
    k = top.get("k") if isinstance(top, Mapping) else None
    return min(k, n) if isinstance(k, int) and not isinstance(k, bool) else 0
