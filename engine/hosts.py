"""Hosts and processes: the name a process gives its host in the store, and who is alive.

The name is the hostname, or ``$SPRINTOPT_HOST``.

Workers on two machines that report the same hostname (containers started from one image, a
cloned VM) would judge each other's processes by a pid on the wrong machine; naming each box
with ``SPRINTOPT_HOST`` keeps them apart. A process on another host is judged by its heartbeat.
"""

from __future__ import annotations

import os
import socket

from engine.records import WorkerRecord
from engine.settings import HOST_ENV


def this_host() -> str:
    return os.environ.get(HOST_ENV, "").strip() or socket.gethostname()


def is_alive(worker: WorkerRecord) -> bool:
    """A worker counts as alive if it has not stopped and (on this host) its process exists."""
    if worker.stopped_at is not None:
        return False
    if worker.host != this_host():
        return True  # the caller judges remote workers by last_seen
    return pid_alive(worker.pid)


def pid_alive(pid: int) -> bool:
    """The process exists on this host and has not exited (a zombie has)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True
