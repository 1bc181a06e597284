"""Padding documents, spans and pairs into tensors for the model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch

from examples.jere.encoding import Encoded, Span
from examples.jere.sampling import Sample


@dataclass
class Batch:
    """Padded tensors: B documents, T pieces, S spans, P pairs, R relation types.

    ``span_bounds`` are piece ranges ``[start, end)``; ``span_widths`` are word counts.
    Label and pair tensors are empty (shape ``(B, 0, …)``) when not needed.
    """

    input_ids: torch.Tensor  # (B, T) long
    attention_mask: torch.Tensor  # (B, T) long
    span_bounds: torch.Tensor  # (B, S, 2) long
    span_widths: torch.Tensor  # (B, S) long
    span_mask: torch.Tensor  # (B, S) bool
    entity_labels: torch.Tensor  # (B, S) long
    pairs: torch.Tensor  # (B, P, 2) long, indices into the spans
    pair_mask: torch.Tensor  # (B, P) bool
    relation_labels: torch.Tensor  # (B, P, R) float

    def to(self, device: torch.device) -> Batch:
        return Batch(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})


def collate(
    encoded: Sequence[Encoded],
    spans: Sequence[Sequence[Span]],
    pad_id: int,
    samples: Sequence[Sample] | None = None,
    n_relation_types: int = 0,
) -> Batch:
    """Pad the documents with their spans; with ``samples``, add labels and pairs too."""
    size = len(encoded)
    n_pieces = max(len(e.input_ids) for e in encoded)
    n_spans = max(1, max(len(s) for s in spans))
    n_pairs = max((len(s.pairs) for s in samples), default=0) if samples else 0

    input_ids = torch.full((size, n_pieces), pad_id, dtype=torch.long)
    attention = torch.zeros((size, n_pieces), dtype=torch.long)
    bounds = torch.zeros((size, n_spans, 2), dtype=torch.long)
    widths = torch.zeros((size, n_spans), dtype=torch.long)
    span_mask = torch.zeros((size, n_spans), dtype=torch.bool)
    entity_labels = torch.zeros((size, n_spans), dtype=torch.long)
    pairs = torch.zeros((size, n_pairs, 2), dtype=torch.long)
    pair_mask = torch.zeros((size, n_pairs), dtype=torch.bool)
    relation_labels = torch.zeros((size, n_pairs, n_relation_types), dtype=torch.float)

    for b, (document, document_spans) in enumerate(zip(encoded, spans, strict=True)):
        input_ids[b, : len(document.input_ids)] = torch.tensor(document.input_ids)
        attention[b, : len(document.input_ids)] = 1
        if document_spans:
            count = len(document_spans)
            bounds[b, :count] = torch.tensor([document.pieces(s) for s in document_spans])
            widths[b, :count] = torch.tensor([s[1] - s[0] for s in document_spans])
            span_mask[b, :count] = True
        if samples:
            sample = samples[b]
            entity_labels[b, : len(sample.entity_labels)] = torch.tensor(sample.entity_labels)
            if sample.pairs:
                count = len(sample.pairs)
                pairs[b, :count] = torch.tensor(sample.pairs)
                pair_mask[b, :count] = True
                relation_labels[b, :count] = torch.tensor(sample.relation_labels)
    return Batch(
        input_ids,
        attention,
        bounds,
        widths,
        span_mask,
        entity_labels,
        pairs,
        pair_mask,
        relation_labels,
    )


def collate_samples(samples: Sequence[Sample], pad_id: int, n_relation_types: int) -> Batch:
    """A training batch from samples."""
    return collate(
        [s.encoded for s in samples], [s.spans for s in samples], pad_id, samples, n_relation_types
    )
