"""Storage outages that workers are riding out, told to `status` and the app by small files.

While the storage is away a worker cannot write to it, so it leaves a note in the session's
log folder (``storage-<host>-<pid>.json``, beside its log), rewritten at each failed try and
removed once the storage answers again. Readers on the same file system (``status``, the app)
list the notes of workers still alive: a note whose process is gone on this host, or that no
try has refreshed for a while, is old news and is not shown.

The notes are best effort: a full disk may keep a worker from writing one; the worker's log
says the same, and the worker goes on either way.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from engine.dbfile import make_private_dir
from engine.faults import Outage
from engine.hosts import pid_alive, this_host

#: A note no try has refreshed for this long is stale (the backoff caps at 10 s between tries).
STALE_AFTER = 120.0
PREFIX = "storage-"


@dataclass(frozen=True)
class StorageTrouble:
    """One worker's outage, as its note tells it."""

    host: str
    pid: int
    since: datetime  # when its storage calls began to fail (UTC)
    reason: str  # the driver's first line
    fix: str | None  # what a person must do, when waiting will not cure it
    tries: int


class OutageNote:
    """The note one worker keeps in ``folder``: a listener for its :class:`Outage`."""

    def __init__(self, folder: Path, host: str | None = None, pid: int | None = None) -> None:
        self.folder = folder
        self.host = host or this_host()
        self.pid = pid or os.getpid()
        self.path = folder / f"{PREFIX}{_safe(self.host)}-{self.pid}.json"

    def __call__(self, outage: Outage) -> None:
        try:
            if outage.since is None:
                self.path.unlink(missing_ok=True)
            else:
                self._write(outage)
        except OSError:
            pass  # best effort: the log says the same

    def _write(self, outage: Outage) -> None:
        assert outage.since is not None
        body = {
            "host": self.host,
            "pid": self.pid,
            "since": outage.since,
            "reason": outage.reason,
            "fix": outage.fix,
            "tries": outage.failures,
        }
        make_private_dir(self.folder)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(body, fh)
        os.replace(tmp, self.path)


def troubles(folder: Path, now: float | None = None) -> tuple[StorageTrouble, ...]:
    """The outages that live workers are riding out, oldest first (empty when none)."""
    now = time.time() if now is None else now
    here = this_host()
    found = []
    with contextlib.suppress(OSError):
        for path in folder.glob(f"{PREFIX}*.json"):
            try:
                fresh = now - path.stat().st_mtime < STALE_AFTER
                body = json.loads(path.read_text())
                trouble = StorageTrouble(
                    host=str(body["host"]),
                    pid=int(body["pid"]),
                    since=datetime.fromtimestamp(float(body["since"]), timezone.utc),
                    reason=str(body["reason"]),
                    fix=None if body.get("fix") is None else str(body["fix"]),
                    tries=int(body["tries"]),
                )
            except (OSError, ValueError, KeyError, TypeError):
                continue  # half-written by a worker, or not ours: skip it
            alive = pid_alive(trouble.pid) if trouble.host == here else fresh
            if alive:
                found.append(trouble)
    return tuple(sorted(found, key=lambda t: t.since))


def storage_summary(
    found: tuple[StorageTrouble, ...], silent: int = 0, quiet: float = 20.0
) -> str | None:
    """One line for ``status`` and the app's header, or None when the storage is fine.

    ``silent``: workers alive on this host whose heartbeats stopped reaching the storage for
    ``quiet`` seconds; said when no worker could leave a note (a full disk takes the notes'
    folder with it).
    """
    if not found:
        if not silent:
            return None
        return (
            f"{silent} worker{'s' if silent > 1 else ''} alive here "
            f"{'have' if silent > 1 else 'has'} not reached the storage for over {quiet:.0f}s: "
            "see their logs"
        )
    first = found[0]
    since = first.since.astimezone().strftime("%H:%M:%S")
    workers = f"{len(found)} worker{'s' if len(found) > 1 else ''}"
    fix = next((t.fix for t in found if t.fix), None)
    what = "storage unusable" if fix else "storage unreachable"
    tail = f"; a person must act: {fix}" if fix else "; they wait for it and carry on"
    return f"{what} since {since} ({workers}, {first.reason}){tail}"


def _safe(host: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in host)[:64] or "host"
