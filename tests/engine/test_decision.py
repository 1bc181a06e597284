"""Operator edits: every edit path, the command-line strings, and the edits that are refused."""

from __future__ import annotations

from typing import Any

import pytest

from engine.decision import (
    DropChoice,
    Freeze,
    RestoreChoice,
    SetBounds,
    SetFidelity,
    SetMinResource,
    SetPruner,
    SetSampler,
    SetTrials,
    Unfreeze,
    apply_edits,
    parse_edit,
    parse_edits,
    validate_plan,
)
from engine.errors import DecisionError
from engine.spec import Spec, spec_from_dict
from engine.sprint import SprintPlan, planned_sprint


def make_spec(**advisor: Any) -> Spec:
    return spec_from_dict(
        {
            "session": {"name": "t", "direction": "minimize", "objective": "m:f"},
            "space": {
                "lr": {"type": "float", "low": 1e-6, "high": 1e-2, "log": True},
                "dropout": {"type": "float", "low": 0.0, "high": 0.5},
                "layers": {"type": "int", "low": 1, "high": 9, "step": 2},
                "scheduler": {"type": "categorical", "choices": ["constant", "linear", "cosine"]},
                "flag": {"type": "categorical", "choices": [True, False]},
            },
            "frozen": {"batch_size": 32},
            "fidelity": {"resource": "epochs", "max": 9, "extra": {"seq_len": 128}},
            "sprints": [
                {"name": "scout", "trials": 30, "fidelity": {"epochs": 1}},
                {"name": "full", "trials": 20, "pruner": "hyperband", "min_resource": 3},
            ],
            "advisor": advisor,
        }
    )


SPEC = make_spec()


def proposed() -> SprintPlan:
    """A plan as the advisor might propose it: lr cut, dropout frozen, one choice dropped."""
    space = (
        SPEC.to_space()
        .with_bounds("lr", 1e-5, 1e-3)
        .freeze("dropout", 0.1)
        .with_choices("scheduler", ["linear", "cosine"])
    )
    return planned_sprint(SPEC, 1, space=space)


def edit(*options: tuple[str, str]) -> SprintPlan:
    return apply_edits(proposed(), parse_edits(options, SPEC), SPEC)


# -- every edit path ---------------------------------------------------------------------
def test_set_bounds_inside_the_spec_even_wider_than_the_cut():
    plan = edit(("set", "lr=1e-6:3e-4"))
    assert (plan.space["lr"].low, plan.space["lr"].high) == (1e-6, 3e-4)


def test_set_one_side_keeps_the_other():
    plan = edit(("set", "lr=:5e-4"))
    assert (plan.space["lr"].low, plan.space["lr"].high) == (1e-5, 5e-4)


def test_set_on_an_int_snaps_onto_the_spec_grid():
    plan = edit(("set", "layers=2:6"))
    assert (plan.space["layers"].low, plan.space["layers"].high) == (1, 7)


def test_set_on_a_frozen_parameter_unfreezes_it_with_that_range():
    plan = edit(("set", "dropout=0.05:0.2"))
    assert "dropout" not in plan.space.frozen_values
    assert (plan.space["dropout"].low, plan.space["dropout"].high) == (0.05, 0.2)
    assert plan.space.names[:2] == ("lr", "dropout")  # back in the spec's order


def test_freeze_and_refreeze():
    plan = edit(("freeze", "layers=5"), ("freeze", "dropout=0.3"))
    assert plan.space.frozen_values == {"batch_size": 32, "dropout": 0.3, "layers": 5}
    assert isinstance(plan.space.frozen_values["layers"], int)


def test_freeze_a_categorical_and_a_boolean():
    plan = edit(("freeze", "scheduler=cosine"), ("freeze", "flag=false"))
    assert plan.space.frozen_values["scheduler"] == "cosine"
    assert plan.space.frozen_values["flag"] is False


def test_unfreeze_brings_back_the_whole_spec_range():
    plan = edit(("unfreeze", "dropout"))
    assert (plan.space["dropout"].low, plan.space["dropout"].high) == (0.0, 0.5)


def test_drop_and_restore_choices_keep_the_spec_order():
    plan = edit(("drop", "scheduler=linear"), ("restore", "scheduler=constant"))
    assert plan.space["scheduler"].choices == ("constant", "cosine")


def test_restoring_a_present_choice_changes_nothing():
    assert edit(("restore", "scheduler=cosine")).space == proposed().space


def test_fidelity_budget_sampler_and_pruner():
    plan = edit(
        ("fidelity", "epochs=6"),
        ("fidelity", "train_fraction=0.5"),
        ("fidelity", "seq_len=256"),
        ("trials", "60"),
        ("sampler", "gp"),
        ("pruner", "median"),
        ("min-resource", "2"),
    )
    assert (plan.fidelity.amount, plan.fidelity.train_fraction) == (6, 0.5)
    assert plan.min_resource == 2
    assert plan.fidelity.extra["seq_len"] == 256
    assert (plan.budget, plan.sampler, plan.pruner) == (60, "gp", "median")


