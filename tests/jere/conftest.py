"""Shared fixtures for the JERE example: a small synthetic dataset and a fake reporter."""

from __future__ import annotations

from typing import Any

import pytest

from engine.objective import TrialPruned
from examples.jere.synth import SynthConfig, generate


class FakeReporter:
    """Records reports and attributes; prunes at ``prune_at`` (a step), like a pruner would."""

    def __init__(self, prune_at: int | None = None) -> None:
        self.prune_at = prune_at
        self.reports: list[tuple[int, float]] = []
        self.attrs: dict[str, Any] = {}

    def report(self, value: float, step: int) -> None:
        self.reports.append((step, value))
        if self.prune_at is not None and step >= self.prune_at:
            raise TrialPruned(f"pruned at step {step}")

    def set_attr(self, key: str, value: Any) -> None:
        self.attrs[key] = value


@pytest.fixture
def reporter_class() -> type[FakeReporter]:
    return FakeReporter


@pytest.fixture(scope="session")
def small_splits() -> dict[str, list[Any]]:
    return generate(SynthConfig(n_train=60, n_dev=20, n_test=20, seed=1))


#: Fidelity extras for a trial that runs in a second or two on a CPU.
TINY_RUN: dict[str, Any] = {
    "encoder": "tiny",
    "n_train": 24,
    "n_dev": 12,
    "n_test": 12,
    "calibration_calls": 12,
    "num_threads": 1,
    "device": "cpu",
}


@pytest.fixture
def tiny_run() -> dict[str, Any]:
    return dict(TINY_RUN)
