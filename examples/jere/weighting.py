"""Task-loss weighting: static weights, learned uncertainty weights, dynamic weight average."""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch
from torch import nn

TASKS: tuple[str, ...] = ("mention", "entity", "relation")


class LossWeighting(nn.Module):
    """Combines the per-task losses of one batch into the loss that is minimised."""

    def combine(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def end_epoch(self, epoch_losses: Mapping[str, float]) -> None:
        """Told the mean unweighted loss of each task after every epoch."""

    def weights(self) -> dict[str, float]:
        """The effective weight of each task now, for the trial's attributes."""
        raise NotImplementedError


class StaticWeighting(LossWeighting):
    """Fixed weights from the configuration (JEREX weighs entity typing 0.25)."""

    def __init__(self, weights: Mapping[str, float]) -> None:
        super().__init__()
        self._weights = {task: float(weights[task]) for task in TASKS}

    def combine(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return torch.stack([self._weights[t] * loss for t, loss in losses.items()]).sum()

    def weights(self) -> dict[str, float]:
        return dict(self._weights)


class UncertaintyWeighting(LossWeighting):
    """Kendall et al. (2018): a learned log-variance s per task, L = Σ exp(−s)·L_t + s.

    The log-variances are parameters of this module; the optimizer trains them with the heads
    and never decays them (decay would pull every weight towards one).
    """

    def __init__(self) -> None:
        super().__init__()
        self.log_vars = nn.Parameter(torch.zeros(len(TASKS)))

    def combine(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        terms = [
            torch.exp(-self.log_vars[TASKS.index(t)]) * loss + self.log_vars[TASKS.index(t)]
            for t, loss in losses.items()
        ]
        return torch.stack(terms).sum()

    def weights(self) -> dict[str, float]:
        return {t: math.exp(-float(s)) for t, s in zip(TASKS, self.log_vars.tolist(), strict=True)}


class DynamicWeightAverage(LossWeighting):
    """Liu et al. (2019): weights ∝ exp(r_t / T), r_t = a task's loss ratio over two epochs.

    A task whose loss falls slowly gets more weight. The weights sum to the number of tasks;
    they are all one until two epochs have been seen.
    """

    def __init__(self, temperature: float = 2.0) -> None:
        super().__init__()
        self.temperature = temperature
        self.history: list[dict[str, float]] = []
        self._weights = dict.fromkeys(TASKS, 1.0)

    def combine(self, losses: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return torch.stack([self._weights[t] * loss for t, loss in losses.items()]).sum()

    def end_epoch(self, epoch_losses: Mapping[str, float]) -> None:
        self.history.append(dict(epoch_losses))
        if len(self.history) < 2:
            return
        before, last = self.history[-2], self.history[-1]
        ratios = {t: last.get(t, 0.0) / before[t] if before.get(t) else 1.0 for t in TASKS}
        scale = {t: math.exp(r / self.temperature) for t, r in ratios.items()}
        total = sum(scale.values())
        self._weights = {t: len(TASKS) * v / total for t, v in scale.items()}

    def weights(self) -> dict[str, float]:
        return dict(self._weights)


def make_weighting(kind: str, static: Mapping[str, float], temperature: float) -> LossWeighting:
    """The weighting scheme named ``static``, ``uncertainty`` or ``dwa``."""
    if kind == "static":
        return StaticWeighting(static)
    if kind == "uncertainty":
        return UncertaintyWeighting()
    if kind == "dwa":
        return DynamicWeightAverage(temperature)
    raise ValueError(f"loss_weighting must be static, uncertainty or dwa, not {kind!r}")
