"""The cross-sprint view: the gates, the best per fidelity, the spaces and the best's path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from optuna.trial import FrozenTrial

from engine.advisor.changes import describe, space_changes
from engine.advisor.gate import fidelity_gate
from engine.advisor.ranking import complete, final_value
from engine.advisor.recheck import fidelity_cost
from engine.attrs import CARRIED
from engine.proposal import ClosedSprint, GateEvidence
from engine.read.gates import GatePart, gate_part
from engine.read.reader import SessionReader
from engine.records import SprintRecord
from engine.space import Space, same_value, show_value
from engine.states import SprintState

#: A sprint as the view is built from it: its record and the trials it ran itself.
SprintTrials = tuple[SprintRecord, Sequence[FrozenTrial]]


@dataclass(frozen=True)
class SprintLine:
    number: int
    name: str
    fidelity: str
    state: SprintState
    completed: int


@dataclass(frozen=True)
class FidelityBest:
    """The best completed trial at one fidelity, over every sprint that ran at it: values are
    compared only here, never across fidelities (a 3-epoch loss is no rival of a 1-epoch one)."""

    fidelity: str
    sprints: tuple[int, ...]
    value: float | None  # None: no trial completed at this fidelity yet
    sprint: int | None
    trial: int | None
    params: Mapping[str, Any]


@dataclass(frozen=True)
class SpaceRow:
    """One parameter: the spec's range and each sprint's (in :attr:`CrossSprint.sprints`
    order), with what each sprint did to the spec's (engine.advisor.changes' words)."""

    name: str
    spec: str
    ranges: tuple[str, ...]
    actions: tuple[str, ...]


@dataclass(frozen=True)
class BestMove:
    """A sprint's best configuration and how it moved from the sprint before's best."""

    sprint: int
    name: str
    fidelity: str
    trial: int
    value: float
    carried_over: bool  # re-evaluated from the sprint before, not newly sampled
    params: Mapping[str, Any]
    #: "name old -> new" for each parameter that moved (empty for the first best, or none moved).
    moved: tuple[str, ...]


@dataclass(frozen=True)
class CrossSprint:
    maximize: bool
    sprints: tuple[SprintLine, ...]
    #: One per sprint that re-ran configurations of the one before (or was judged), in order.
    gates: tuple[GatePart, ...]
    #: Per fidelity, lowest first.
    bests: tuple[FidelityBest, ...]
    spaces: tuple[SpaceRow, ...]
    moves: tuple[BestMove, ...]


def cross_sprint(
    original: Space,
    sprints: Sequence[SprintTrials],
    gates: Mapping[int, GateEvidence],
    maximize: bool,
    threshold: float,
) -> CrossSprint:
    """The view of ``sprints`` (set-up ones, in order) under the spec's space ``original``.

    ``gates``: the stored verdicts by the sprint they judged (a proposal's evidence after it).
    A sprint still running has none yet: its gate is computed as it stands, with ``threshold``,
    and says so.
    """
    lines = tuple(
        SprintLine(
            s.number, s.plan.name, s.plan.fidelity.describe(), s.state, len(complete(trials))
        )
        for s, trials in sprints
    )
    return CrossSprint(
        maximize=maximize,
        sprints=lines,
        gates=_gates(sprints, gates, maximize, threshold),
        bests=_bests(sprints, maximize),
        spaces=_spaces(original, [s.plan.space for s, _ in sprints]),
        moves=_moves(sprints, maximize),
    )


def read_cross_sprint(session: SessionReader) -> CrossSprint:
    """The view of the session as the store holds it (read, never written)."""
    rec = session.refresh()
    set_up = [s for s in session.sprints() if s.state != SprintState.SETUP]
    sprints = [(s, session.measured_trials(s)) for s in set_up]
    gates = {
        p.after_sprint: p.evidence.gate
        for p in session.store.proposals(rec.id)
        if p.evidence.gate is not None
    }
    spec = session.spec
    threshold = spec.advisor.min_rank_correlation
    return cross_sprint(spec.to_space(), sprints, gates, session.maximize, threshold)


def _gates(
    sprints: Sequence[SprintTrials],
    stored: Mapping[int, GateEvidence],
    maximize: bool,
    threshold: float,
) -> tuple[GatePart, ...]:
    out = []
    for (low, low_trials), (high, high_trials) in zip(sprints, sprints[1:], strict=False):
        before = ClosedSprint(low.number, low.plan, low_trials)
        after = ClosedSprint(high.number, high.plan, high_trials)
        evidence = stored.get(high.number)
        judged = evidence is not None
        if evidence is None:
            evidence = _unjudged(before, after, high.state, maximize, threshold)
        part = replace(gate_part(evidence, before, after, maximize), judged=judged)
        if part.pairs or high.number in stored:
            out.append(part)
    return tuple(out)


def _unjudged(
    before: ClosedSprint, after: ClosedSprint, state: SprintState, maximize: bool, threshold: float
) -> GateEvidence:
    """The gate as it would be judged now, saying that no verdict was stored."""
    now = fidelity_gate(before, after, threshold, maximize)
    why = (
        f"sprint {after.number} still runs: so far"
        if state == SprintState.RUNNING
        else f"no proposal followed sprint {after.number}: as computed here"
    )
    return now.model_copy(update={"reason": f"{why}, {now.reason}"})


def _best(trials: Sequence[FrozenTrial], maximize: bool) -> FrozenTrial | None:
    sign = -1.0 if maximize else 1.0
    done = complete(trials)
    return min(done, key=lambda t: (sign * final_value(t), t.number)) if done else None


def _bests(sprints: Sequence[SprintTrials], maximize: bool) -> tuple[FidelityBest, ...]:
    groups: dict[str, list[SprintTrials]] = {}
    cost: dict[str, tuple[float, float]] = {}
    for s, trials in sprints:
        key = s.plan.fidelity.describe()
        groups.setdefault(key, []).append((s, trials))
        cost.setdefault(key, fidelity_cost(s.plan.fidelity))
    out = []
    for key in sorted(groups, key=lambda k: cost[k]):  # stable: equal costs keep sprint order
        sign = -1.0 if maximize else 1.0
        found = [(s, t) for s, trials in groups[key] if (t := _best(trials, maximize))]
        numbers = tuple(s.number for s, _ in groups[key])
        if not found:
            out.append(FidelityBest(key, numbers, None, None, None, {}))
            continue
        s, t = min(found, key=lambda st: (sign * final_value(st[1]), st[0].number, st[1].number))
        config = s.plan.space.config(t.params)
        out.append(FidelityBest(key, numbers, final_value(t), s.number, t.number, config))
    return tuple(out)


def _spaces(original: Space, spaces: Sequence[Space]) -> tuple[SpaceRow, ...]:
    per_sprint = [space_changes(original, space) for space in spaces]
    names = list(space_changes(original, original))
    for found in per_sprint:  # a parameter no spec names (none should be) still shows, last
        names += [n for n in found if n not in names]
    rows = []
    for name in names:
        changes = [c[name] for c in per_sprint]
        rows.append(
            SpaceRow(
                name,
                describe(original, name),
                tuple(c.new for c in changes),
                tuple(c.action for c in changes),
            )
        )
    return tuple(rows)


def _moves(sprints: Sequence[SprintTrials], maximize: bool) -> tuple[BestMove, ...]:
    out: list[BestMove] = []
    for s, trials in sprints:
        t = _best(trials, maximize)
        if t is None:
            continue
        config = s.plan.space.config(t.params)
        moved = _moved(out[-1].params, config) if out else ()
        plan = s.plan
        out.append(
            BestMove(
                s.number,
                plan.name,
                plan.fidelity.describe(),
                t.number,
                final_value(t),
                bool(t.user_attrs.get(CARRIED)),
                config,
                moved,
            )
        )
    return tuple(out)


def _moved(before: Mapping[str, Any], now: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for name in dict.fromkeys([*before, *now]):
        if name in before and name in now and same_value(before[name], now[name]):
            continue
        old = show_value(before[name]) if name in before else "(absent)"
        new = show_value(now[name]) if name in now else "(absent)"
        out.append(f"{name} {old} -> {new}")
    return tuple(out)


__all__ = [
    "BestMove",
    "CrossSprint",
    "FidelityBest",
    "SpaceRow",
    "SprintLine",
    "cross_sprint",
    "read_cross_sprint",
]
