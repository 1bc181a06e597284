"""Strict F1 as SpERT scores it: exact spans and types, micro and macro, with and without NER.

An entity is ``(start, end, type)``; a relation is ``(head entity, tail entity, type)``. A
prediction counts only if the whole tuple matches a gold one, so a right span with a wrong type
is one false positive and one false negative. "Without NER" drops the entity types from the
relation tuples (spans must still match); "with NER" keeps them (the headline metric).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

from examples.jere.schema import Document

EntityTuple = tuple[int, int, str]
RelationTuple = tuple[EntityTuple, EntityTuple, str]


@dataclass(frozen=True)
class Counts:
    """True positives, false positives and false negatives: the one place F1 is computed."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Micro F1; 0.0 when there is nothing to find and nothing found (as scikit-learn)."""
        denominator = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denominator if denominator else 0.0


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 (0..1) with the number of gold items."""

    precision: float
    recall: float
    f1: float
    support: int

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> PRF:
        counts = Counts(tp, fp, fn)
        return cls(counts.precision, counts.recall, counts.f1, tp + fn)


@dataclass(frozen=True)
class Scores:
    """Micro and macro averages and the per-type table of one kind of tuple."""

    micro: PRF
    macro: PRF
    per_type: dict[str, PRF]


def gold_tuples(document: Document) -> tuple[set[EntityTuple], set[RelationTuple]]:
    """A document's annotation as sets of strict tuples."""
    entities = [(e.start, e.end, e.type) for e in document.entities]
    relations = {(entities[r.head], entities[r.tail], r.type) for r in document.relations}
    return set(entities), relations


def without_ner(relations: Iterable[RelationTuple]) -> set[tuple[Hashable, ...]]:
    """Relation tuples with the entity types dropped (spans and relation type kept)."""
    return {((h[0], h[1]), (t[0], t[1]), kind) for h, t, kind in relations}


def score(
    gold: Sequence[Iterable[tuple[Hashable, ...]]],
    predicted: Sequence[Iterable[tuple[Hashable, ...]]],
) -> Scores:
    """Strict scores over documents; a tuple's type is its last element.

    Macro averages the per-type F1 over the types present in gold or predictions (as
    scikit-learn does when given the union of labels).
    """
    counts: dict[str, list[int]] = {}
    for gold_set, predicted_set in zip(gold, predicted, strict=True):
        gold_items, predicted_items = set(gold_set), set(predicted_set)
        for item in gold_items | predicted_items:
            row = counts.setdefault(str(item[-1]), [0, 0, 0])
            row[
                0
                if item in gold_items and item in predicted_items
                else 1
                if item in predicted_items
                else 2
            ] += 1
    per_type = {kind: PRF.from_counts(*row) for kind, row in sorted(counts.items())}
    micro = PRF.from_counts(*(sum(row[i] for row in counts.values()) for i in range(3)))
    if per_type:
        n = len(per_type)
        macro = PRF(
            sum(s.precision for s in per_type.values()) / n,
            sum(s.recall for s in per_type.values()) / n,
            sum(s.f1 for s in per_type.values()) / n,
            micro.support,
        )
    else:
        macro = PRF(0.0, 0.0, 0.0, 0)
    return Scores(micro, macro, per_type)


@dataclass(frozen=True)
class Evaluation:
    """Entity scores and relation scores with and without NER."""

    entities: Scores
    relations: Scores
    relations_without_ner: Scores

    def summary(self) -> dict[str, float]:
        """The micro and macro F1s, JSON-serialisable, for the trial's attributes."""
        return {
            "entity_f1_micro": self.entities.micro.f1,
            "entity_f1_macro": self.entities.macro.f1,
            "relation_f1_micro": self.relations.micro.f1,
            "relation_f1_macro": self.relations.macro.f1,
            "relation_f1_micro_without_ner": self.relations_without_ner.micro.f1,
        }


def evaluate(
    gold: Sequence[tuple[set[EntityTuple], set[RelationTuple]]],
    predicted: Sequence[tuple[set[EntityTuple], set[RelationTuple]]],
) -> Evaluation:
    """Score predicted (entities, relations) per document against gold."""
    return Evaluation(
        entities=score([g[0] for g in gold], [p[0] for p in predicted]),
        relations=score([g[1] for g in gold], [p[1] for p in predicted]),
        relations_without_ner=score(
            [without_ner(g[1]) for g in gold], [without_ner(p[1]) for p in predicted]
        ),
    )
