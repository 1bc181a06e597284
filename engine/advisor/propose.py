"""The advisor's proposal: cut the space on the closed sprint's best trials, step the fidelity.

Pure: spec, earlier sprints and the sprint just closed in; a proposal with JSON evidence out.
The steps, in order: the next sprint from the plan (none: the session ends); the fidelity gate
on the carried-over configurations; the cut (or, when the gate fails, no cut or a widening back
to the previous sprint's space, and a pruner that waits for the fidelity the gate compared);
restoring what was fixed on lower-fidelity evidence; carry-over.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from engine.advisor.carry import carry_over, outside_probes
from engine.advisor.changes import space_changes
from engine.advisor.cuts import Cut, cut_space
from engine.advisor.evidence import clean, kept, stability, volume
from engine.advisor.gate import fidelity_gate
from engine.advisor.importance import Importance, importances
from engine.advisor.ranking import (
    RANKING_RULE,
    complete,
    rank_trials,
    score,
    tied_with_kth,
    top_k_size,
)
from engine.advisor.recheck import hull, in_spec_order, restore, unconfirmed
from engine.advisor.schedule import next_sprint
from engine.proposal import (
    EVIDENCE_VERSION,
    BestTrial,
    CarryCounts,
    ClosedSprint,
    Evidence,
    GateEvidence,
    ImportanceEvidence,
    Kept,
    NextSprint,
    ParamChange,
    Proposal,
    PrunerChange,
    SprintCounts,
    TopK,
    Volume,
)
from engine.samplers import DEFAULT_STARTUP
from engine.space import Space
from engine.spec import Spec
from engine.sprint import SprintPlan, auto_sampler


def propose(spec: Spec, history: Sequence[ClosedSprint], closed: ClosedSprint) -> Proposal | None:
    """The next sprint's plan, carry-over and evidence; None once the plan (and any extra
    sprints the spec asks for) has run out, and the session finishes."""
    settings, original = spec.advisor, spec.to_space()
    maximize = spec.session.direction == "maximize"
    current = closed.plan.space
    nxt = next_sprint(spec, closed.number, closed.plan, current)
    if nxt is None:
        return None
    # Ranked, cut on and carried over: the trials the sprint searched, not the probes it ran
    # outside its space for the gate (which pairs every carried-over configuration).
    ranked = rank_trials([t for t in closed.trials if current.contains(t.params)], maximize)
    k = top_k_size(len(ranked), settings)
    above, ties = tied_with_kth(ranked, k, settings.tie_tolerance)
    k += ties
    previous = history[-1] if history else None
    gate = fidelity_gate(previous, closed, settings.min_rank_correlation, maximize)
    imp = Importance(settings.importance, None, "not computed: no cut was made")
    if gate.passed is False:
        cut = _distrust(gate, previous, closed, original, settings.on_low_correlation)
    elif len(ranked) <= k:
        cut = Cut(current)
        if not ties:  # else the note on ties says why
            cut.notes.append(
                f"{len(ranked)} ranked trials, no more than the top-{k}: too few to tell the "
                "best from the rest, so nothing is cut"
                if ranked
                else "no trial completed (or was pruned with a value): nothing is cut"
            )
    else:
        imp = importances(
            complete(ranked),
            current,
            maximize,
            settings.importance,
            settings.importance_min_trials,
            k / len(ranked),
            spec.session.seed,
        )
        cut = cut_space(current, original, ranked, k, imp, settings, maximize)
    if ties:
        cut.notes.append(_ties_note(ranked, k, ties, above + ties + 1, settings.tie_tolerance))
    space = cut.space
    fixes = unconfirmed(original, history, closed)
    if settings.recheck_fixed and (fixes.params or fixes.choices):
        space = restore(space, fixes, original)
        cut.notes.append(
            "restored what was fixed on lower-fidelity evidence: "
            + ", ".join(sorted(fixes.reasons))
        )
    space = in_spec_order(space, original)
    plan = replace(nxt.plan, space=space)
    choice = auto_sampler(spec, nxt.index, space)
    if choice is not None:  # decided over the space the sprint will search
        plan = replace(plan, sampler=choice.sampler, pruner=choice.pruner)
        cut.notes.append(f"sampler {choice.reason}")
    pruner = None
    if gate.passed is False and settings.raise_min_resource:
        plan, pruner = pruner_floor(plan, closed.plan)
        if pruner is not None:
            cut.notes.append(pruner.reason)
    n_best = min(settings.carry_over, plan.budget)
    n_probes = min(settings.probes, max(0, plan.budget // 2 - n_best))
    fill = {n: v for n, v in current.frozen if n in space}
    configs, probes = carry_over(complete(ranked), space, fill, n_best, n_probes)
    if gate.passed is False and settings.fresh_startup:
        plan, note = fresh_startup(plan, len(configs))
        if note:
            cut.notes.append(note)
    outside: list[dict[str, Any]] = []
    if settings.probes_outside and next_sprint(spec, closed.number + 1, plan, space) is not None:
        every = complete(rank_trials(closed.trials, maximize))
        outside = outside_probes(every, space, fill, configs, settings.probes_outside)
    if outside:
        plan = replace(plan, budget=plan.budget + len(outside))
        cut.notes.append(
            f"{len(outside)} probe(s) outside the new ranges run as extra trials: the gate "
            f"after sprint {closed.number + 1} then compares the fidelities over all sprint "
            f"{closed.number} ranked, not only the near-ties the cut keeps"
        )
    configs += outside

    params = {}
    for name, change in space_changes(current, space).items():
        entry = dict(cut.details.get(name, {}))
        if name in fixes.reasons and settings.recheck_fixed:
            why = [entry.get("reason"), f"restored: {fixes.reasons[name]}"]
            entry["reason"] = "; ".join(w for w in why if w)
        elif name in fixes.reasons:
            entry["unconfirmed"] = fixes.reasons[name]
        if change.action != "keep" and gate.passed is False and previous is not None:
            entry.setdefault(
                "reason", f"the fidelity gate failed: back to sprint {previous.number}'s range"
            )
        entry.setdefault("reason", "unchanged")
        params[name] = _param_change(change, entry)
    top = ranked[:k]
    vol = volume(current, space)
    ratio = vol.ratio
    evidence = Evidence(
        version=EVIDENCE_VERSION,
        summary=_summary(
            params,
            vol,
            plan.name,
            plan.fidelity.describe(),
            gate,
            pruner,
            ties and above + ties + 1,
        ),
        sprint=_sprint_record(closed),
        ranking=RANKING_RULE,
        top_k=TopK(
            k=k,
            trials=tuple(t.number for t in top),
            values=tuple(clean(_score_value(t)) for t in top),
            pruned=sum(t.state == TrialState.PRUNED for t in top),
            tied=ties,
        ),
        best=_best(ranked),
        importance=ImportanceEvidence(
            method=imp.method,
            values=imp.values,
            threshold=settings.freeze_threshold,
            reason=imp.reason,
        ),
        gate=gate,
        pruner=pruner,
        params=params,
        kept=Kept(
            trials=kept(ranked, space),
            of=len(ranked),
            top_k=kept(top, space),
            of_top_k=len(top),
        ),
        volume_ratio=ratio,
        volume_reduction=None if ratio is None else round(1 - ratio, 6),
        volume_frozen=vol.frozen,
        volume_of=vol.of,
        stability=stability(
            ranked, k, space, settings.bootstrap, (spec.session.seed, closed.number)
        ),
        next=NextSprint(
            number=closed.number + 1,
            name=plan.name,
            reason=nxt.reason,
            fidelity_old=closed.plan.fidelity.describe(),
            fidelity=plan.fidelity.describe(),
            budget=plan.budget,
            sampler=plan.sampler,
            pruner=plan.pruner,
            sampler_reason=choice.reason if choice else "",
            n_startup_trials=plan.n_startup_trials,
        ),
        carry_over=CarryCounts(
            count=len(configs),
            best=len(configs) - probes - len(outside),
            probes=probes + len(outside),
            outside=len(outside),
        ),
        notes=tuple(cut.notes),
    )
    return Proposal(plan, configs, evidence)


def pruner_floor(plan: SprintPlan, closed: SprintPlan) -> tuple[SprintPlan, PrunerChange | None]:
    """After a failed gate: the next sprint's pruner first decides at the closed sprint's
    fidelity (capped at the next sprint's own), not on the lower rungs whose rankings the gate
    has just distrusted. None for the evidence when nothing changes."""
    if plan.pruner == "none":
        return plan, None
    floor = min(closed.fidelity.steps, plan.fidelity.steps)
    if floor <= plan.min_resource:
        return plan, None
    resource = plan.fidelity.resource
    reason = (
        f"{plan.pruner} decides from {resource} {floor}, not {plan.min_resource}: the fidelity "
        f"gate failed, so rankings at fewer {resource} than sprint {closed.name}'s "
        f"{closed.fidelity.steps} are not trusted for pruning either"
    )
    evidence = PrunerChange(
        kind=plan.pruner,
        resource=resource,
        min_resource_old=plan.min_resource,
        min_resource=floor,
        reason=reason,
    )
    return replace(plan, min_resource=floor), evidence


def fresh_startup(plan: SprintPlan, carried: int) -> tuple[SprintPlan, str | None]:
    """After a failed gate: the next sprint's random start-up trials come on top of its
    ``carried`` configurations instead of counting them. They were chosen on the ranking the
    gate distrusts; as a model's only start-up points they would keep it in their region."""
    if plan.sampler == "random" or carried == 0:
        return plan, None
    base = DEFAULT_STARTUP if plan.n_startup_trials is None else plan.n_startup_trials
    reason = (
        f"{plan.sampler} starts with {base} random trials after the {carried} carried over "
        f"(n_startup_trials {base + carried}): the carried configurations were chosen on the "
        "ranking the gate distrusts, so they are not the model's only start"
    )
    return replace(plan, n_startup_trials=base + carried), reason


def _distrust(
    gate: GateEvidence,
    previous: ClosedSprint | None,
    closed: ClosedSprint,
    original: Space,
    mode: str,
) -> Cut:
    """The gate failed: cut nothing, and (``widen``) undo the cut made on the lower fidelity."""
    if mode == "widen" and previous is not None:
        cut = Cut(hull(closed.plan.space, previous.plan.space, original))
        cut.notes.append(
            f"{gate.reason}: nothing is cut, and the space widens back to sprint "
            f"{previous.number}'s, from before the cut made on its evidence"
        )
    else:
        cut = Cut(closed.plan.space)
        cut.notes.append(f"{gate.reason}: nothing is cut")
    return cut


def _param_change(change: ParamChange, evidence: dict[str, Any]) -> ParamChange:
    """``change`` with the cut's ``evidence``; a key without a field is the advisor's bug."""
    unknown = set(evidence) - set(ParamChange.model_fields)
    if unknown:
        raise TypeError(f"evidence keys without a field in ParamChange: {sorted(unknown)}")
    return ParamChange.model_validate({**change.model_dump(), **evidence})


def _score_value(t: FrozenTrial) -> float | None:
    s = score(t)
    return None if s is None else s[1]


def _best(ranked: Sequence[FrozenTrial]) -> BestTrial | None:
    if not ranked:
        return None
    b = ranked[0]
    return BestTrial(trial=b.number, value=clean(_score_value(b)), params=dict(b.params))


def _sprint_record(closed: ClosedSprint) -> SprintCounts:
    states = Counter(t.state.name.lower() for t in closed.trials)
    return SprintCounts(
        number=closed.number,
        name=closed.plan.name,
        fidelity=closed.plan.fidelity.describe(),
        trials=len(closed.trials),
        **{s: states.get(s, 0) for s in ("complete", "pruned", "fail")},
    )


def _ties_note(
    ranked: Sequence[FrozenTrial], k: int, ties: int, tied: int, tolerance: float
) -> str:
    """Say that the sprint could not rank its trials across the top-k's edge."""
    kth = score(ranked[k - 1])
    assert kth is not None
    within = f" (within {tolerance:g})" if tolerance else ""
    grown = (
        "so nothing is cut"
        if k >= len(ranked)
        else f"so the top grows to {k} trials to take every tie"
    )
    return (
        f"{tied} trials tie{within} at the top-{k - ties}'s edge, value {kth[1]:.6g}: "
        f"the sprint cannot rank them, and cutting on their order would be arbitrary, {grown}"
    )


def _summary(
    params: dict[str, ParamChange],
    vol: Volume,
    name: str,
    fid: str,
    gate: GateEvidence,
    pruner: PrunerChange | None,
    tied: int = 0,
) -> str:
    actions = Counter(e.action for e in params.values() if e.action != "keep")
    what = ", ".join(f"{a} {n}" for a, n in sorted(actions.items())) or "no change to the space"
    volume = f"; {vol.describe()}" if vol.describe() else ""
    warn = "; fidelity gate FAILED" if gate.passed is False else ""
    if tied:
        warn += f"; {tied} trials tie at the top's edge (cannot rank)"
    if pruner is not None:
        warn += f", {pruner.kind} from {pruner.resource} {pruner.min_resource}"
    return f"{what}{volume}; next: {name} at {fid}{warn}"
