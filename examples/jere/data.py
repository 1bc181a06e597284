"""Reading and writing SpERT-format datasets, checking them against a schema, and subsetting."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from examples.jere.schema import DataError, Document, Entity, Relation, Schema


def load_schema(path: str | Path) -> Schema:
    """Read a SpERT types file (``*_types.json``)."""
    with open(path, encoding="utf-8") as handle:
        return Schema.from_json(json.load(handle))


def load_documents(path: str | Path, schema: Schema) -> list[Document]:
    """Read a SpERT dataset file, rejecting types the schema does not declare."""
    with open(path, encoding="utf-8") as handle:
        raw = json.load(handle)
    if not isinstance(raw, list):
        raise DataError(f"{path}: a dataset file is a JSON list of documents")
    return [parse_document(item, schema, f"{path}, document {i}") for i, item in enumerate(raw)]


def write_documents(path: str | Path, documents: Sequence[Document]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([d.to_json() for d in documents], handle)


def write_schema(path: str | Path, schema: Schema) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(schema.to_json(), handle, indent=2)


def parse_document(item: Mapping[str, Any], schema: Schema, where: str) -> Document:
    """One document from its JSON form; unknown extra keys are ignored, as SpERT does."""
    try:
        tokens = tuple(str(t) for t in item["tokens"])
        raw_entities = item.get("entities", [])
        raw_relations = item.get("relations", [])
        entities = tuple(
            Entity(str(e["type"]), int(e["start"]), int(e["end"])) for e in raw_entities
        )
        relations = tuple(
            Relation(str(r["type"]), int(r["head"]), int(r["tail"])) for r in raw_relations
        )
    except (KeyError, TypeError, ValueError) as error:
        raise DataError(f"{where}: malformed document ({error!r})") from error
    document = Document(tokens, entities, relations, item.get("orig_id"))
    check_document(document, schema, where)
    return document


def check_document(document: Document, schema: Schema, where: str) -> None:
    """Raise :class:`DataError` for unknown types and out-of-range spans or references."""
    if not document.tokens:
        raise DataError(f"{where}: no tokens")
    for entity in document.entities:
        if entity.type not in schema.entity_types:
            raise DataError(
                f"{where}: unknown entity type {entity.type!r}; the types file "
                f"declares {list(schema.entity_types)}"
            )
        if not 0 <= entity.start < entity.end <= len(document.tokens):
            raise DataError(
                f"{where}: entity span [{entity.start}, {entity.end}) is outside "
                f"its {len(document.tokens)} tokens"
            )
    for relation in document.relations:
        if relation.type not in schema.relation_types:
            raise DataError(
                f"{where}: unknown relation type {relation.type!r}; the types "
                f"file declares {list(schema.relation_types)}"
            )
        n = len(document.entities)
        if not (0 <= relation.head < n and 0 <= relation.tail < n):
            raise DataError(
                f"{where}: relation refers to entity {relation.head} or "
                f"{relation.tail}, but there are {n}"
            )
        if relation.head == relation.tail:
            raise DataError(f"{where}: relation from an entity to itself")


def subset(documents: Sequence[Document], fraction: float, seed: int) -> list[Document]:
    """A seeded random ⌈fraction·N⌉ of the documents, in their original order.

    The same seed gives the same documents in every trial, so trials at one fidelity see the
    same data and their scores are comparable.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"a data fraction must be in (0, 1], got {fraction}")
    if fraction >= 1.0:
        return list(documents)
    size = max(1, math.ceil(fraction * len(documents) - 1e-9))
    chosen = np.random.default_rng(seed).permutation(len(documents))[:size]
    return [documents[i] for i in sorted(chosen.tolist())]
