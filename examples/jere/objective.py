"""The JERE objective for sprintopt: train one configuration, report each epoch, calibrate.

``objective(config, fidelity, reporter) -> float`` (see ``engine.objective``). ``config`` holds
the hyperparameters (:class:`~examples.jere.config.TrialConfig`); ``fidelity`` gives the epochs,
the train/valid fractions and the run settings in ``extra``
(:class:`~examples.jere.config.RunSettings`). After every epoch one relation score on the
validation subset is reported with step = epoch: by default the strict relation micro-F1
(with NER) at the best thresholds, which still ranks configurations after one epoch, when F1 at
the default thresholds is mostly 0 (``epoch_metric``, see :mod:`examples.jere.epoch_score`). The
same quantity at every step lets the pruner compare like with like. After the last epoch the
thresholds are calibrated on one half of validation and the F1 on the other half is returned
(with ``calibrate = false``, the last report).
"""

from __future__ import annotations

import time
from typing import Any

import torch

from engine.objective import Fidelity, Reporter
from examples.jere.calibration import DEFAULT_BOUNDS, Calibration, calibrate, f1_at
from examples.jere.config import ConfigError, RunSettings, TrialConfig
from examples.jere.data import subset
from examples.jere.datasets import Splits, prepared
from examples.jere.encoder import load_encoder
from examples.jere.epoch_score import epoch_scores
from examples.jere.metrics import evaluate, gold_tuples
from examples.jere.model import JointModel
from examples.jere.predict import (
    DocumentOutput,
    decode,
    entity_candidates,
    infer,
    relation_candidates,
    threshold_names,
)
from examples.jere.train import Trainer, steps_per_epoch


def objective(config: dict[str, Any], fidelity: Fidelity, reporter: Reporter) -> float:
    """Train, report per epoch (may raise ``TrialPruned``), calibrate, return the held-out F1."""
    started = time.perf_counter()
    trial = TrialConfig.from_dict(config)
    run = RunSettings.from_extra(fidelity.extra)
    if fidelity.resource != "epochs":
        raise ConfigError(f"the JERE objective's resource is 'epochs', not {fidelity.resource!r}")
    if run.num_threads:
        torch.set_num_threads(run.num_threads)
    device = _device(run.device)
    splits = prepared(run)
    # Different seeds for the two subsets, both fixed: every trial of a sprint sees the same
    # documents, so their scores are comparable.
    train = subset(splits.train, fidelity.train_fraction, seed=run.data_seed)
    dev = subset(splits.dev, fidelity.valid_fraction, seed=run.data_seed + 1)
    epochs, horizon = run.epochs(fidelity.steps, trial)
    scheduler = run.scheduler or trial.scheduler

    torch.manual_seed(trial.seed)
    model = _model(splits, run, trial).to(device)
    trainer = Trainer(
        model,
        trial,
        splits.schema,
        scheduler=scheduler,
        steps_per_epoch=steps_per_epoch(len(train), trial.batch_size),
        horizon_epochs=horizon,
        pad_id=_pad_id(splits),
        device=device,
    )
    names = threshold_names(splits.schema, run.per_type_thresholds)
    defaults = _defaults(names, run)
    t_min = min(DEFAULT_BOUNDS[0], *defaults.values())
    reporter.set_attr(
        "schedule",
        {
            "scheduler": scheduler,
            "epochs": epochs,
            "schedule_epochs": horizon,
            "train_documents": len(train),
            "valid_documents": len(dev),
        },
    )

    history: list[dict[str, Any]] = []
    outputs: list[DocumentOutput] = []
    for result in trainer.epochs(train, epochs):
        evaluated = time.perf_counter()
        outputs = _infer(model, dev, trial, run, splits, t_min, device)
        candidates = relation_candidates(
            outputs, dev, splits.schema, run.per_type_thresholds, t_min
        )
        swept = time.perf_counter()
        scores = epoch_scores(candidates, list(defaults.values()))
        score = scores.value(run.epoch_metric)
        history.append(
            {
                "epoch": result.epoch,
                "losses": result.losses,
                "weights": result.weights,
                **scores.to_dict(),
                "value": score,
                "learning_rates": trainer.learning_rates(),
                "seconds": round(result.seconds, 3),
                # What each epoch's evaluation costs: the inference pass, then the scores.
                "seconds_inference": round(swept - evaluated, 3),
                "seconds_scores": round(time.perf_counter() - swept, 4),
            }
        )
        # Attributes first: a pruned trial keeps its losses.
        reporter.set_attr("epochs", history)
        reporter.report(score, step=result.epoch)

    if not run.calibrate:
        reporter.set_attr("f1_uncalibrated", history[-1]["f1_default"])
        _finish(reporter, started, history)
        return float(history[-1]["value"])
    calibration = calibrate(
        relation_candidates(outputs, dev, splits.schema, run.per_type_thresholds, t_min),
        defaults,
        n_calls=run.calibration_calls,
        seed=trial.seed,
    )
    tuned = list(calibration.thresholds.values())
    reporter.set_attr("thresholds", calibration.thresholds)
    reporter.set_attr("calibration", calibration.to_dict())
    reporter.set_attr("f1_uncalibrated", calibration.holdout_f1_default)
    reporter.set_attr("f1_calibrated", calibration.holdout_f1)
    reporter.set_attr("entity_f1", f1_at(entity_candidates(outputs, dev, splits.schema), tuned[:1]))
    if run.evaluate_test and splits.test:
        reporter.set_attr("test", _test_scores(model, trial, run, splits, calibration, device))
    _finish(reporter, started, history)
    return calibration.holdout_f1


