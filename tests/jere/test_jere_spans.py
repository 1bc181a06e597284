"""Span enumeration, word-piece mapping, context between spans, and max-pooling over ranges."""

from __future__ import annotations

import pytest
import torch

from examples.jere.encoder import load_tokenizer
from examples.jere.encoding import context_between, encode_documents, enumerate_spans
from examples.jere.model import masked_max
from examples.jere.schema import Document, Entity


@pytest.mark.parametrize(("n", "width"), [(1, 10), (5, 10), (30, 10), (12, 3)])
def test_span_count_is_the_sum_over_widths(n: int, width: int) -> None:
    spans = enumerate_spans(n, width)
    assert len(spans) == sum(n - w + 1 for w in range(1, min(n, width) + 1))
    assert len(set(spans)) == len(spans)
    assert all(0 <= s < e <= n and e - s <= width for s, e in spans)


def test_thirty_words_give_255_candidates() -> None:
    assert len(enumerate_spans(30, 10)) == 255


def test_multi_piece_words_map_to_their_piece_ranges() -> None:
    tokenizer = load_tokenizer("tiny", frozenset({"Smith", "works", "for", "Acme", "."}))
    document = Document(
        ("Kowalczyk", "works", "for", "Acme", "."), (Entity("Peop", 0, 1), Entity("Org", 3, 4))
    )
    (encoded,) = encode_documents([document], tokenizer, max_length=64)
    assert encoded.input_ids[0] == tokenizer.cls_token_id
    assert encoded.input_ids[-1] == tokenizer.sep_token_id
    # An unseen name splits into several pieces; known words are one piece each.
    first = encoded.word_pieces[0]
    assert first == (1, 1 + len("kowalczyk"))
    assert encoded.word_pieces[1] == (first[1], first[1] + 1)
    assert encoded.pieces((0, 2)) == (1, first[1] + 1)
    pieces = tokenizer.convert_ids_to_tokens(list(encoded.input_ids[first[0] : first[1]]))
    assert "".join(p.removeprefix("##") for p in pieces) == "kowalczyk"


def test_long_documents_are_truncated_with_their_entities() -> None:
    tokenizer = load_tokenizer("tiny", frozenset({"a", "b"}))
    document = Document(("a",) * 20, (Entity("Loc", 0, 2), Entity("Loc", 15, 17)))
    with pytest.warns(UserWarning, match="longer than 10"):
        (encoded,) = encode_documents([document], tokenizer, max_length=10)
    assert encoded.truncated and encoded.n_words == 8 and len(encoded.input_ids) == 10
    assert encoded.document.entities == (Entity("Loc", 0, 2),)


def test_context_is_strictly_between_and_order_free() -> None:
    assert context_between((0, 2), (5, 7)) == (2, 5)
    assert context_between((5, 7), (0, 2)) == (2, 5)
    assert context_between((0, 2), (2, 4)) == (0, 0)  # adjacent
    assert context_between((0, 4), (2, 6)) == (0, 0)  # overlapping
    assert context_between((0, 6), (2, 3)) == (0, 0)  # nested


def test_masked_max_pools_each_range_and_zeroes_empty_ones() -> None:
    hidden = torch.arange(2 * 6 * 3, dtype=torch.float).reshape(2, 6, 3) * torch.tensor(
        [1.0, -1.0, 1.0]
    )
    low = torch.tensor([[1, 3, 2], [0, 4, 0]])
    high = torch.tensor([[3, 4, 2], [6, 5, 0]])
    pooled = masked_max(hidden, low, high, chunk=2)
    for b in range(2):
        for n in range(3):
            lo, hi = int(low[b, n]), int(high[b, n])
            expected = hidden[b, lo:hi].amax(dim=0) if hi > lo else torch.zeros(3)
            assert torch.equal(pooled[b, n], expected)


def test_masked_max_is_safe_in_half_precision() -> None:
    hidden = torch.full((1, 4, 2), -3.0, dtype=torch.float16)
    pooled = masked_max(hidden, torch.tensor([[1]]), torch.tensor([[3]]))
    assert pooled.dtype == torch.float16 and torch.equal(
        pooled, torch.full((1, 1, 2), -3.0, dtype=torch.float16)
    )
