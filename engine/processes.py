"""Starting and stopping detached worker processes that outlive the terminal (and the SSH link)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from engine.dbfile import make_private_dir
from engine.hosts import is_alive, this_host
from engine.records import WorkerRecord
from engine.settings import Settings


@dataclass(frozen=True)
class Started:
    pid: int
    log_path: Path
    gpu: str | None


def start_workers(
    name: str,
    url: str,
    count: int,
    gpus: list[str] | None = None,
    auto_approve: bool = False,
    search_path: list[str] | None = None,
    settings: Settings | None = None,
) -> list[Started]:
    """Start ``count`` workers (or one per GPU) in their own process sessions, logs to files.

    ``search_path``: where they may import the objective from, besides their working directory
    (the command line's choice, passed as ``--path``; never read from the database).
    """
    settings = settings or Settings.from_environ()
    logs = settings.log_dir(name, url)
    make_private_dir(logs)  # 0700 whatever the umask; an existing folder keeps its mode
    slots: list[str | None] = list(gpus) if gpus else [None] * count
    started = []
    for i, gpu in enumerate(slots):
        env = dict(os.environ)
        env.update(replace(settings, storage=url).environ())  # the URL and the heartbeat
        env["PYTHONUNBUFFERED"] = "1"
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        path = _free_log_path(logs, gpu if gpu is not None else str(i))
        cmd = [sys.executable, "-m", "engine.worker", name, "--log-path", str(path)]
        for entry in search_path or []:
            cmd += ["--path", entry]
        if auto_approve:
            cmd.append("--auto-approve")
        if gpu is not None:
            cmd += ["--gpu", gpu]
        fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                cwd=os.getcwd(),
            )
        started.append(Started(proc.pid, path, gpu))
    return started


def _free_log_path(logs: Path, label: str) -> Path:
    n = 1
    while (path := logs / f"worker-{label}-{n}.log").exists():
        n += 1
    return path


def signal_workers(workers: list[WorkerRecord], sig: int = signal.SIGTERM) -> int:
    """Send ``sig`` to the live workers on this host; returns how many were signalled."""
    sent = 0
    for w in workers:
        if w.host == this_host() and is_alive(w):
            try:
                os.kill(w.pid, sig)
                sent += 1
            except ProcessLookupError:
                pass
    return sent
