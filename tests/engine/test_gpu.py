"""GPU samples (engine.gpu) with a stand-in for pynvml: it works, it fails, it is not there."""

from __future__ import annotations

import pytest

from engine.gpu import (
    HIDDEN,
    NO_LIBRARY,
    GpuSample,
    GpuUnavailable,
    assigned_device,
    from_dict,
    sample,
    to_dict,
)
from tests.fake_pynvml import FakeGpu, FakeNvml, installed


def _box(n: int = 4) -> FakeNvml:
    return FakeNvml([FakeGpu(uuid=f"GPU-{i}", used_mib=1000 * i, util=10 * i) for i in range(n)])


def test_a_sample_reads_the_physical_gpu_its_index_names(monkeypatch):
    with installed(monkeypatch, _box()):
        assert sample("3") == GpuSample(3, "NVIDIA H200", 30, 3000, 143771)
        assert sample("GPU-2") == GpuSample(2, "NVIDIA H200", 20, 2000, 143771)  # by UUID


def test_nvml_starts_once_per_process(monkeypatch):
    nvml = _box()
    with installed(monkeypatch, nvml):
        for _ in range(3):
            sample("0")
    assert nvml.inits == 1


def test_a_gpu_that_gives_no_utilisation_still_gives_its_memory(monkeypatch):
    nvml = FakeNvml([FakeGpu(util=None, used_mib=5, total_mib=10)])  # as a MIG slice answers
    with installed(monkeypatch, nvml):
        assert sample("0") == GpuSample(0, "NVIDIA H200", None, 5, 10)


def test_without_the_library_the_sample_says_how_to_get_it(monkeypatch):
    with installed(monkeypatch, None):
        assert sample("0") == GpuUnavailable(NO_LIBRARY)
    assert "pip install 'sprintopt[gpu]'" in NO_LIBRARY


def test_without_a_driver_the_sample_says_so_and_nvml_is_not_tried_again(monkeypatch):
    nvml = FakeNvml(init_error="Driver Not Loaded")
    with installed(monkeypatch, nvml):
        first, second = sample("0"), sample("0")
    assert first == second
    assert isinstance(first, GpuUnavailable) and "Driver Not Loaded" in first.reason
    assert nvml.inits == 1


def test_an_error_from_the_gpu_is_a_reason_not_an_exception(monkeypatch):
    with installed(monkeypatch, _box(2)):
        missing = sample("7")
        assert isinstance(missing, GpuUnavailable)
        assert missing.reason == "GPU 7 did not answer: Invalid Argument"
        assert isinstance(sample("GPU-nope"), GpuUnavailable)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, GpuUnavailable("no NVIDIA GPU on this host")),
        (1, GpuSample(0, "NVIDIA H200", 0, 0, 143771)),
        (2, GpuUnavailable("2 GPUs on this host and none named for this worker (--gpu)")),
    ],
)
def test_a_worker_named_no_gpu_samples_the_hosts_only_one(monkeypatch, count, expected):
    with installed(monkeypatch, _box(count)):
        assert sample(None) == expected


@pytest.mark.parametrize(
    ("gpu", "visible", "device"),
    [
        ("3", None, "3"),  # --gpu 3: physical GPU 3
        ("3", "3", "3"),  # as `run --gpus 3` starts it
        ("0", "3", "3"),  # its own cuda:0, which CUDA_VISIBLE_DEVICES maps to physical 3
        ("1", "2,0", "0"),
        ("2", "2,0", "2"),  # an index among the visible ones names itself
        ("GPU-ab", "GPU-ab", "GPU-ab"),
        (None, None, None),  # nothing named: the host's only GPU, if one
        (None, "5,6", "5"),  # the objective's cuda:0
        (None, "GPU-ab", "GPU-ab"),
        (None, "", HIDDEN),  # CUDA sees no GPU: nor does the sample
        (None, "-1", HIDDEN),
    ],
)
def test_which_gpu_a_worker_samples(gpu, visible, device):
    env = {} if visible is None else {"CUDA_VISIBLE_DEVICES": visible}
    assert assigned_device(gpu, env) == device


def test_a_worker_whose_gpus_are_hidden_says_so_without_asking_nvml(monkeypatch):
    nvml = _box()
    with installed(monkeypatch, nvml):
        assert sample(assigned_device(None, {"CUDA_VISIBLE_DEVICES": ""})) == HIDDEN
    assert nvml.inits == 0


def test_readings_go_through_the_store_as_they_are():
    for reading in (GpuSample(1, "A100", None, 3, 4), GpuUnavailable("why")):
        assert from_dict(to_dict(reading)) == reading
    assert from_dict({"name": "A100"}) == GpuUnavailable("the stored GPU sample could not be read")
