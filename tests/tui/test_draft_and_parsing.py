"""The decision draft and what the operator types, without the screen."""

from __future__ import annotations

import pytest

from engine.errors import SprintoptError
from engine.read.review import proposal_view
from tui import parsing
from tui.draft import Draft


@pytest.fixture
def draft(awaiting) -> Draft:
    _, session = awaiting
    return Draft.of(proposal_view(session))


def test_a_fresh_draft_is_the_proposal(draft):
    assert not draft.edited and draft.action == "accepted"
    rows = {r.name: r for r in draft.rows()}
    assert rows["x"].cut and not rows["x"].edited
    assert rows["opt"].draft == "{adam, sgd}" and rows["opt"].current == "{adam, sgd, rmsprop}"


def test_edits_make_an_edited_plan(draft):
    d = draft.with_bounds("x", 0.2, 0.3).with_choices("opt", ["adam", "sgd", "rmsprop"])
    d = d.with_fidelity(3, 0.5, 1).with_budget(9).with_note("  wider opt ")
    assert d.plan_edits and set(d.param_edits) == {"x", "opt"}
    plan = d.plan
    assert d.action == "edited" and d.note == "wider opt"
    assert (plan.space["x"].low, plan.space["x"].high) == (0.2, 0.3)
    assert plan.space["opt"].choices == ("adam", "sgd", "rmsprop")
    assert (plan.fidelity.amount, plan.fidelity.train_fraction, plan.budget) == (3, 0.5, 9)
    assert {r.name for r in d.rows() if r.edited} == {"x", "opt"}


def test_toggle_and_freeze_return_to_the_proposal(draft):
    assert draft.toggle_cut("opt").space["opt"].choices == ("adam", "sgd", "rmsprop")
    assert draft.toggle_cut("opt").toggle_cut("opt") == draft
    frozen = draft.toggle_freeze("layers")
    assert "layers" in frozen.space.frozen_values and frozen.edited
    assert frozen.toggle_freeze("layers") == draft
    assert draft.all_choices("opt") == ("adam", "sgd", "rmsprop")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.with_bounds("x", 0.5, 0.1), "must be below high"),
        (lambda d: d.with_bounds("x", -1, 0.5), "leaves the spec's range"),
        (lambda d: d.with_choices("opt", []), "no choice"),
        (lambda d: d.toggle_freeze("x").with_bounds("x", 0, 1), "search it again"),
        (lambda d: d.with_budget(0), "between 1 and"),
        (lambda d: d.with_fidelity(0, 1, 1), "positive"),
        (lambda d: d.with_fidelity(2, 1.5, 1), r"train_fraction must be in \(0, 1\]"),
        (lambda d: d.toggle_cut("layers"), "nothing to undo"),
    ],
)
def test_invalid_edits_say_what_to_fix(draft, edit, message):
    with pytest.raises(SprintoptError, match=message):
        edit(draft)


def test_parsing_what_the_operator_types():
    assert parsing.bounds("0.001 0.1") == (0.001, 0.1)
    assert parsing.bounds("1e-3, 2") == (0.001, 2.0)
    assert parsing.bounds("1..4") == (1.0, 4.0)
    assert parsing.fidelity("4 train=0.5", (1, 1, 1)) == (4.0, 0.5, 1)
    assert parsing.config("x=0.25 opt='adam' layers=3 flag=true") == {
        "x": 0.25,
        "opt": "adam",
        "layers": 3,
        "flag": True,
    }
    for bad in ("1", "a b", "nan 1"):
        with pytest.raises(parsing.InputError):
            parsing.bounds(bad)
    with pytest.raises(parsing.InputError, match="name=value"):
        parsing.config("x 0.3")


def test_filter_terms_match_fields_and_words():
    fields = {"state": "pruned", "x": 0.25, "opt": "adam", "value": None}
    text = "3 ✂ pruned 0.5 adam"

    def ok(query: str) -> bool:
        return parsing.matches(parsing.filter_terms(query), fields, text)

    assert ok("state=pruned") and ok("x<0.3") and ok("x>=0.25") and ok("opt=ADAM")
    assert ok("adam pruned") and ok("state!=complete")
    assert not ok("x>0.3") and not ok("value>1") and not ok("missing=1") and not ok("sgd")
