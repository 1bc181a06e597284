"""The synthetic generator, the SpERT-format loader, and fidelity subsets."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from examples.jere import lexicon
from examples.jere.config import RunSettings
from examples.jere.data import load_documents, load_schema, subset
from examples.jere.datasets import documents as trial_documents
from examples.jere.schema import CONLL04, CONLL04_SIGNATURES, CONLL04_TYPES, DataError
from examples.jere.synth import SynthConfig, generate, self_check, statistics, write


def test_the_generator_is_deterministic_for_a_seed() -> None:
    config = SynthConfig(n_train=40, n_dev=10, n_test=10, seed=5)
    assert generate(config) == generate(config)
    other = generate(SynthConfig(n_train=40, n_dev=10, n_test=10, seed=6))
    assert other["train"] != generate(config)["train"]


def test_generated_documents_are_valid_conll04(small_splits: dict[str, Any]) -> None:
    for split, documents in small_splits.items():
        self_check(documents)
        for document in documents:
            for relation in document.relations:
                head = document.entities[relation.head]
                tail = document.entities[relation.tail]
                assert (head.type, tail.type) == CONLL04_SIGNATURES[relation.type], split
    assert [len(small_splits[s]) for s in ("train", "dev", "test")] == [60, 20, 20]


def test_names_in_dev_and_test_are_unseen_in_training() -> None:
    splits = generate(SynthConfig(n_train=300, n_dev=100, n_test=100, seed=2))

    def people(split: str) -> set[str]:
        return {
            " ".join(d.tokens[e.start : e.end])
            for d in splits[split]
            for e in d.entities
            if e.type == "Peop"
        }

    shared = set(lexicon.AMBIGUOUS_PEOPLE)
    assert people("dev") - shared and people("test") - shared
    assert not (people("train") & people("dev")) - shared
    assert not (people("train") & people("test")) - shared


def test_the_data_has_its_traps() -> None:
    documents = generate(SynthConfig(n_train=600, n_dev=0, n_test=0, seed=0, difficulty="hard"))[
        "train"
    ]
    counts = statistics(documents)
    relations = {k: v for k, v in counts.items() if k.startswith("relation:")}
    # Kill is the rare relation.
    assert relations["relation:Kill"] < 0.1 * sum(relations.values())
    # Some sentences pair entities under a hedged cue and have no relation at all.
    assert sum(1 for d in documents if len(d.entities) >= 2 and not d.relations) > 30
    # Strings that are people in one sentence are places elsewhere ("Paris", "Jordan").
    surfaces = {
        (" ".join(d.tokens[e.start : e.end]), e.type) for d in documents for e in d.entities
    }
    names = {s for s, t in surfaces if t == "Peop"} | {
        w for s, t in surfaces if t == "Peop" for w in s.split()
    }
    assert {s for s, t in surfaces if t == "Loc"} & names
    # Locations nest inside organisation names ("Bank of Boston" is one Org, not a Loc).
    assert any(" of " in f" {s} " for s, t in surfaces if t == "Org")


def test_an_unknown_difficulty_is_refused() -> None:
    with pytest.raises(ValueError, match="difficulty"):
        generate(SynthConfig(difficulty="brutal"))


def test_written_files_load_back_unchanged(tmp_path: Path) -> None:
    config = SynthConfig(n_train=15, n_dev=5, n_test=5, seed=3)
    paths = write(tmp_path, config)
    schema = load_schema(paths["types"])
    assert json.loads(paths["types"].read_text()) == CONLL04_TYPES
    assert schema == CONLL04
    generated = generate(config)
    for split in ("train", "dev", "test"):
        assert load_documents(paths[split], schema) == generated[split]


def test_the_loader_rejects_unknown_types_and_ignores_extra_keys(tmp_path: Path) -> None:
    good = {
        "tokens": ["Ann", "lives", "in", "Rome"],
        "orig_id": "x",
        "comment": "ignored",
        "entities": [{"type": "Peop", "start": 0, "end": 1}, {"type": "Loc", "start": 3, "end": 4}],
        "relations": [{"type": "Live_In", "head": 0, "tail": 1}],
    }
    path = tmp_path / "data.json"
    path.write_text(json.dumps([good]))
    (document,) = load_documents(path, CONLL04)
    assert document.id == "x" and len(document.relations) == 1

    bad_entity = dict(good, entities=[{"type": "Person", "start": 0, "end": 1}], relations=[])
    path.write_text(json.dumps([good, bad_entity]))
    with pytest.raises(DataError, match=r"document 1: unknown entity type 'Person'"):
        load_documents(path, CONLL04)
    bad_relation = dict(good, relations=[{"type": "Born_In", "head": 0, "tail": 1}])
    path.write_text(json.dumps([bad_relation]))
    with pytest.raises(DataError, match="unknown relation type 'Born_In'"):
        load_documents(path, CONLL04)
    out_of_range = dict(good, entities=[{"type": "Loc", "start": 3, "end": 9}], relations=[])
    path.write_text(json.dumps([out_of_range]))
    with pytest.raises(DataError, match="outside"):
        load_documents(path, CONLL04)


@pytest.mark.parametrize("fraction", [1 / 6, 1 / 3, 0.5, 0.9999])
def test_subsets_are_deterministic_with_ceil_sizes(fraction: float) -> None:
    items = list(range(150))
    chosen = subset(items, fraction, seed=4)  # type: ignore[arg-type]
    assert len(chosen) == math.ceil(fraction * 150 - 1e-9)
    assert chosen == subset(items, fraction, seed=4)  # type: ignore[arg-type]
    assert chosen == sorted(chosen)
    assert subset(items, 1.0, seed=4) == items  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        subset(items, 0.0, seed=4)  # type: ignore[arg-type]


def test_a_trial_can_read_spert_files_from_a_folder(tmp_path: Path) -> None:
    config = SynthConfig(n_train=12, n_dev=4, n_test=4, seed=8)
    write(tmp_path, config)
    schema, splits = trial_documents(RunSettings(data=str(tmp_path), data_prefix="synth"))
    assert schema == CONLL04 and splits == generate(config)
    (tmp_path / "synth_test.json").unlink()
    assert trial_documents(RunSettings(data=str(tmp_path), data_prefix="synth"))[1]["test"] == []
    with pytest.raises(DataError, match="conll04_types.json"):
        trial_documents(RunSettings(data=str(tmp_path), data_prefix="conll04"))
