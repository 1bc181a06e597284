"""A seeded generator of a synthetic CoNLL04-schema dataset in SpERT's format.

It is built to be learnable but not trivially separable: names and organisations in the dev and
test splits never occur in training (the model must read context), some strings are a person in
one sentence and a place in another, hedged or negated cues sit next to entity pairs that are
not related, locations nest inside organisation names, ``Kill`` is rare, and the training split
can carry label noise. Run ``python -m examples.jere.synth --out DIR`` to write the files.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from examples.jere import lexicon, templates
from examples.jere.data import write_documents, write_schema
from examples.jere.schema import (
    CONLL04,
    CONLL04_SIGNATURES,
    DataError,
    Document,
    Entity,
    Relation,
)

SLOT = re.compile(r"^\{([POLX])(\d+|\*)\}$")
SLOT_TYPES = {"P": "Peop", "O": "Org", "L": "Loc", "X": "Other"}
SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class Difficulty:
    """How hard the data is: the rates of the traps listed in the module docstring."""

    hedged: float  # weight of sentences with a cue but no relation
    multi: float  # weight of sentences with several relations
    max_fillers: int  # filler clauses per sentence, 0..max
    ambiguous: float  # chance a person is named with a person/place/organisation string
    label_noise: float  # chance a training relation is dropped
    long_entity: float  # chance of a filler naming an entity longer than ten words


DIFFICULTIES: dict[str, Difficulty] = {
    "easy": Difficulty(0.05, 0.04, 1, 0.02, 0.0, 0.0),
    "medium": Difficulty(0.15, 0.08, 2, 0.08, 0.02, 0.01),
    "hard": Difficulty(0.25, 0.12, 3, 0.15, 0.05, 0.02),
}


@dataclass(frozen=True)
class SynthConfig:
    """Sizes, seed and difficulty of a synthetic dataset (600/150/150 by default)."""

    n_train: int = 600
    n_dev: int = 150
    n_test: int = 150
    seed: int = 0
    difficulty: str = "medium"


class _Names:
    """The person and organisation names one split may use (disjoint across splits)."""

    def __init__(self, split: int, rng: np.random.Generator, seed: int) -> None:
        partition = np.random.default_rng([seed, 7])  # the same partition for every split
        self.first = _part(lexicon.FIRST_NAMES, partition, split)
        self.last = _part(lexicon.SURNAMES, partition, split)
        self.rng = rng
        # Places that organisation names may embed ("Bank of Boston"): cities and states.
        self.places = sorted(_location_links())

    def pick(self, items: Sequence[str]) -> str:
        return items[int(self.rng.integers(len(items)))]

    def person(self, ambiguous: float) -> str:
        if self.rng.random() < ambiguous:
            return self.pick(lexicon.AMBIGUOUS_PEOPLE)
        if self.rng.random() < 0.3:
            return self.pick(self.last)
        return f"{self.pick(self.first)} {self.pick(self.last)}"

    def organisation(self) -> str:
        if self.rng.random() < 0.1:
            return self.pick(lexicon.FIXED_ORGS)
        last = [n for n in self.last if n != "Ford"]
        return self.pick(lexicon.ORG_PATTERNS).format(
            S=self.pick(last),
            S2=self.pick(last),
            N=self.pick(lexicon.ORG_NOUNS),
            C=self.pick(self.places),
        )


def _part(items: Sequence[str], rng: np.random.Generator, split: int) -> list[str]:
    """Split ``items`` 60/20/20 into train/dev/test with a fixed permutation."""
    order = [items[i] for i in rng.permutation(len(items))]
    cut1, cut2 = int(0.6 * len(order)), int(0.8 * len(order))
    return [order[:cut1], order[cut1:cut2], order[cut2:]][split]


def _location_links() -> dict[str, str]:
    """child -> parent for every city and state in the tree."""
    links: dict[str, str] = {}
    for country, states in lexicon.LOCATIONS.items():
        for state, cities in states.items():
            links[state] = country
            for city in cities:
                links[city] = state
    return links


LINKS = _location_links()
LOCATIONS = sorted(set(LINKS) | set(lexicon.LOCATIONS))


def _ancestors(place: str) -> set[str]:
    found: set[str] = set()
    while place in LINKS:
        place = LINKS[place]
        found.add(place)
    return found


def _related(a: str, b: str) -> bool:
    return a == b or a in _ancestors(b) or b in _ancestors(a)


class _Writer:
    """Fills one template (with fillers) for one split."""

    def __init__(self, names: _Names, difficulty: Difficulty) -> None:
        self.names = names
        self.difficulty = difficulty
        self.rng = names.rng

    def sentence(self) -> Document:
        groups = dict(templates.GROUP_WEIGHTS)
        groups["hedged"] = self.difficulty.hedged
        groups["multi"] = self.difficulty.multi
        keys = sorted(groups)
        weights = np.array([groups[k] for k in keys])
        group = keys[int(self.rng.choice(len(keys), p=weights / weights.sum()))]
        text, relations = self.names.pick(templates.TEMPLATES[group])
        return self.fill(self._with_fillers(text), relations)

    def _with_fillers(self, text: str) -> str:
        body = text.removesuffix(" .")
        for _ in range(int(self.rng.integers(self.difficulty.max_fillers + 1))):
            if self.rng.random() < 0.5:
                body = f"{self.names.pick(templates.PREFIXES)} {_lower_first(body)}"
            else:
                body = f"{body} {self.names.pick(templates.SUFFIXES)}"
        if self.rng.random() < self.difficulty.long_entity:
            body = f"{body} at the {{X0}}"  # slot 0 is the long title
        counter = iter(range(5, 99))
        return re.sub(r"\*", lambda _: str(next(counter)), body) + " ."

    def fill(self, text: str, relations: tuple[tuple[str, str, str], ...]) -> Document:
        words = text.split()
        slots = [m.group(1) + m.group(2) for w in words if (m := SLOT.match(w))]
        strings = self._choose(slots, relations)
        tokens: list[str] = []
        entities: list[Entity] = []
        index: dict[str, int] = {}
        for word in words:
            match = SLOT.match(word)
            if match is None:
                tokens.append(self.names.pick(lexicon.JOBS) if word == "{J}" else word)
                continue
            slot = match.group(1) + match.group(2)
            surface = strings[slot].split()
            index[slot] = len(entities)
            entities.append(Entity(SLOT_TYPES[slot[0]], len(tokens), len(tokens) + len(surface)))
            tokens += surface
        links = tuple(Relation(kind, index[head], index[tail]) for kind, head, tail in relations)
        return Document(tuple(tokens), tuple(entities), links)

    def _choose(
        self, slots: list[str], relations: tuple[tuple[str, str, str], ...]
    ) -> dict[str, str]:
        """Surface strings for the slots: all distinct, locations consistent with the tree."""
        chosen: dict[str, str] = {}
        for kind, head, tail in relations:
            if kind == "Located_In":
                child = self.names.pick(sorted(LINKS))
                chosen[head], chosen[tail] = child, self.names.pick(sorted(_ancestors(child)))
        for slot in slots:
            while slot not in chosen:
                candidate = self._entity(slot)
                taken = chosen.values()
                clash = candidate in taken or (
                    slot[0] == "L"
                    and any(_related(candidate, c) for s, c in chosen.items() if s[0] == "L")
                )
                if not clash:
                    chosen[slot] = candidate
        return chosen

    def _entity(self, slot: str) -> str:
        kind = slot[0]
        if kind == "P":
            return self.names.person(self.difficulty.ambiguous)
        if kind == "O":
            return self.names.organisation()
        if kind == "L":
            return self.names.pick(LOCATIONS)
        if slot == "X0":
            return self.names.pick(lexicon.LONG_OTHER)
        return self.names.pick(lexicon.OTHER_THINGS)


def _lower_first(text: str) -> str:
    first, _, rest = text.partition(" ")
    if first in {"The", "In", "According", "Police", "Officials", "Prices"}:
        first = first.lower()
    return f"{first} {rest}"


def generate(config: SynthConfig = SynthConfig()) -> dict[str, list[Document]]:
    """The three splits, deterministic for a given config."""
    if config.difficulty not in DIFFICULTIES:
        raise ValueError(
            f"difficulty must be one of {sorted(DIFFICULTIES)}, got {config.difficulty!r}"
        )
    difficulty = DIFFICULTIES[config.difficulty]
    sizes = {"train": config.n_train, "dev": config.n_dev, "test": config.n_test}
    result: dict[str, list[Document]] = {}
    for number, split in enumerate(SPLITS):
        rng = np.random.default_rng([config.seed, number])
        writer = _Writer(_Names(number, rng, config.seed), difficulty)
        documents = []
        for i in range(sizes[split]):
            document = writer.sentence()
            if split == "train" and difficulty.label_noise:
                kept = tuple(
                    r for r in document.relations if rng.random() >= difficulty.label_noise
                )
                document = Document(document.tokens, document.entities, kept)
            documents.append(
                Document(
                    document.tokens, document.entities, document.relations, f"synth-{split}-{i}"
                )
            )
        self_check(documents)
        result[split] = documents
    return result


def self_check(documents: Sequence[Document]) -> None:
    """Raise :class:`DataError` unless every document is valid CoNLL04 with legal signatures."""
    for number, document in enumerate(documents):
        where = f"synthetic document {number}"
        spans = [(e.start, e.end) for e in document.entities]
        if len(set(spans)) != len(spans):
            raise DataError(f"{where}: duplicate entity span")
        for entity in document.entities:
            if entity.type not in CONLL04.entity_types or not (
                0 <= entity.start < entity.end <= len(document.tokens)
            ):
                raise DataError(f"{where}: bad entity {entity}")
        for relation in document.relations:
            head, tail = document.entities[relation.head], document.entities[relation.tail]
            if (head.type, tail.type) != CONLL04_SIGNATURES[relation.type]:
                raise DataError(f"{where}: {relation.type} from {head.type} to {tail.type}")


def statistics(documents: Sequence[Document]) -> dict[str, int]:
    """Counts per entity and relation type, and of documents and words."""
    counts: Counter[str] = Counter()
    for document in documents:
        counts["documents"] += 1
        counts["words"] += len(document.tokens)
        counts.update(f"entity:{e.type}" for e in document.entities)
        counts.update(f"relation:{r.type}" for r in document.relations)
        counts["entity:wider_than_10"] += sum(e.width > 10 for e in document.entities)
    return dict(sorted(counts.items()))


def write(out: str | Path, config: SynthConfig = SynthConfig()) -> dict[str, Path]:
    """Write ``synth_{train,dev,test}.json`` and ``synth_types.json`` into ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"types": folder / "synth_types.json"}
    write_schema(paths["types"], CONLL04)
    for split, documents in generate(config).items():
        paths[split] = folder / f"synth_{split}.json"
        write_documents(paths[split], documents)
    return paths


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder for the JSON files")
    parser.add_argument("--n-train", type=int, default=600)
    parser.add_argument("--n-dev", type=int, default=150)
    parser.add_argument("--n-test", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--difficulty", choices=sorted(DIFFICULTIES), default="medium")
    args = parser.parse_args(argv)
    config = SynthConfig(args.n_train, args.n_dev, args.n_test, args.seed, args.difficulty)
    for split, path in write(args.out, config).items():
        print(f"{split}: {path}")
    for split, documents in generate(config).items():
        print(split, statistics(documents))


if __name__ == "__main__":
    main()
