"""The joint model: an encoder, span heads (mention, entity type) and a pair head (relations).

SpERT's span classifier and relation classifier with context between the spans, plus JEREX's
separate mention-localisation head, so three task losses exist for loss weighting to act on.
"""

from __future__ import annotations

import torch
from torch import nn

#: Widths above this share the last width embedding (SpERT's table has 100 entries too).
MAX_WIDTH_EMBEDDINGS = 100


def range_mask(low: torch.Tensor, high: torch.Tensor, length: int) -> torch.Tensor:
    """(…, length) bool mask of positions in ``[low, high)``, for (…) shaped bounds."""
    positions = torch.arange(length, device=low.device)
    return (positions >= low.unsqueeze(-1)) & (positions < high.unsqueeze(-1))


def masked_max(
    hidden: torch.Tensor, low: torch.Tensor, high: torch.Tensor, chunk: int = 256
) -> torch.Tensor:
    """Max-pool ``hidden`` (B, T, H) over each range in ``low``/``high`` (B, N) → (B, N, H).

    Empty ranges pool to zero. The fill is the dtype's own minimum, not a literal like -1e30
    that overflows in half precision. Ranges are pooled in chunks to bound memory.
    """
    fill = torch.finfo(hidden.dtype).min
    parts = []
    for start in range(0, low.shape[1], chunk):
        mask = range_mask(
            low[:, start : start + chunk], high[:, start : start + chunk], hidden.shape[1]
        )  # (B, n, T)
        values = hidden.unsqueeze(1).masked_fill(~mask.unsqueeze(-1), fill).amax(dim=2)
        parts.append(values.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0))
    if not parts:
        return hidden.new_zeros((hidden.shape[0], 0, hidden.shape[2]))
    return torch.cat(parts, dim=1)


def gather_rows(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values`` (B, S, D) indexed by ``index`` (B, P) → (B, P, D)."""
    return values.gather(1, index.unsqueeze(-1).expand(-1, -1, values.shape[-1]))


class JointModel(nn.Module):
    """Encoder + span representation (CLS, max-pool, width) + mention, type and relation heads."""

    def __init__(
        self,
        encoder: nn.Module,
        hidden_size: int,
        n_entity_types: int,
        n_relation_types: int,
        width_dim: int = 25,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.encoder = encoder
        self.width_embedding = nn.Embedding(MAX_WIDTH_EMBEDDINGS, width_dim)
        self.dropout = nn.Dropout(dropout)
        span_size = 2 * hidden_size + width_dim
        self.mention_head = nn.Linear(span_size, 1)
        self.type_head = nn.Linear(span_size, n_entity_types + 1)  # label 0 is "None"
        self.relation_head = nn.Linear(3 * hidden_size + 2 * width_dim, n_relation_types)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def spans(
        self, hidden: torch.Tensor, bounds: torch.Tensor, widths: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Pooled spans, width embeddings, mention logits (B, S) and type logits (B, S, E+1)."""
        pooled = masked_max(hidden, bounds[..., 0], bounds[..., 1])
        width = self.width_embedding(widths.clamp(max=MAX_WIDTH_EMBEDDINGS - 1))
        context = hidden[:, :1].expand(-1, pooled.shape[1], -1)  # the CLS vector, per span
        representation = self.dropout(torch.cat([context, pooled, width], dim=-1))
        return (
            pooled,
            width,
            self.mention_head(representation).squeeze(-1),
            self.type_head(representation),
        )

    def relations(
        self,
        hidden: torch.Tensor,
        pooled: torch.Tensor,
        width: torch.Tensor,
        bounds: torch.Tensor,
        pairs: torch.Tensor,
    ) -> torch.Tensor:
        """Relation logits (B, P, R) for span pairs (B, P, 2) indexing into the spans."""
        head, tail = pairs[..., 0], pairs[..., 1]
        head_bounds, tail_bounds = gather_rows(bounds, head), gather_rows(bounds, tail)
        # Strictly between the spans, whichever comes first; empty when they touch/overlap.
        low = torch.minimum(head_bounds[..., 1], tail_bounds[..., 1])
        high = torch.maximum(head_bounds[..., 0], tail_bounds[..., 0])
        context = masked_max(hidden, low, torch.maximum(low, high))
        representation = torch.cat(
            [
                context,
                gather_rows(pooled, head),
                gather_rows(pooled, tail),
                gather_rows(width, head),
                gather_rows(width, tail),
            ],
            dim=-1,
        )
        return self.relation_head(self.dropout(representation))
