"""Strict F1 on hand-made cases: type mismatches, with and without NER, micro and macro."""

from __future__ import annotations

import pytest

from examples.jere.metrics import evaluate, gold_tuples, score
from examples.jere.schema import Document, Entity, Relation

PEOP, ORG = (0, 2, "Peop"), (4, 5, "Org")


def test_a_type_mismatch_is_one_false_positive_and_one_false_negative() -> None:
    scores = score([{PEOP, ORG}], [{PEOP, (4, 5, "Loc")}])
    assert scores.micro.precision == pytest.approx(0.5)
    assert scores.micro.recall == pytest.approx(0.5)
    assert scores.per_type["Loc"].f1 == 0.0 and scores.per_type["Org"].f1 == 0.0
    assert scores.per_type["Peop"].f1 == 1.0


def test_relations_with_ner_need_the_entity_types_without_ner_do_not() -> None:
    gold = [({PEOP, ORG}, {(PEOP, ORG, "Work_For")})]
    wrong_type = (4, 5, "Loc")
    predicted = [({PEOP, wrong_type}, {(PEOP, wrong_type, "Work_For")})]
    result = evaluate(gold, predicted)
    assert result.relations.micro.f1 == 0.0
    assert result.relations_without_ner.micro.f1 == 1.0
    # The relation type itself still has to match without NER.
    other = [({PEOP, ORG}, {(PEOP, ORG, "Live_In")})]
    assert evaluate(gold, other).relations_without_ner.micro.f1 == 0.0


def test_micro_pools_counts_while_macro_averages_types() -> None:
    gold = [{(0, 1, "A"), (1, 2, "A"), (2, 3, "A"), (3, 4, "B")}]
    predicted = [{(0, 1, "A"), (1, 2, "A"), (2, 3, "A")}]
    scores = score(gold, predicted)
    assert scores.micro.f1 == pytest.approx(2 * 3 / (2 * 3 + 1))
    assert scores.macro.f1 == pytest.approx((1.0 + 0.0) / 2)


def test_scores_are_per_document_not_pooled_sets() -> None:
    # The same tuple in another document is another item.
    scores = score([{PEOP}, set()], [set(), {PEOP}])
    assert (scores.micro.precision, scores.micro.recall) == (0.0, 0.0)


def test_nothing_to_find_and_nothing_found_is_zero() -> None:
    assert score([set()], [set()]).micro.f1 == 0.0


def test_gold_tuples_resolve_relation_indices() -> None:
    document = Document(
        ("a",) * 6, (Entity("Peop", 0, 2), Entity("Org", 4, 5)), (Relation("Work_For", 0, 1),)
    )
    entities, relations = gold_tuples(document)
    assert entities == {PEOP, ORG}
    assert relations == {(PEOP, ORG, "Work_For")}