def test_typed_edits_apply_like_parsed_ones():
    typed = [
        SetBounds("lr", 1e-6, None),
        Freeze("layers", 3),
        Unfreeze("dropout"),
        DropChoice("scheduler", "linear"),
        RestoreChoice("scheduler", "constant"),
        SetFidelity("epochs", 3),
        SetTrials(10),
        SetSampler("random"),
        SetPruner("none"),
        SetMinResource(2),
    ]
    plan = apply_edits(proposed(), typed, SPEC)
    assert plan.min_resource == 2
    assert plan.space["lr"].low == 1e-6 and "dropout" in plan.space
    assert plan.space["scheduler"].choices == ("constant", "cosine")
    assert (plan.budget, plan.sampler, plan.pruner, plan.fidelity.amount) == (
        10,
        "random",
        "none",
        3,
    )


def test_no_edits_leave_the_proposal_as_it_is():
    assert apply_edits(proposed(), [], SPEC) == proposed()


# -- refused edits -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flag", "text", "message"),
    [
        ("set", "lr=1e-7:1e-3", "leaves the spec's range"),
        ("set", "lr=1e-3:1e-4", "must be below"),
        ("set", "lr=1e-4", "LOW:HIGH"),
        ("set", "lr=a:b", "not a number"),
        ("set", "lr=1e-4:inf", "finite"),
        ("set", "layers=1.5:5", "whole number"),
        ("set", "scheduler=1:2", "categorical"),
        ("set", "momentum=0.1:0.2", "no parameter named 'momentum'"),
        ("set", "batch_size=16:64", "frozen in the spec"),
        ("freeze", "dropout=0.9", "outside the spec"),
        ("freeze", "layers=2", "outside the spec"),
        ("freeze", "scheduler=step", "no choice 'step'"),
        ("freeze", "dropout", "NAME=VALUE"),
        ("unfreeze", "lr", "already searched"),
        ("unfreeze", "batch_size", "frozen in the spec"),
        ("drop", "scheduler=constant", "no choice 'constant' to drop"),
        ("drop", "lr=0.1", "numeric"),
        ("restore", "scheduler=step", "no choice 'step'"),
        ("fidelity", "epochs=12", "above the spec's fidelity.max"),
        ("fidelity", "epochs=0", "positive"),
        ("fidelity", "train_fraction=1.5", "(0, 1]"),
        ("fidelity", "warmup=3", "no key 'warmup'"),
        ("fidelity", "seq_len=12.5", "whole number"),
        ("trials", "0", "between 1"),
        ("trials", "2.5", "whole number"),
        ("sampler", "cmaes", "unknown sampler"),
        ("pruner", "asha", "unknown pruner"),
        ("min-resource", "0", "at least 1"),
        ("min-resource", "1.5", "whole number"),
        ("min-resource", "12", "above the sprint's epochs"),
        ("bogus", "x=1", "unknown edit"),
    ],
)
def test_bad_edits_are_refused_with_a_clear_message(flag, text, message):
    with pytest.raises(DecisionError, match=message.replace("(", r"\(").replace("]", r"\]")):
        edit((flag, text))


def test_dropping_the_last_choice_is_refused():
    with pytest.raises(DecisionError, match="no choice"):
        edit(("drop", "scheduler=linear"), ("drop", "scheduler=cosine"))


def test_choice_edits_on_a_frozen_categorical_say_unfreeze_first():
    with pytest.raises(DecisionError, match="scheduler is frozen at .*: search it again first"):
        edit(("freeze", "scheduler=linear"), ("restore", "scheduler=constant"))


def test_freezing_everything_is_refused():
    every = [("freeze", t) for t in ("lr=1e-4", "layers=3", "scheduler=linear", "flag=true")]
    with pytest.raises(DecisionError, match="every parameter is frozen"):
        edit(*every)


def test_hyperband_needs_enough_resource():
    with pytest.raises(DecisionError, match="min_resource"):
        edit(("fidelity", "epochs=2"))


def test_validate_plan_refuses_a_plan_outside_the_spec():
    outside = proposed().with_changes(space=SPEC.to_space().freeze("dropout", 0.9))
    with pytest.raises(DecisionError, match="outside the spec"):
        validate_plan(outside, SPEC)
    validate_plan(proposed(), SPEC)


# -- parsing -----------------------------------------------------------------------------
def test_values_are_typed_against_the_parameter_kind():
    assert parse_edit("--freeze", "layers=7", SPEC) == Freeze("layers", 7)
    assert parse_edit("freeze", "lr=1e-4", SPEC) == Freeze("lr", 1e-4)
    assert parse_edit("freeze", "flag=True", SPEC) == Freeze("flag", True)
    assert parse_edit("set", "layers=3:7", SPEC) == SetBounds("layers", 3, 7)
    assert parse_edit("trials", "60", SPEC) == SetTrials(60)


def test_a_number_and_a_string_spelled_alike_need_quotes():
    spec = spec_from_dict(
        {
            **SPEC.model_dump(mode="json"),
            "space": {"k": {"type": "categorical", "choices": [1, "1", "two"]}},
        }
    )
    with pytest.raises(DecisionError, match="quote it"):
        parse_edit("drop", "k=1", spec)
    assert parse_edit("drop", "k='1'", spec) == DropChoice("k", "1")
    assert parse_edit("drop", "k=two", spec) == DropChoice("k", "two")
