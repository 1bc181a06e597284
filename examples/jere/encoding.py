"""Word pieces and spans: map each word to its pieces, enumerate candidate spans, find context."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from examples.jere.schema import Document, Entity, Relation

Span = tuple[int, int]


@dataclass(frozen=True)
class Encoded:
    """A document ready for the encoder: piece ids with ``[CLS]``/``[SEP]`` and word offsets.

    ``word_pieces[w]`` is the ``[start, end)`` range of word w's pieces in ``input_ids``.
    ``document`` is the (possibly truncated) document whose words all fit.
    """

    document: Document
    input_ids: tuple[int, ...]
    word_pieces: tuple[Span, ...]
    truncated: bool = False

    @property
    def n_words(self) -> int:
        return len(self.word_pieces)

    def pieces(self, span: Span) -> Span:
        """The piece range of a word span ``[start, end)``."""
        return self.word_pieces[span[0]][0], self.word_pieces[span[1] - 1][1]


def enumerate_spans(n_words: int, max_width: int) -> list[Span]:
    """Every contiguous word span of width 1..max_width, narrowest first."""
    return [
        (start, start + width)
        for width in range(1, min(max_width, n_words) + 1)
        for start in range(n_words - width + 1)
    ]


def context_between(a: Span, b: Span) -> Span:
    """The range strictly between two spans; empty ``(0, 0)`` when they touch or overlap.

    The same for either order, so a relation's context does not depend on its direction.
    """
    low, high = min(a[1], b[1]), max(a[0], b[0])
    return (low, high) if low < high else (0, 0)


def encode_documents(
    documents: Sequence[Document], tokenizer: Any, max_length: int
) -> list[Encoded]:
    """Word-piece every word once (a batch call over the distinct words), then lay them out.

    Words the tokenizer turns into nothing become its unknown token, so every word keeps a
    span. Documents longer than ``max_length`` pieces lose their last words, with a warning.
    """
    words = sorted({w for d in documents for w in d.tokens})
    pieces = (
        dict(zip(words, tokenizer(words, add_special_tokens=False)["input_ids"], strict=True))
        if words
        else {}
    )
    cls_id, sep_id, unk_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.unk_token_id
    encoded, cut = [], 0
    for document in documents:
        ids, offsets = [cls_id], []
        for word in document.tokens:
            word_ids = list(pieces[word]) or [unk_id]
            if len(ids) + len(word_ids) + 1 > max_length:
                break
            offsets.append((len(ids), len(ids) + len(word_ids)))
            ids += word_ids
        ids.append(sep_id)
        truncated = len(offsets) < len(document.tokens)
        cut += truncated
        kept = _truncate(document, len(offsets)) if truncated else document
        encoded.append(Encoded(kept, tuple(ids), tuple(offsets), truncated))
    if cut:
        warnings.warn(
            f"{cut} of {len(documents)} documents were longer than {max_length} "
            "word pieces and lost their last words",
            stacklevel=2,
        )
    return encoded


def _truncate(document: Document, n_words: int) -> Document:
    """Keep the first ``n_words`` words and the entities and relations wholly inside them."""
    keep = [i for i, e in enumerate(document.entities) if e.end <= n_words]
    new_index = {old: new for new, old in enumerate(keep)}
    entities = tuple(
        Entity(document.entities[i].type, document.entities[i].start, document.entities[i].end)
        for i in keep
    )
    relations = tuple(
        Relation(r.type, new_index[r.head], new_index[r.tail])
        for r in document.relations
        if r.head in new_index and r.tail in new_index
    )
    return Document(document.tokens[:n_words], entities, relations, document.id)
