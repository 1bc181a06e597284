"""A stand-in for ``pynvml`` (nvidia-ml-py): the calls engine.gpu makes, on made-up GPUs."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest

from engine import gpu

MIB = 1024 * 1024


class NVMLError(Exception):
    """pynvml's error type (its subclasses carry the driver's message as their text)."""


@dataclass
class FakeGpu:
    name: str = "NVIDIA H200"
    uuid: str = "GPU-00000000-0000-0000-0000-000000000000"
    util: int | None = 87  # None: the driver says Not Supported (a MIG slice)
    used_mib: int = 61440
    total_mib: int = 143771


@dataclass
class FakeNvml:
    """The library's state: its GPUs by physical index, and what it was asked."""

    gpus: list[FakeGpu] = field(default_factory=list)
    init_error: str | None = None  # nvmlInit raises NVMLError with this text
    inits: int = 0

    def module(self) -> types.ModuleType:
        m = types.ModuleType("pynvml")
        m.NVMLError = NVMLError  # type: ignore[attr-defined]

        def init() -> None:
            self.inits += 1
            if self.init_error is not None:
                raise NVMLError(self.init_error)

        def by_index(i: int) -> FakeGpu:
            if not 0 <= i < len(self.gpus):
                raise NVMLError("Invalid Argument")
            return self.gpus[i]

        def by_uuid(u: str) -> FakeGpu:
            for g in self.gpus:
                if g.uuid == u:
                    return g
            raise NVMLError("Not Found")

        def utilisation(g: FakeGpu) -> types.SimpleNamespace:
            if g.util is None:
                raise NVMLError("Not Supported")
            return types.SimpleNamespace(gpu=g.util, memory=0)

        m.nvmlInit = init  # type: ignore[attr-defined]
        m.nvmlDeviceGetCount = lambda: len(self.gpus)  # type: ignore[attr-defined]
        m.nvmlDeviceGetHandleByIndex = by_index  # type: ignore[attr-defined]
        m.nvmlDeviceGetHandleByUUID = by_uuid  # type: ignore[attr-defined]
        m.nvmlDeviceGetIndex = self.gpus.index  # type: ignore[attr-defined]
        m.nvmlDeviceGetName = lambda g: g.name  # type: ignore[attr-defined]
        m.nvmlDeviceGetMemoryInfo = lambda g: types.SimpleNamespace(  # type: ignore[attr-defined]
            used=g.used_mib * MIB, total=g.total_mib * MIB, free=(g.total_mib - g.used_mib) * MIB
        )
        m.nvmlDeviceGetUtilizationRates = utilisation  # type: ignore[attr-defined]
        return m


@contextmanager
def installed(monkeypatch: pytest.MonkeyPatch, nvml: FakeNvml | None) -> Iterator[None]:
    """Within it ``import pynvml`` finds ``nvml`` (None: the library is not installed), and
    engine.gpu starts NVML afresh."""
    monkeypatch.setitem(sys.modules, "pynvml", None if nvml is None else nvml.module())
    gpu.reset()
    try:
        yield
    finally:
        gpu.reset()
