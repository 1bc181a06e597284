"""Where a trial's documents come from, tokenised once per process and reused across trials."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from examples.jere.config import RunSettings
from examples.jere.data import load_documents, load_schema
from examples.jere.encoder import load_tokenizer, max_length
from examples.jere.encoding import Encoded, encode_documents
from examples.jere.schema import CONLL04, DataError, Document, Schema
from examples.jere.synth import SynthConfig, generate


@dataclass(frozen=True)
class Splits:
    """The schema, the tokenizer and the encoded train, dev and test splits."""

    schema: Schema
    tokenizer: object
    train: tuple[Encoded, ...]
    dev: tuple[Encoded, ...]
    test: tuple[Encoded, ...]


def documents(settings: RunSettings) -> tuple[Schema, dict[str, list[Document]]]:
    """The raw splits: synthetic (``data = "synthetic"``) or SpERT files in a folder.

    A folder holds ``{prefix}_train.json``, ``{prefix}_dev.json``, ``{prefix}_types.json`` and
    optionally ``{prefix}_test.json`` (CoNLL04 as SpERT ships it: prefix ``conll04``).
    """
    if settings.data == "synthetic":
        config = SynthConfig(
            settings.n_train,
            settings.n_dev,
            settings.n_test,
            settings.data_seed,
            settings.difficulty,
        )
        return CONLL04, generate(config)
    folder, prefix = Path(settings.data), settings.data_prefix
    types = folder / f"{prefix}_types.json"
    if not types.exists():
        raise DataError(
            f"no types file {types}; set fidelity data to a folder with "
            f"{prefix}_train.json, {prefix}_dev.json and {prefix}_types.json"
        )
    schema = load_schema(types)
    splits = {}
    for split in ("train", "dev", "test"):
        path = folder / f"{prefix}_{split}.json"
        if path.exists():
            splits[split] = load_documents(path, schema)
        elif split != "test":
            raise DataError(f"missing dataset file {path}")
        else:
            splits[split] = []
    return schema, splits


def prepared(settings: RunSettings) -> Splits:
    """Load and tokenise the splits for the settings' encoder (cached: trials share it)."""
    return _prepared(
        settings.encoder,
        settings.data,
        settings.data_prefix,
        settings.n_train,
        settings.n_dev,
        settings.n_test,
        settings.data_seed,
        settings.difficulty,
    )


@functools.lru_cache(maxsize=4)
def _prepared(
    encoder: str,
    data: str,
    data_prefix: str,
    n_train: int,
    n_dev: int,
    n_test: int,
    data_seed: int,
    difficulty: str,
) -> Splits:
    settings = RunSettings(
        encoder=encoder,
        data=data,
        data_prefix=data_prefix,
        n_train=n_train,
        n_dev=n_dev,
        n_test=n_test,
        data_seed=data_seed,
        difficulty=difficulty,
    )
    schema, raw = documents(settings)
    # The tiny encoder's vocabulary comes from the whole training split, so it does not
    # change with the training fraction of a sprint.
    words = frozenset(w for d in raw["train"] for w in d.tokens)
    tokenizer = load_tokenizer(encoder, words if encoder == "tiny" else frozenset())
    limit = max_length(encoder, tokenizer)
    return Splits(
        schema,
        tokenizer,
        *(tuple(encode_documents(raw[s], tokenizer, limit)) for s in ("train", "dev", "test")),
    )
