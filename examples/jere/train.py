"""The training loop: fresh negatives each epoch, weighted task losses, clipping, scheduling."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from examples.jere.batching import Batch, collate_samples
from examples.jere.config import TrialConfig
from examples.jere.encoding import Encoded
from examples.jere.model import JointModel
from examples.jere.optim import make_optimizer, make_scheduler
from examples.jere.sampling import training_sample
from examples.jere.schema import Schema
from examples.jere.weighting import LossWeighting, make_weighting


def task_losses(model: JointModel, batch: Batch) -> dict[str, torch.Tensor]:
    """Unweighted mean losses: mention (BCE), entity type (CE), relation (BCE per type).

    A batch without relation samples has no relation loss (SpERT then trains on entities).
    """
    hidden = model.encode(batch.input_ids, batch.attention_mask)
    pooled, width, mention_logits, type_logits = model.spans(
        hidden, batch.span_bounds, batch.span_widths
    )
    mask, labels = batch.span_mask, batch.entity_labels
    losses = {
        "mention": nn.functional.binary_cross_entropy_with_logits(
            mention_logits[mask], (labels[mask] > 0).to(mention_logits.dtype)
        ),
        "entity": nn.functional.cross_entropy(type_logits[mask], labels[mask]),
    }
    if batch.pair_mask.any():
        logits = model.relations(hidden, pooled, width, batch.span_bounds, batch.pairs)
        losses["relation"] = nn.functional.binary_cross_entropy_with_logits(
            logits[batch.pair_mask], batch.relation_labels[batch.pair_mask]
        )
    return losses


@dataclass(frozen=True)
class EpochLosses:
    """Mean unweighted loss per task over one epoch, the weights in force, and the time."""

    epoch: int
    losses: dict[str, float]
    weights: dict[str, float]
    seconds: float


class Trainer:
    """Owns the optimizer, the schedule and the loss weighting of one trial."""

    def __init__(
        self,
        model: JointModel,
        config: TrialConfig,
        schema: Schema,
        *,
        scheduler: str,
        steps_per_epoch: int,
        horizon_epochs: int,
        pad_id: int,
        device: torch.device,
    ) -> None:
        self.model = model
        self.config = config
        self.schema = schema
        self.pad_id = pad_id
        self.device = device
        self.weighting: LossWeighting = make_weighting(
            config.loss_weighting, config.static_weights, config.dwa_temperature
        ).to(device)
        self.optimizer = make_optimizer(model, config, self.weighting)
        # The schedule is defined over the whole horizon even when training stops earlier
        # (the paper's warm-up phase), so its shape does not depend on the stop.
        self.scheduler: Any = make_scheduler(
            self.optimizer, config, scheduler, steps_per_epoch * horizon_epochs
        )
        self.rng = np.random.default_rng(config.seed)
        self.parameters = [p for g in self.optimizer.param_groups for p in g["params"]]

    def epochs(self, documents: Sequence[Encoded], count: int) -> Iterator[EpochLosses]:
        """Train ``count`` epochs, yielding after each (the caller evaluates and reports)."""
        for epoch in range(1, count + 1):
            yield self.run_epoch(documents, epoch)

    def run_epoch(self, documents: Sequence[Encoded], epoch: int) -> EpochLosses:
        started = time.perf_counter()
        self.model.train()
        config = self.config
        samples = [
            training_sample(
                d,
                self.schema,
                config.max_span_size,
                config.neg_entity_count,
                config.neg_relation_count,
                self.rng,
            )
            for d in documents
        ]
        order = self.rng.permutation(len(samples))
        totals: dict[str, list[float]] = {}
        for first in range(0, len(order), config.batch_size):
            chosen = [samples[i] for i in order[first : first + config.batch_size]]
            batch = collate_samples(chosen, self.pad_id, len(self.schema.relation_types)).to(
                self.device
            )
            losses = task_losses(self.model, batch)
            loss = self.weighting.combine(losses)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(self.parameters, config.max_grad_norm)
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
            for task, value in losses.items():
                totals.setdefault(task, []).append(float(value.detach()))
        means = {task: float(np.mean(values)) for task, values in totals.items()}
        weights = self.weighting.weights()  # the weights this epoch trained with
        self.weighting.end_epoch(means)
        return EpochLosses(epoch, means, weights, time.perf_counter() - started)

    def learning_rates(self) -> dict[str, float]:
        return {g["name"]: float(g["lr"]) for g in self.optimizer.param_groups}


def steps_per_epoch(n_documents: int, batch_size: int) -> int:
    return max(1, -(-n_documents // batch_size))
