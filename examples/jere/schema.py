"""The task's vocabulary: entity and relation types, and the documents annotated with them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class DataError(ValueError):
    """A dataset or types file does not fit the schema; the message names the place."""


@dataclass(frozen=True)
class Entity:
    """An entity mention: word indices ``[start, end)`` and its type."""

    type: str
    start: int
    end: int

    @property
    def width(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Relation:
    """A typed relation between two entities, given as indices into the document's entities."""

    type: str
    head: int
    tail: int


@dataclass(frozen=True)
class Document:
    """One sentence or document in SpERT's format: words, entities, relations."""

    tokens: tuple[str, ...]
    entities: tuple[Entity, ...] = ()
    relations: tuple[Relation, ...] = ()
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tokens": list(self.tokens),
            "entities": [{"type": e.type, "start": e.start, "end": e.end} for e in self.entities],
            "relations": [{"type": r.type, "head": r.head, "tail": r.tail} for r in self.relations],
        }
        if self.id is not None:
            data["orig_id"] = self.id
        return data


@dataclass(frozen=True)
class Schema:
    """Entity and relation types in a fixed order; entity label 0 means "no entity"."""

    entity_types: tuple[str, ...]
    relation_types: tuple[str, ...]
    symmetric: frozenset[str] = field(default_factory=frozenset)
    descriptions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def entity_label(self, name: str) -> int:
        """1-based label of an entity type (0 is reserved for "None")."""
        return self.entity_types.index(name) + 1

    def relation_label(self, name: str) -> int:
        return self.relation_types.index(name)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Schema:
        """Read SpERT's types file: ``{"entities": {...}, "relations": {...}}``."""
        try:
            entities, relations = data["entities"], data["relations"]
        except (KeyError, TypeError) as error:
            raise DataError("a types file needs 'entities' and 'relations' objects") from error
        if not entities:
            raise DataError("the types file declares no entity types")
        return cls(
            entity_types=tuple(entities),
            relation_types=tuple(relations),
            symmetric=frozenset(n for n, d in relations.items() if d.get("symmetric", False)),
            descriptions={"entities": dict(entities), "relations": dict(relations)},
        )

    def to_json(self) -> dict[str, Any]:
        described = self.descriptions
        return {
            "entities": {
                n: dict(described.get("entities", {}).get(n, {"short": n, "verbose": n}))
                for n in self.entity_types
            },
            "relations": {
                n: {
                    "short": n,
                    "verbose": n,
                    **described.get("relations", {}).get(n, {}),
                    "symmetric": n in self.symmetric,
                }
                for n in self.relation_types
            },
        }


#: The CoNLL04 types file as SpERT ships it (``conll04_types.json``).
CONLL04_TYPES: dict[str, Any] = {
    "entities": {
        "Loc": {"short": "Loc", "verbose": "Location"},
        "Org": {"short": "Org", "verbose": "Organization"},
        "Peop": {"short": "Peop", "verbose": "People"},
        "Other": {"short": "Other", "verbose": "Other"},
    },
    "relations": {
        "Work_For": {"short": "Work", "verbose": "Work for", "symmetric": False},
        "Kill": {"short": "Kill", "verbose": "Kill", "symmetric": False},
        "OrgBased_In": {"short": "OrgBI", "verbose": "Organization based in", "symmetric": False},
        "Live_In": {"short": "Live", "verbose": "Live in", "symmetric": False},
        "Located_In": {"short": "LocIn", "verbose": "Located in", "symmetric": False},
    },
}

#: (head type, tail type) of each CoNLL04 relation; ``Other`` takes part in none.
CONLL04_SIGNATURES: dict[str, tuple[str, str]] = {
    "Work_For": ("Peop", "Org"),
    "Kill": ("Peop", "Peop"),
    "OrgBased_In": ("Org", "Loc"),
    "Live_In": ("Peop", "Loc"),
    "Located_In": ("Loc", "Loc"),
}

CONLL04 = Schema.from_json(CONLL04_TYPES)
