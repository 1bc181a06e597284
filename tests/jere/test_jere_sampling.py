"""Negative sampling: counts respected, gold never negative, strong relation negatives only."""

from __future__ import annotations

import numpy as np

from examples.jere.encoding import Encoded
from examples.jere.sampling import training_sample
from examples.jere.schema import CONLL04, Document, Entity, Relation, Schema


def encoded(document: Document) -> Encoded:
    """Encoded with one piece per word (the sampler never looks at the pieces)."""
    n = len(document.tokens)
    return Encoded(document, tuple(range(n + 2)), tuple((i + 1, i + 2) for i in range(n)))


DOCUMENT = Document(
    tokens=tuple("John Smith works for Acme Corp. in Boston , Texas says Mary".split()),
    entities=(
        Entity("Peop", 0, 2),
        Entity("Org", 4, 6),
        Entity("Loc", 7, 8),
        Entity("Loc", 9, 10),
        Entity("Peop", 11, 12),
    ),
    relations=(
        Relation("Work_For", 0, 1),
        Relation("OrgBased_In", 1, 2),
        Relation("Live_In", 0, 2),
    ),
)


def test_gold_spans_come_first_and_negatives_are_never_gold() -> None:
    sample = training_sample(
        encoded(DOCUMENT),
        CONLL04,
        max_width=4,
        neg_entities=20,
        neg_relations=50,
        rng=np.random.default_rng(0),
    )
    gold = {(e.start, e.end): CONLL04.entity_label(e.type) for e in DOCUMENT.entities}
    assert list(zip(sample.spans[:5], sample.entity_labels[:5], strict=True)) == list(gold.items())
    negatives = sample.spans[5:]
    assert len(negatives) == 20 and len(set(negatives)) == 20
    assert not set(negatives) & set(gold)
    assert all(label == 0 for label in sample.entity_labels[5:])
    assert all(e - s <= 4 for s, e in negatives)


def test_negative_counts_are_capped_by_what_exists() -> None:
    sample = training_sample(
        encoded(DOCUMENT),
        CONLL04,
        max_width=1,
        neg_entities=1000,
        neg_relations=1000,
        rng=np.random.default_rng(0),
    )
    # 12 one-word spans, 3 of them gold (Boston, Texas, Mary).
    assert len(sample.spans) - 5 == 12 - 3
    # Strong negatives: every ordered pair of the 5 gold entities but the 3 related ones.
    assert len(sample.pairs) == 5 * 4


def test_relation_negatives_are_strong_and_labels_multi_hot() -> None:
    sample = training_sample(
        encoded(DOCUMENT),
        CONLL04,
        max_width=3,
        neg_entities=5,
        neg_relations=4,
        rng=np.random.default_rng(1),
    )
    positives = {(0, 1), (1, 2), (0, 2)}
    assert set(sample.pairs[:3]) == positives
    for pair, labels in zip(sample.pairs, sample.relation_labels, strict=True):
        assert pair[0] < 5 and pair[1] < 5, "negatives pair gold entities only"
        assert pair[0] != pair[1]
        assert (sum(labels) > 0) == (pair in positives)
    assert len(sample.pairs) == 3 + 4
    work_for = sample.relation_labels[sample.pairs.index((0, 1))]
    assert work_for[CONLL04.relation_label("Work_For")] == 1.0 and sum(work_for) == 1.0


def test_the_reverse_of_a_symmetric_relation_is_not_a_negative() -> None:
    schema = Schema(("Peop",), ("Married",), symmetric=frozenset({"Married"}))
    document = Document(
        ("Ann", "married", "Bob"),
        (Entity("Peop", 0, 1), Entity("Peop", 2, 3)),
        (Relation("Married", 0, 1),),
    )
    sample = training_sample(
        encoded(document),
        schema,
        max_width=1,
        neg_entities=0,
        neg_relations=10,
        rng=np.random.default_rng(0),
    )
    assert sample.pairs == ((0, 1),)


def test_sampling_is_seeded() -> None:
    def draw(seed: int) -> tuple[object, ...]:
        return training_sample(
            encoded(DOCUMENT),
            CONLL04,
            max_width=4,
            neg_entities=10,
            neg_relations=3,
            rng=np.random.default_rng(seed),
        ).spans

    assert draw(3) == draw(3)
    assert draw(3) != draw(4)
