"""The store's SQL for GPU samples: each worker's latest, written with its heartbeat."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.engine import Connection

from engine.records import now
from engine.schema import worker_gpus_t, workers_t


def record(conn: Connection, worker_id: int, sample: dict[str, Any]) -> None:
    """Keep ``sample`` as the worker's latest. Only the worker itself writes its row, so an
    update that finds none can insert without a race."""
    g = worker_gpus_t.c
    at = now()
    res = conn.execute(
        update(worker_gpus_t).where(g.worker_id == worker_id).values(sample=sample, sampled_at=at)
    )
    if res.rowcount == 0:
        values = {"worker_id": worker_id, "sample": sample, "sampled_at": at}
        conn.execute(insert(worker_gpus_t).values(**values))


def latest(conn: Connection, session_id: int) -> dict[int, tuple[dict[str, Any], datetime]]:
    """Each of the session's workers' latest sample and when it was taken, by worker id.

    A database from before samples has no table (a reader does not add it): none then."""
    if not inspect(conn).has_table(worker_gpus_t.name):
        return {}
    g, w = worker_gpus_t.c, workers_t.c
    rows = conn.execute(
        select(g.worker_id, g.sample, g.sampled_at)
        .select_from(worker_gpus_t.join(workers_t, w.id == g.worker_id))
        .where(w.session_id == session_id)
    )
    return {int(r.worker_id): (_json(r.sample), r.sampled_at) for r in rows}


def _json(value: Any) -> dict[str, Any]:
    data = json.loads(value) if isinstance(value, str) else value
    return data if isinstance(data, dict) else {}
