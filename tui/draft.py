"""The operator's draft of a decision: the proposal plus their edits, as a value.

The edits are :mod:`engine.decision`'s typed records, applied and checked by the engine; this
module only keeps them per parameter (a new edit of a parameter replaces its earlier ones, and
undoing a parameter's edits brings back the proposal for it) and words the rows for the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from engine import (
    Action,
    CategoricalParam,
    Choice,
    DecisionError,
    DropChoice,
    Edit,
    EditEffect,
    Freeze,
    ProposalView,
    RestoreChoice,
    SetBounds,
    SetFidelity,
    SetMinResource,
    SetPruner,
    SetSampler,
    SetTrials,
    Space,
    SprintPlan,
    Unfreeze,
    apply_edits,
    same_choice,
    show_value,
)


@dataclass(frozen=True)
class DraftRow:
    name: str
    current: str  # in the sprint just closed
    proposed: str  # as the advisor proposes
    draft: str  # as the decision would apply it
    edited: bool  # the operator changed it from the proposal
    cut: bool  # the proposal changes it from the closed sprint
    importance: float | None
    reason: str


def describe(space: Space, name: str) -> str:
    if name in space:
        return space[name].describe()
    frozen = space.frozen_values
    return f"= {show_value(frozen[name])}" if name in frozen else "(absent)"


def _choice_edits(name: str, have: Sequence[Choice], want: Sequence[Choice]) -> tuple[Edit, ...]:
    drops = [DropChoice(name, c) for c in have if not any(same_choice(c, w) for w in want)]
    back = [RestoreChoice(name, c) for c in want if not any(same_choice(c, h) for h in have)]
    return (*back, *drops)  # restore first: dropping every old choice must not empty it


@dataclass(frozen=True)
class Draft:
    review: ProposalView
    param_edits: dict[str, tuple[Edit, ...]] = field(default_factory=dict)
    plan_edits: dict[str, Edit] = field(default_factory=dict)
    note: str = ""

    @classmethod
    def of(cls, review: ProposalView) -> Draft:
        return cls(review)

    # -- reading ---------------------------------------------------------------------------
    @property
    def proposed(self) -> SprintPlan:
        return self.review.proposal.plan

    def edits(self) -> list[Edit]:
        return [e for edits in self.param_edits.values() for e in edits] + list(
            self.plan_edits.values()
        )

    @cached_property
    def plan(self) -> SprintPlan:
        """The plan the decision applies; raises :class:`DecisionError` if an edit is bad."""
        return apply_edits(self.proposed, self.edits(), self.review.spec)

    @property
    def space(self) -> Space:
        return self.plan.space

    @property
    def edited(self) -> bool:
        return self.plan != self.proposed

    @property
    def action(self) -> Action:
        return Action.EDITED if self.edited else Action.ACCEPTED

    @property
    def effect(self) -> EditEffect:
        """What the closed sprint's trials say about the draft's space."""
        return self.review.effect(self.space)

    def names(self) -> list[str]:
        space = self.space
        extra = [n for n in [*space.names, *space.frozen_values] if n not in self.review.params]
        return list(self.review.params) + extra

    def rows(self) -> list[DraftRow]:
        closed, proposed, space = self.review.closed.space, self.proposed.space, self.space
        out = []
        for name in self.names():
            ev = self.review.params.get(name)
            now, nxt, drafted = (describe(s, name) for s in (closed, proposed, space))
            out.append(
                DraftRow(
                    name,
                    now,
                    nxt,
                    drafted,
                    drafted != nxt,
                    now != nxt,
                    ev.importance if ev else None,
                    ev.reason if ev else "",
                )  # fmt: skip
            )
        return out

    def all_choices(self, name: str) -> tuple[Choice, ...]:
        p = self.review.original[name] if name in self.review.original else None
        return p.choices if isinstance(p, CategoricalParam) else ()

    # -- edits: each returns a checked new draft -----------------------------------------------
    def _with(self, **changes: Any) -> Draft:
        new = replace(self, **changes)
        new.plan  # noqa: B018 (applies and checks the edits now, so a bad one is refused here)
        return new

    def _param(self, name: str, edits: tuple[Edit, ...]) -> Draft:
        param_edits = {k: v for k, v in self.param_edits.items() if k != name}
        if edits:
            param_edits[name] = edits
        return self._with(param_edits=param_edits)

    def toggle_cut(self, name: str) -> Draft:
        """Undo the proposal's change to ``name`` (back to the closed sprint's), or redo it."""
        if name in self.param_edits:
            return self._param(name, ())
        closed, proposed = self.review.closed.space, self.proposed.space
        if describe(closed, name) == describe(proposed, name):
            raise DecisionError(f"the proposal leaves {name} as it was: nothing to undo")
        if name not in closed:
            return self._param(name, (Freeze(name, closed.frozen_values[name]),))
        was = closed[name]
        edits: tuple[Edit, ...] = () if name in proposed else (Unfreeze(name),)
        if isinstance(was, CategoricalParam):
            start = proposed[name] if name in proposed else self.review.original[name]
            assert isinstance(start, CategoricalParam)
            return self._param(name, edits + _choice_edits(name, start.choices, was.choices))
        return self._param(name, (*edits, SetBounds(name, was.low, was.high)))

    def with_bounds(self, name: str, low: float, high: float) -> Draft:
        self._searched(name)
        return self._param(name, (*self._unfrozen(name), SetBounds(name, low, high)))

    def with_choices(self, name: str, choices: Sequence[Choice]) -> Draft:
        self._searched(name)
        start = self.proposed.space[name] if name in self.proposed.space else None
        have = start.choices if isinstance(start, CategoricalParam) else self.all_choices(name)
        return self._param(name, (*self._unfrozen(name), *_choice_edits(name, have, choices)))

    def toggle_freeze(self, name: str) -> Draft:
        """Freeze ``name`` at the best trial's value, or search it again."""
        self.check_in_spec(name)
        if name in self.space:
            if name not in self.review.best_params:
                raise DecisionError(f"{name}: no best trial value to freeze it at; edit it instead")
            return self._param(name, (Freeze(name, self.review.best_params[name]),))
        if name in self.proposed.space:
            return self._param(name, ())  # the proposal searches it: back to its range
        return self._param(name, (Unfreeze(name),))

    def with_fidelity(self, amount: float, train: float, valid: float) -> Draft:
        f = self.proposed.fidelity
        wanted = {f.resource: amount, "train_fraction": train, "valid_fraction": valid}
        edits = dict(self.plan_edits)
        for key, value in wanted.items():
            edits.pop(f"fidelity:{key}", None)
            if value != f.get(key):
                edits[f"fidelity:{key}"] = SetFidelity(key, value)
        return self._with(plan_edits=edits)

    def with_budget(self, budget: int) -> Draft:
        return self._plan_edit("trials", SetTrials(budget), budget == self.proposed.budget)

    def with_sampler(self, sampler: str) -> Draft:
        return self._plan_edit("sampler", SetSampler(sampler), sampler == self.proposed.sampler)

    def with_pruner(self, pruner: str, min_resource: int | None = None) -> Draft:
        """Another pruner and, optionally, the first step it may stop a trial at."""
        draft = self._plan_edit("pruner", SetPruner(pruner), pruner == self.proposed.pruner)
        if min_resource is None:
            return draft
        same = min_resource == self.proposed.min_resource
        return draft._plan_edit("min_resource", SetMinResource(min_resource), same)

    def _plan_edit(self, key: str, edit: Edit, as_proposed: bool) -> Draft:
        """Set (or, when it matches the proposal, drop) the one edit of a plan field."""
        edits = {k: v for k, v in self.plan_edits.items() if k != key}
        if not as_proposed:
            edits[key] = edit
        return self._with(plan_edits=edits)

    def with_note(self, note: str) -> Draft:
        return replace(self, note=note.strip())

    @property
    def fidelity_values(self) -> tuple[float, float, float]:
        f = self.plan.fidelity
        return f.amount, f.train_fraction, f.valid_fraction

    def _unfrozen(self, name: str) -> tuple[Edit, ...]:
        return () if name in self.proposed.space else (Unfreeze(name),)

    def check_in_spec(self, name: str) -> None:
        """Refuse, saying why, an edit of a parameter the spec fixes (it cannot be searched)."""
        if name not in self.review.original:
            value = self.review.original.frozen_values.get(name)
            fixed = "" if value is None else f" at {show_value(value)}"
            raise DecisionError(
                f"{name} is fixed in the spec{fixed}: only the spec can make it searched"
            )

    def _searched(self, name: str) -> None:
        self.check_in_spec(name)
        if name not in self.space:
            raise DecisionError(f"{name} is frozen in this draft: press f to search it again")
