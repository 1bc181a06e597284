"""GPU samples on PostgreSQL: stored, replaced at the next beat, and absent in an older database."""

from __future__ import annotations

from sqlalchemy import create_engine, text

from engine.gpu import GpuSample, GpuUnavailable, to_dict
from engine.read.workers import worker_rows
from engine.schema import MAX_GPU_ID
from engine.store import Store
from engine.store_checks import narrow_columns
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


# The longest id --gpu takes: MIG- and 80 characters (tui.arg_types.GPU_ID).
LONGEST = "MIG-" + "a1b2c3d4-" * 8 + "e5f6a7b8"


@needs_server
def test_a_worker_with_a_gpu_uuid_registers_on_postgres(fresh_db):
    # A GPU UUID alone is 40 characters: the column was 32, and PostgreSQL refused the worker.
    assert len(LONGEST) == 84 <= MAX_GPU_ID
    store = Store(fresh_db, create=True)
    sid = _session(store)
    for gpu in ("GPU-6d0c2a4e-6b8e-5c6f-9a1d-0b9d1c7e2f11", LONGEST):
        store.register_worker(sid, "gpubox", 7, gpu, None)
    assert sorted(w.gpu for w in store.workers(sid)) == sorted(
        ["GPU-6d0c2a4e-6b8e-5c6f-9a1d-0b9d1c7e2f11", LONGEST]
    )
    store.close()


@needs_server
def test_an_older_postgres_database_gets_the_wider_gpu_column_from_a_writer(fresh_db):
    store = Store(fresh_db, create=True)
    sid = _session(store)
    store.close()
    engine = create_engine(fresh_db)
    with engine.begin() as conn:  # as every database written before the column grew
        conn.execute(text("ALTER TABLE sprintopt_workers ALTER COLUMN gpu TYPE VARCHAR(32)"))
        assert narrow_columns(conn) == [("sprintopt_workers", "gpu", MAX_GPU_ID)]
    reader = Store(fresh_db, readonly=True)  # a reader changes nothing
    reader.close()
    with engine.connect() as conn:
        assert narrow_columns(conn)
    writer = Store(fresh_db)
    writer.register_worker(sid, "gpubox", 8, LONGEST, None)
    writer.close()
    with engine.connect() as conn:
        assert narrow_columns(conn) == []
    engine.dispose()
