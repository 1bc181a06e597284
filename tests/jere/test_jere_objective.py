"""The objective's contract with sprintopt: reports, pruning, attributes, errors, calibration."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import torch

from engine.objective import Fidelity, TrialPruned
from examples.jere.calibration import f1_at
from examples.jere.config import ConfigError, RunSettings, TrialConfig
from examples.jere.datasets import prepared
from examples.jere.encoder import load_tokenizer
from examples.jere.encoding import Encoded, encode_documents, enumerate_spans
from examples.jere.metrics import evaluate, gold_tuples
from examples.jere.objective import _infer, _model, objective
from examples.jere.predict import DocumentOutput, decode, entity_candidates, relation_candidates
from examples.jere.schema import CONLL04

CONFIG = {"lr": 3e-3, "batch_size": 4, "neg_entity_count": 20, "neg_relation_count": 10}


def fidelity(epochs: int, extra: dict[str, Any], **fractions: float) -> Fidelity:
    return Fidelity("epochs", float(epochs), extra=extra, **fractions)


def test_one_report_per_epoch_then_a_calibrated_score(
    reporter_class: Any, tiny_run: dict[str, Any]
) -> None:
    reporter = reporter_class()
    value = objective(dict(CONFIG), fidelity(3, tiny_run), reporter)
    assert [step for step, _ in reporter.reports] == [1, 2, 3]
    assert all(0.0 <= v <= 1.0 for _, v in reporter.reports)
    attrs = reporter.attrs
    assert value == attrs["f1_calibrated"] == attrs["calibration"]["holdout_f1"]
    assert attrs["f1_uncalibrated"] == attrs["calibration"]["holdout_f1_default"]
    assert set(attrs["thresholds"]) == {"t_mention", "t_rel"}
    assert set(attrs["losses"]) == {"mention", "entity", "relation"}
    assert all(len(v) == 3 for v in attrs["losses"].values())
    # The default per-epoch report is relation F1 at the best thresholds (examples/jere/README.md).
    assert [row["f1_best"] for row in attrs["epochs"]] == [v for _, v in reporter.reports]
    json.dumps(attrs)  # every attribute must be storable as JSON


def test_pruning_stops_training_at_that_epoch(
    reporter_class: Any, tiny_run: dict[str, Any]
) -> None:
    reporter = reporter_class(prune_at=2)
    with pytest.raises(TrialPruned):
        objective(dict(CONFIG), fidelity(5, tiny_run), reporter)
    assert [step for step, _ in reporter.reports] == [1, 2]
    assert len(reporter.attrs["epochs"]) == 2  # the losses of a pruned trial are kept
    assert "f1_calibrated" not in reporter.attrs


def test_stop_after_epoch_and_fractions_are_honoured(
    reporter_class: Any, tiny_run: dict[str, Any]
) -> None:
    reporter = reporter_class()
    run = dict(tiny_run, stop_after_epoch="warmup", scheduler="one_cycle", calibrate=False)
    value = objective(
        dict(CONFIG, pct_start=0.3),
        fidelity(6, run, train_fraction=0.5, valid_fraction=0.5),
        reporter,
    )
    assert [step for step, _ in reporter.reports] == [1, 2]  # ceil(0.3 * 6) = 2 epochs
    schedule = reporter.attrs["schedule"]
    assert schedule == {
        "scheduler": "one_cycle",
        "epochs": 2,
        "schedule_epochs": 6,
        "train_documents": 12,
        "valid_documents": 6,
    }
    assert value == reporter.reports[-1][1] == reporter.attrs["epochs"][-1]["value"]
    assert reporter.attrs["f1_uncalibrated"] == reporter.attrs["epochs"][-1]["f1_default"]


def test_the_fidelity_scheduler_overrides_the_config(
    reporter_class: Any, tiny_run: dict[str, Any]
) -> None:
    reporter = reporter_class()
    run = dict(tiny_run, scheduler="off", calibrate=False)
    objective(dict(CONFIG, scheduler="one_cycle"), fidelity(2, run), reporter)
    rates = [row["learning_rates"] for row in reporter.attrs["epochs"]]
    assert rates[0] == rates[1] and rates[0]["heads"] == CONFIG["lr"]


def test_unknown_keys_are_clear_errors(reporter_class: Any, tiny_run: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="unknown config key 'learning_rate'"):
        objective({"learning_rate": 1e-3}, fidelity(1, tiny_run), reporter_class())
    with pytest.raises(ConfigError, match=r"t_rel.*fidelity"):
        objective({"t_rel": 0.5}, fidelity(1, tiny_run), reporter_class())
    with pytest.raises(ConfigError, match="unknown fidelity key 'encodr'"):
        objective({}, fidelity(1, {"encodr": "tiny"}), reporter_class())
    with pytest.raises(ConfigError, match="scheduler"):
        objective({"scheduler": "cosine"}, fidelity(1, tiny_run), reporter_class())


def fake_outputs(documents: list[Encoded], rng: np.random.Generator) -> list[DocumentOutput]:
    """Cached outputs of an imperfect model: gold spans, types and relations score higher."""
    outputs = []
    for encoded in documents:
        document = encoded.document
        gold = {(e.start, e.end): CONLL04.entity_label(e.type) for e in document.entities}
        spans = enumerate_spans(encoded.n_words, 3)
        spans += [s for s in gold if s not in spans]
        mention = np.array(
            [rng.uniform(0.3, 1.0) if s in gold else rng.uniform(0.0, 0.7) for s in spans]
        )
        types = np.array(
            [gold[s] if s in gold and rng.random() < 0.8 else rng.integers(1, 5) for s in spans]
        )
        top = np.argsort(-mention)[:12]
        pairs = np.array([(i, j) for i in top for j in top if i != j]).reshape(-1, 2)
        relations = rng.uniform(0.0, 0.6, (len(pairs), len(CONLL04.relation_types)))
        index = {s: n for n, s in enumerate(spans)}
        for relation in document.relations:
            head, tail = document.entities[relation.head], document.entities[relation.tail]
            i, j = index[(head.start, head.end)], index[(tail.start, tail.end)]
            for k in np.flatnonzero((pairs[:, 0] == i) & (pairs[:, 1] == j)):
                relations[k, CONLL04.relation_label(relation.type)] = rng.uniform(0.3, 1.0)
        outputs.append(DocumentOutput(np.array(spans), mention, types, pairs, relations))
    return outputs


def test_the_cache_scores_like_the_strict_metric(
    small_splits: dict[str, Any], tiny_run: dict[str, Any]
) -> None:
    """F1 from the calibration candidates equals strict F1 of the decoded predictions."""
    tokenizer = load_tokenizer(
        "tiny", frozenset(w for d in small_splits["train"] for w in d.tokens)
    )
    documents = encode_documents(small_splits["dev"], tokenizer, 256)
    rng = np.random.default_rng(0)
    outputs = fake_outputs(documents, rng)
    gold = [gold_tuples(d.document) for d in documents]
    seen: list[float] = []
    for per_type in (False, True):
        candidates = relation_candidates(outputs, documents, CONLL04, per_type, 0.05)
        entities = entity_candidates(outputs, documents, CONLL04)
        for _ in range(10):
            t_mention = float(rng.uniform(0.05, 0.95))
            t_rel = rng.uniform(0.05, 0.95, 5 if per_type else 1).tolist()
            predicted = [decode(o, CONLL04, [t_mention, *t_rel]) for o in outputs]
            strict = evaluate(gold, predicted)
            seen.append(strict.relations.micro.f1)
            assert f1_at(candidates, [t_mention, *t_rel]) == pytest.approx(
                strict.relations.micro.f1
            )
            assert f1_at(entities, [t_mention]) == pytest.approx(strict.entities.micro.f1)
    assert max(seen) > 0.2, "the fake model should get some relations right"


def test_calibration_in_the_objective_uses_the_cache(tiny_run: dict[str, Any]) -> None:
    """A short real run: the cache holds every span above t_min and pairs of the top ones."""
    run = RunSettings.from_extra(dict(tiny_run, max_pair_spans=5))
    splits = prepared(run)
    trial = TrialConfig.from_dict(CONFIG)
    torch.manual_seed(0)
    outputs = _infer(
        _model(splits, run, trial), splits.dev, trial, run, splits, 0.05, torch.device("cpu")
    )
    for output, document in zip(outputs, splits.dev, strict=True):
        assert len(output.spans) == len(output.mention) == len(output.types)
        assert np.all(output.mention >= 0.05)
        assert np.all((output.types >= 1) & (output.types <= len(CONLL04.entity_types)))
        assert np.all(output.spans[:, 1] <= document.n_words)
        n_top = min(5, len(output.spans))
        assert len(output.pairs) == n_top * (n_top - 1)
        assert output.relations.shape == (len(output.pairs), len(CONLL04.relation_types))
