"""The store's SQL for workers: each registers once, then touches its row as its heartbeat."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from engine.records import WorkerRecord, now
from engine.schema import workers_t


def register(
    conn: Connection, session_id: int, host: str, pid: int, gpu: str | None, log_path: str | None
) -> int:
    """Insert the worker's row; its id."""
    res = conn.execute(
        insert(workers_t).values(
            session_id=session_id,
            host=host,
            pid=pid,
            gpu=gpu,
            log_path=log_path,
            started_at=now(),
            last_seen=now(),
        )
    )
    key = res.inserted_primary_key
    assert key is not None, "an INSERT of one row without RETURNING gives its key"
    return int(key[0])


def touch(conn: Connection, worker_id: int, stopped: bool = False) -> None:
    """Mark the worker seen now (and stopped, if it is)."""
    values: dict[str, Any] = {"last_seen": now()}
    if stopped:
        values["stopped_at"] = now()
    conn.execute(update(workers_t).where(workers_t.c.id == worker_id).values(**values))


def session_workers(conn: Connection, session_id: int) -> list[WorkerRecord]:
    """The session's workers, in the order they registered."""
    rows = conn.execute(
        select(workers_t).where(workers_t.c.session_id == session_id).order_by(workers_t.c.id)
    )
    return [WorkerRecord(**r._mapping) for r in rows]
