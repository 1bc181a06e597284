"""One inference pass over documents, cached as probabilities; decisions at any thresholds.

The pass keeps, per document, every span whose mention probability reaches ``t_min`` (the
lowest threshold calibration may try), its best entity type, and the relation probabilities of
all ordered pairs among the ``max_pair_spans`` most likely of those spans. Any thresholds at or
above ``t_min`` are then scored in numpy alone: the per-epoch reports at the default thresholds
and the threshold calibration both read this cache. (If more than ``max_pair_spans`` spans pass
a threshold, pairs of the less likely ones are missing: an untrained model's relation F1 is
then understated, never a trained one's.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from examples.jere.batching import collate
from examples.jere.calibration import Candidates
from examples.jere.encoding import Encoded, enumerate_spans
from examples.jere.metrics import EntityTuple, RelationTuple, gold_tuples
from examples.jere.model import JointModel
from examples.jere.schema import Schema

PAIR_CHUNK = 1000  # relation pairs scored at once (SpERT's max_pairs), to bound memory


@dataclass(frozen=True)
class DocumentOutput:
    """Cached probabilities of one document; ``pairs`` index into ``spans``."""

    spans: np.ndarray  # (n, 2) word ranges
    mention: np.ndarray  # (n,) mention probability
    types: np.ndarray  # (n,) best entity label (1-based, never "None")
    pairs: np.ndarray  # (m, 2)
    relations: np.ndarray  # (m, R) relation probabilities


@torch.no_grad()
def infer(
    model: JointModel,
    documents: Sequence[Encoded],
    *,
    max_width: int,
    batch_size: int,
    pad_id: int,
    t_min: float,
    max_pair_spans: int,
    device: torch.device,
) -> list[DocumentOutput]:
    """Run the model once over the documents (in eval mode) and cache what decisions need."""
    was_training = model.training
    model.eval()
    outputs: list[DocumentOutput] = []
    for first in range(0, len(documents), batch_size):
        chunk = documents[first : first + batch_size]
        spans = [enumerate_spans(d.n_words, max_width) for d in chunk]
        batch = collate(chunk, spans, pad_id).to(device)
        hidden = model.encode(batch.input_ids, batch.attention_mask)
        pooled, width, mention_logits, type_logits = model.spans(
            hidden, batch.span_bounds, batch.span_widths
        )
        mention = torch.sigmoid(mention_logits.float()).cpu().numpy()
        types = (type_logits[..., 1:].argmax(dim=-1) + 1).cpu().numpy()
        for b, document_spans in enumerate(spans):
            p = mention[b, : len(document_spans)]
            kept = np.flatnonzero(p >= t_min)
            top = kept[np.argsort(-p[kept], kind="stable")][:max_pair_spans]
            pair_index = np.array(
                [(i, j) for i in top for j in top if i != j], dtype=np.int64
            ).reshape(-1, 2)
            probabilities = []
            for start in range(0, len(pair_index), PAIR_CHUNK):
                pairs = torch.as_tensor(
                    pair_index[start : start + PAIR_CHUNK], device=device
                ).unsqueeze(0)
                logits = model.relations(
                    hidden[b : b + 1],
                    pooled[b : b + 1],
                    width[b : b + 1],
                    batch.span_bounds[b : b + 1],
                    pairs,
                )
                probabilities.append(torch.sigmoid(logits.float())[0].cpu().numpy())
            relations = (
                np.concatenate(probabilities)
                if probabilities
                else np.zeros((0, model.relation_head.out_features))
            )
            position = {int(k): n for n, k in enumerate(kept)}
            outputs.append(
                DocumentOutput(
                    spans=np.asarray(document_spans, dtype=np.int64).reshape(-1, 2)[kept],
                    mention=p[kept],
                    types=types[b, kept],
                    pairs=np.array(
                        [(position[i], position[j]) for i, j in pair_index], dtype=np.int64
                    ).reshape(-1, 2),
                    relations=relations,
                )
            )
    model.train(was_training)
    return outputs


def threshold_names(schema: Schema, per_type: bool) -> list[str]:
    """``t_mention`` then one relation threshold, or one per relation type."""
    if per_type:
        return ["t_mention"] + [f"t_rel:{name}" for name in schema.relation_types]
    return ["t_mention", "t_rel"]


def _entity(output: DocumentOutput, index: int, schema: Schema) -> EntityTuple:
    start, end = output.spans[index]
    return int(start), int(end), schema.entity_types[int(output.types[index]) - 1]


def relation_candidates(
    outputs: Sequence[DocumentOutput],
    documents: Sequence[Encoded],
    schema: Schema,
    per_type: bool,
    t_min: float,
) -> Candidates:
    """Every (pair, relation type) the cache can emit, with whether it is a gold tuple.

    Gate 0 is ``t_mention`` (both spans), gate 1 (+ type index if ``per_type``) is ``t_rel``.
    """
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    gold_counts = []
    for number, (output, document) in enumerate(zip(outputs, documents, strict=True)):
        gold = gold_tuples(document.document)[1]
        gold_counts.append(len(gold))
        k, r = np.nonzero(output.relations >= t_min)
        head, tail = output.pairs[k, 0], output.pairs[k, 1]
        # (head start, head end, head label, tail start, tail end, tail label, relation)
        keys = np.stack(
            [
                output.spans[head, 0],
                output.spans[head, 1],
                output.types[head],
                output.spans[tail, 0],
                output.spans[tail, 1],
                output.types[tail],
                r,
            ],
            axis=1,
        )
        correct = np.zeros(len(k), dtype=bool)
        for (hs, he, ht), (ts, te, tt), name in gold:  # a handful per document
            wanted = [
                hs,
                he,
                schema.entity_label(ht),
                ts,
                te,
                schema.entity_label(tt),
                schema.relation_label(name),
            ]
            correct |= np.all(keys == wanted, axis=1)
        scores = np.stack(
            [output.mention[head], output.mention[tail], output.relations[k, r]], axis=1
        )
        gates = np.stack(
            [np.zeros_like(r), np.zeros_like(r), 1 + (r if per_type else 0 * r)], axis=1
        )
        parts.append((scores, gates, correct, np.full(len(k), number)))
    if not parts:
        return Candidates.build(np.zeros((0, 3)), np.zeros((0, 3)), [], [], gold_counts)
    return Candidates.build(*(np.concatenate([p[i] for p in parts]) for i in range(4)), gold_counts)


def entity_candidates(
    outputs: Sequence[DocumentOutput], documents: Sequence[Encoded], schema: Schema
) -> Candidates:
    """Every cached span as a candidate entity (gate 0 is ``t_mention``)."""
    scores, correct, group, gold_counts = [], [], [], []
    for number, (output, document) in enumerate(zip(outputs, documents, strict=True)):
        gold = gold_tuples(document.document)[0]
        gold_counts.append(len(gold))
        for i in range(len(output.spans)):
            scores.append(output.mention[i])
            correct.append(_entity(output, i, schema) in gold)
            group.append(number)
    return Candidates.build(
        np.asarray(scores, dtype=float), np.zeros(len(scores), int), correct, group, gold_counts
    )


def decode(
    output: DocumentOutput, schema: Schema, thresholds: Sequence[float]
) -> tuple[set[EntityTuple], set[RelationTuple]]:
    """The entities and relations predicted at the thresholds (in :func:`threshold_names` order).

    A span is an entity when its mention probability reaches ``t_mention``; a relation holds
    when both spans are entities and its probability reaches its ``t_rel``.
    """
    t_mention, t_rel = thresholds[0], list(thresholds[1:])
    if len(t_rel) == 1:
        t_rel = t_rel * len(schema.relation_types)
    entities = {_entity(output, i, schema) for i in np.flatnonzero(output.mention >= t_mention)}
    relations: set[RelationTuple] = set()
    for k, (i, j) in enumerate(output.pairs):
        if output.mention[i] < t_mention or output.mention[j] < t_mention:
            continue
        for r, name in enumerate(schema.relation_types):
            if output.relations[k, r] >= t_rel[r]:
                relations.add((_entity(output, i, schema), _entity(output, j, schema), name))
    return entities, relations
