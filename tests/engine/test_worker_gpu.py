"""Workers send their GPU's sample with their heartbeat; the read model lists it per worker."""

from __future__ import annotations

import sqlite3
import sys
import threading
import time
from dataclasses import replace
from datetime import datetime

from engine.gpu import NO_LIBRARY, GpuSample, GpuUnavailable
from engine.read.workers import worker_rows
from engine.session import Session
from engine.settings import Settings
from engine.spec import load_spec
from engine.store import Store
from engine.worker import Worker, WorkerOptions
from tests.fake_pynvml import FakeGpu, FakeNvml, NVMLError, installed


def _create(sd) -> Session:
    spec = load_spec(sd.spec)
    return Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session


def _options(sd, gpu: str | None = None, **kw) -> WorkerOptions:
    return WorkerOptions(sd.name, sd.url, gpu=gpu, poll=0.01, search_path=[str(sd.path)], **kw)


def _box() -> FakeNvml:
    return FakeNvml([FakeGpu(uuid="GPU-0", util=5), FakeGpu(uuid="GPU-1", util=87)])


def test_a_running_worker_stores_its_gpus_sample_at_once_and_at_each_heartbeat(
    session_dir, monkeypatch
):
    sd = session_dir(sprints=[{"name": "long", "trials": 5000}])
    session = _create(sd)
    nvml = _box()
    settings = replace(Settings.from_environ(), heartbeat=1)
    seen: list[int | None] = []

    def util() -> int | None:
        stored = session.store.gpu_samples(session.record.id)
        return next(iter(stored.values()))[0].get("utilisation") if stored else None

    def done() -> bool:
        seen.append(util())
        if seen[-1] == 87:
            nvml.gpus[1].util = 55  # the GPU gets less busy: the next beat says so
        return seen[-1] == 55 or len(seen) > 100_000

    with installed(monkeypatch, nvml):
        worker = Worker(_options(sd, "1", settings=settings))
        started = time.monotonic()
        worker.run(handle_signals=False, until=done)
        worker.session.store.close()
    assert seen[-1] == 55, seen[-5:]
    assert time.monotonic() - started < 30
    assert nvml.inits == 1


def test_the_read_model_lists_a_live_worker_with_its_gpu(session_dir, monkeypatch):
    sd = session_dir()
    session = _create(sd)
    with installed(monkeypatch, _box()):
        worker = Worker(_options(sd, "1"))
        worker._report_gpu()
    (row,) = worker_rows(session.store, session.record.id)
    assert (row.id, row.gpu, row.state) == (worker.id, "1", "alive")
    assert row.reading == GpuSample(1, "NVIDIA H200", 87, 61440, 143771)
    assert row.sampled_ago is not None and row.sampled_ago < 60
    worker._leave()  # a worker that left is no longer listed
    assert worker_rows(session.store, session.record.id) == ()
    worker.session.store.close()


def test_a_worker_without_the_library_says_so_and_works_on(session_dir, monkeypatch):
    sd = session_dir()
    session = _create(sd)
    with installed(monkeypatch, None):
        worker = Worker(_options(sd))
        worker._report_gpu()
    (row,) = worker_rows(session.store, session.record.id)
    assert row.reading == GpuUnavailable(NO_LIBRARY)
    with installed(monkeypatch, FakeNvml(init_error="Driver Not Loaded")):
        worker._report_gpu()  # the next beat replaces the sample
    (row,) = worker_rows(session.store, session.record.id)
    assert isinstance(row.reading, GpuUnavailable) and "Driver Not Loaded" in row.reading.reason
    worker.session.store.close()


def test_a_database_from_before_gpu_samples_opens_and_a_writer_adds_their_table(
    session_dir, monkeypatch
):
    sd = session_dir()
    session = _create(sd)
    session.store.register_worker(session.record.id, "old-box", 1, None, None)
    session.store.close()
    db = sd.path / "sessions" / "t.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE sprintopt_worker_gpus")
    reader = Store(sd.url, readonly=True)  # a reader does without it, and adds nothing
    sid = reader.session("t").id
    (row,) = worker_rows(reader, sid)
    assert row.host == "old-box" and row.reading is None
    reader.close()
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "sprintopt_worker_gpus" not in tables
    with installed(monkeypatch, _box()):
        worker = Worker(_options(sd, "0"))  # a writer: the table is made
        worker._report_gpu()
    assert worker.session.store.gpu_samples(sid)[worker.id][0]["index"] == 0
    worker.session.store.close()


def test_a_gpu_that_hangs_never_stops_the_heartbeat(session_dir, monkeypatch):
    sd = session_dir(sprints=[{"name": "long", "trials": 5000}])
    session = _create(sd)
    nvml = _box()
    hung = threading.Event()
    release = threading.Event()

    def wedged(_gpu: FakeGpu) -> None:
        hung.set()
        release.wait(30)  # as a driver call on a GPU fallen off the bus
        raise NVMLError("GPU is lost")

    settings = replace(Settings.from_environ(), heartbeat=1)
    with installed(monkeypatch, nvml):
        sys.modules["pynvml"].nvmlDeviceGetMemoryInfo = wedged
        worker = Worker(_options(sd, "0", settings=settings))
        beats: set[datetime] = set()  # the heartbeats seen since the GPU hung

        def beaten() -> bool:
            if hung.is_set():
                beats.update(w.last_seen for w in session.store.workers(session.record.id))
            return len(beats) >= 3

        deadline = time.monotonic() + 15  # the hung call lasts 30 s
        try:
            worker.run(handle_signals=False, until=lambda: beaten() or time.monotonic() > deadline)
            assert beaten(), "the heartbeat stopped while the GPU hung"
        finally:
            release.set()
            worker.session.store.close()
