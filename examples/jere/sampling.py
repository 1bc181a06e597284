"""Training samples as SpERT draws them: gold spans and pairs plus sampled negatives."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from examples.jere.encoding import Encoded, Span, enumerate_spans
from examples.jere.schema import Schema


@dataclass(frozen=True)
class Sample:
    """One document's training sample; spans are word ranges, pairs index into ``spans``.

    ``entity_labels[i]`` is 0 for a negative span, else the 1-based entity type.
    ``relation_labels[p]`` is a multi-hot row over the relation types (all zero: negative).
    """

    encoded: Encoded
    spans: tuple[Span, ...]
    entity_labels: tuple[int, ...]
    pairs: tuple[tuple[int, int], ...]
    relation_labels: tuple[tuple[float, ...], ...]


def training_sample(
    encoded: Encoded,
    schema: Schema,
    max_width: int,
    neg_entities: int,
    neg_relations: int,
    rng: np.random.Generator,
) -> Sample:
    """All gold entities and relations, plus random negative spans and strong negative pairs.

    Negative spans are drawn from all spans up to ``max_width`` that are not gold. Negative
    pairs are *strong*: ordered pairs of gold entities that are not related (and not the
    reverse of a symmetric gold relation), so the relation head learns to read context.
    """
    document = encoded.document
    spans: list[Span] = []
    labels: list[int] = []
    index_of_entity: dict[int, int] = {}
    for number, entity in enumerate(document.entities):
        span = (entity.start, entity.end)
        if span not in spans:  # one label per span, the first annotation wins
            spans.append(span)
            labels.append(schema.entity_label(entity.type))
        index_of_entity[number] = spans.index(span)
    gold_spans = set(spans)
    negatives = [s for s in enumerate_spans(encoded.n_words, max_width) if s not in gold_spans]
    for i in _choose(len(negatives), neg_entities, rng):
        spans.append(negatives[i])
        labels.append(0)

    n_types = len(schema.relation_types)
    positive: dict[tuple[int, int], list[float]] = {}
    symmetric_reverse: set[tuple[int, int]] = set()
    for relation in document.relations:
        pair = (index_of_entity[relation.head], index_of_entity[relation.tail])
        if pair[0] == pair[1]:
            continue
        positive.setdefault(pair, [0.0] * n_types)[schema.relation_label(relation.type)] = 1.0
        if relation.type in schema.symmetric:
            symmetric_reverse.add((pair[1], pair[0]))
    n_gold = len(gold_spans)
    strong = [
        (i, j)
        for i in range(n_gold)
        for j in range(n_gold)
        if i != j and (i, j) not in positive and (i, j) not in symmetric_reverse
    ]
    pairs = list(positive) + [strong[k] for k in _choose(len(strong), neg_relations, rng)]
    relation_labels = [tuple(positive.get(p, [0.0] * n_types)) for p in pairs]
    return Sample(encoded, tuple(spans), tuple(labels), tuple(pairs), tuple(relation_labels))


def _choose(available: int, wanted: int, rng: np.random.Generator) -> list[int]:
    """Up to ``wanted`` distinct indices below ``available``, in random order."""
    if available <= wanted:
        return list(range(available))
    return rng.choice(available, size=wanted, replace=False).tolist()
