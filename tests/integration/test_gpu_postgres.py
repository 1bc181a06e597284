"""GPU samples on PostgreSQL: stored, replaced at the next beat, and absent in an older database."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from engine.gpu import GpuSample, GpuUnavailable, to_dict
from engine.read.workers import worker_rows
from engine.store import Store
from tests.integration.test_store_postgres import fresh_db, needs_server

__all__ = ["fresh_db"]  # the fixture, imported to be used here


def _session(store: Store) -> int:
    return store.create_session("t", {"session": {}}, "", []).id


@needs_server
def test_a_workers_sample_is_stored_and_replaced_on_postgres(fresh_db):
    store = Store(fresh_db, create=True)
    sid = _session(store)
    wid = store.register_worker(sid, "gpubox", 7, "GPU-0", None)
    store.record_gpu(wid, to_dict(GpuUnavailable("no NVIDIA GPU on this host")))
    store.record_gpu(wid, to_dict(GpuSample(0, "NVIDIA H200", 87, 61440, 143771)))
    (row,) = worker_rows(Store(fresh_db, readonly=True), sid)
    assert row.reading == GpuSample(0, "NVIDIA H200", 87, 61440, 143771)
    store.close()


@needs_server
def test_an_older_postgres_database_opens_and_a_writer_adds_the_table(fresh_db):
    store = Store(fresh_db, create=True)
    sid = _session(store)
    store.register_worker(sid, "old-box", 7, None, None)
    store.close()
    engine = create_engine(fresh_db)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE sprintopt_worker_gpus"))
    reader = Store(fresh_db, readonly=True)
    (row,) = worker_rows(reader, sid)
    assert row.reading is None
    reader.close()
    writer = Store(fresh_db)
    wid = writer.register_worker(sid, "new-box", 8, "0", None)
    writer.record_gpu(wid, to_dict(GpuSample(0, "A100", 1, 2, 3)))
    assert writer.gpu_samples(sid)[wid][0]["name"] == "A100"
    writer.close()
    engine.dispose()
