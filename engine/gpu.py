"""The one wrapper of NVIDIA's NVML (``pynvml``, of the optional ``nvidia-ml-py``): GPU load."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any

#: What a worker without the library says, and how to get it.
NO_LIBRARY = "nvidia-ml-py is not installed (pip install 'sprintopt[gpu]')"
MIB = 1024 * 1024


@dataclass(frozen=True)
class GpuSample:
    """One look at a GPU: its load over the driver's last sampling period, and its memory."""

    index: int | None  # NVML's index (PCI bus order, as nvidia-smi numbers them)
    name: str
    utilisation: int | None  # percent; None where the driver does not say (a MIG slice)
    memory_used: int  # MiB
    memory_total: int  # MiB


@dataclass(frozen=True)
class GpuUnavailable:
    """Why there is no sample: no library, no driver, no GPU, or the GPU would not answer."""

    reason: str


GpuReading = GpuSample | GpuUnavailable


def to_dict(reading: GpuReading) -> dict[str, Any]:
    """A reading as the store keeps it (JSON)."""
    if isinstance(reading, GpuUnavailable):
        return {"unavailable": reading.reason}
    return asdict(reading)


def from_dict(data: Mapping[str, Any]) -> GpuReading:
    """A stored reading back; one this version cannot read says so instead of failing a poll."""
    if "unavailable" in data:
        return GpuUnavailable(str(data["unavailable"]))
    try:
        return GpuSample(
            index=None if data.get("index") is None else int(data["index"]),
            name=str(data["name"]),
            utilisation=None if data.get("utilisation") is None else int(data["utilisation"]),
            memory_used=int(data["memory_used"]),
            memory_total=int(data["memory_total"]),
        )
    except (KeyError, TypeError, ValueError):
        return GpuUnavailable("the stored GPU sample could not be read")


# -- which GPU is this worker's -------------------------------------------------------------
#: What NVML is asked about: a physical index or a UUID, why there is none to ask about, or
#: None (nothing named: the host's only GPU, if it has one).
Device = str | GpuUnavailable | None
HIDDEN = GpuUnavailable("CUDA_VISIBLE_DEVICES hides every GPU from this worker")


def assigned_device(gpu: str | None, environ: Mapping[str, str] | None = None) -> Device:
    """The GPU a worker samples, as NVML names it (see :data:`Device`).

    ``gpu`` is the worker's ``--gpu``, an id as ``CUDA_VISIBLE_DEVICES`` takes it (``run
    --gpus`` sets both alike). NVML ignores ``CUDA_VISIBLE_DEVICES``, so where it is set the
    worker's own view is mapped back: a ``--gpu`` index that is not among its entries but is a
    position in them names the device the process sees at that position; without ``--gpu``, the
    first entry is what the objective's ``cuda:0`` is. An empty or negative entry hides every GPU.
    """
    env = os.environ if environ is None else environ
    visible_text = env.get("CUDA_VISIBLE_DEVICES")
    visible = None if visible_text is None else [e.strip() for e in visible_text.split(",")]
    if gpu is not None:
        if visible and gpu.isdigit() and gpu not in visible and int(gpu) < len(visible):
            return visible[int(gpu)]
        return gpu
    if visible is None:
        return None
    first = visible[0]
    return HIDDEN if not first or first.startswith("-") else first


# -- NVML, started once per process ------------------------------------------------------------
_lock = threading.Lock()
_started: ModuleType | GpuUnavailable | None = None


def _nvml() -> ModuleType | GpuUnavailable:
    """``pynvml`` once ``nvmlInit`` answered, or why not; both are kept: neither changes while
    the process lives, and a failed start costs a library search each time."""
    global _started
    with _lock:
        if _started is None:
            _started = _start()
        return _started


def _start() -> ModuleType | GpuUnavailable:
    try:
        import pynvml  # optional: the `gpu` extra
    except ImportError:
        return GpuUnavailable(NO_LIBRARY)
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError: no driver, no library file, no permission
        return GpuUnavailable(f"NVML did not start: {_said(exc)} (no NVIDIA driver here?)")
    module: ModuleType = pynvml
    return module


def reset() -> None:
    """Forget how NVML started (for tests that swap the library)."""
    global _started
    with _lock:
        _started = None


def sample(device: Device) -> GpuReading:
    """The load of ``device`` (see :func:`assigned_device`); never raises.

    Without a device the host's only GPU is sampled, if it has exactly one. A few driver calls:
    cheap enough for every heartbeat, which is how often workers take one.
    """
    if isinstance(device, GpuUnavailable):
        return device
    nvml = _nvml()
    if isinstance(nvml, GpuUnavailable):
        return nvml
    try:
        return _read(nvml, device)
    except Exception as exc:  # NVMLError, or a library that behaves unexpectedly
        what = "the GPU" if device is None else f"GPU {device}"
        return GpuUnavailable(f"{what} did not answer: {_said(exc)}")


def _read(nvml: ModuleType, device: str | None) -> GpuReading:
    if device is None:
        count = int(nvml.nvmlDeviceGetCount())
        if count != 1:
            return GpuUnavailable(
                "no NVIDIA GPU on this host"
                if count == 0
                else f"{count} GPUs on this host and none named for this worker (--gpu)"
            )
        device = "0"
    if device.isdigit():
        handle = nvml.nvmlDeviceGetHandleByIndex(int(device))
        index: int | None = int(device)
    else:
        handle = nvml.nvmlDeviceGetHandleByUUID(device)
        index = _optional(lambda: int(nvml.nvmlDeviceGetIndex(handle)))
    memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    rates = _optional(lambda: nvml.nvmlDeviceGetUtilizationRates(handle))
    return GpuSample(
        index=index,
        name=_text(nvml.nvmlDeviceGetName(handle)),
        utilisation=None if rates is None else int(rates.gpu),
        memory_used=int(memory.used) // MIB,
        memory_total=int(memory.total) // MIB,
    )


def _optional(call: Any) -> Any:
    """What a call the driver may not support returns, or None (a MIG slice has no index or
    utilisation of its own)."""
    try:
        return call()
    except Exception:  # NVMLError_NotSupported and kin: the value is simply not there
        return None


def _text(value: Any) -> str:
    # nvidia-ml-py before 11.5 returned bytes.
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _said(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__