def _model(splits: Splits, run: RunSettings, trial: TrialConfig) -> JointModel:
    encoder, hidden = load_encoder(run.encoder, splits.tokenizer)
    return JointModel(
        encoder,
        hidden,
        len(splits.schema.entity_types),
        len(splits.schema.relation_types),
        width_dim=trial.width_emb_dim,
        dropout=trial.dropout,
    )


def _infer(
    model: JointModel,
    documents: Any,
    trial: TrialConfig,
    run: RunSettings,
    splits: Splits,
    t_min: float,
    device: torch.device,
) -> list[DocumentOutput]:
    return infer(
        model,
        documents,
        max_width=trial.max_span_size,
        batch_size=trial.eval_batch_size,
        pad_id=_pad_id(splits),
        t_min=t_min,
        max_pair_spans=run.max_pair_spans,
        device=device,
    )


def _defaults(names: list[str], run: RunSettings) -> dict[str, float]:
    return {name: run.t_mention if name == "t_mention" else run.t_rel for name in names}


def _test_scores(
    model: JointModel,
    trial: TrialConfig,
    run: RunSettings,
    splits: Splits,
    calibration: Calibration,
    device: torch.device,
) -> dict[str, Any]:
    """Strict scores on the test split at the default and at the calibrated thresholds."""
    outputs = _infer(
        model,
        splits.test,
        trial,
        run,
        splits,
        min(DEFAULT_BOUNDS[0], *calibration.defaults.values()),
        device,
    )
    gold = [gold_tuples(d.document) for d in splits.test]
    scores = {}
    for label, thresholds in (
        ("default", calibration.defaults),
        ("calibrated", calibration.thresholds),
    ):
        values = list(thresholds.values())
        predicted = [decode(o, splits.schema, values) for o in outputs]
        scores[label] = evaluate(gold, predicted).summary()
    return scores


def _finish(reporter: Reporter, started: float, history: list[dict[str, Any]]) -> None:
    losses: dict[str, list[float]] = {}
    for row in history:
        for task, value in row["losses"].items():
            losses.setdefault(task, []).append(value)
    reporter.set_attr("losses", losses)
    reporter.set_attr("seconds", round(time.perf_counter() - started, 3))


def _pad_id(splits: Splits) -> int:
    pad = getattr(splits.tokenizer, "pad_token_id", None)
    return int(pad) if pad is not None else 0


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
