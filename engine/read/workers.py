"""The session's workers as the app lists them: where each runs, whether it beats, its GPU."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from engine.gpu import GpuReading, from_dict
from engine.records import now
from engine.store import Store

#: ``alive``: seen within the grace period (the reaper's rule); ``silent``: not seen since,
#: and never marked stopped (killed, or its heartbeats cannot reach the storage).
WorkerState = Literal["alive", "silent"]


@dataclass(frozen=True)
class WorkerRow:
    id: int
    host: str
    pid: int
    gpu: str | None  # the worker's --gpu, as it was started
    state: WorkerState
    seen_ago: float  # seconds since its last heartbeat
    #: Its latest GPU sample, or why it has none; None: it stored none (an older worker).
    reading: GpuReading | None
    sampled_ago: float | None  # seconds since that sample


def worker_rows(store: Store, session_id: int) -> tuple[WorkerRow, ...]:
    """The workers that have not left the session, alive first, each with its latest sample."""
    at = now()
    grace = store.settings.grace_period
    samples = store.gpu_samples(session_id)
    rows = []
    for w in store.workers(session_id):
        if w.stopped_at is not None:
            continue
        seen = _ago(at, w.last_seen)
        stored = samples.get(w.id)
        rows.append(
            WorkerRow(
                id=w.id,
                host=w.host,
                pid=w.pid,
                gpu=w.gpu,
                state="alive" if seen < grace else "silent",
                seen_ago=seen,
                reading=None if stored is None else from_dict(stored[0]),
                sampled_ago=None if stored is None else _ago(at, stored[1]),
            )
        )
    return tuple(sorted(rows, key=lambda r: (r.state != "alive", r.id)))


def _ago(at: datetime, then: datetime) -> float:
    return max(0.0, (at - then).total_seconds())
