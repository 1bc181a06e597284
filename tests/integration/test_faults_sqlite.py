"""Workers ride through the disk under a SQLite session filling up, and say a person must act.

The session lives on a small tmpfs that the test fills for seconds, then frees. Needs root (to
mount it); .ci/run runs as root. Budgets stay exact and no finished trial is lost or changed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import uuid

import pytest

from engine.budget import counting
from engine.readmodel import trial_rows
from engine.session import Session
from tests.support import wait_for

BUDGET = 20


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        if os.environ.get("CI") == "true":
            raise RuntimeError(f"CI must run the full-disk test: mount failed: {done.stderr!r}")
        pytest.skip(f"needs root to mount a small tmpfs ({done.stderr.decode().strip()})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _complete(session: Session) -> dict[int, tuple]:
    return {r.number: (r.params, r.value) for r in trial_rows(session) if r.state == "complete"}


def _fill(path) -> None:
    """Write until the disk says no more."""
    chunk = b"\0" * (1 << 16)
    with open(path, "wb") as f, contextlib.suppress(OSError):
        while True:
            f.write(chunk)
            f.flush()


def test_a_full_disk_is_waited_out_and_said(session_dir, small_disk):
    name = f"full{uuid.uuid4().hex[:6]}"
    sd = session_dir(name=name, sprints=[{"name": "a", "trials": BUDGET, "epochs": 3}])
    sd.slow(0.2)
    url = f"sqlite:///{small_disk / 't.db'}"
    out = sd.cli("run", "spec.toml", "--storage", url, "--workers", "2", "--no-tui")
    assert out.returncode == 0, out.stderr

    def done(n: int) -> bool:
        s = Session.open(name, url, readonly=True)
        try:
            return len(_complete(s)) >= n
        finally:
            s.store.close()

    wait_for(lambda: done(3), timeout=120)
    s = Session.open(name, url, readonly=True)
    before = _complete(s)
    s.store.close()
    ballast = small_disk / "ballast"
    _fill(ballast)
    time.sleep(6)
    ballast.unlink()

    def finished() -> bool:
        s = Session.open(name, url, readonly=True)
        try:
            return s.refresh().state == "finished"
        finally:
            s.store.close()

    wait_for(finished, timeout=240)
    session = Session.open(name, url)
    sprint = session.current()
    counted = counting(session.trials(sprint), session.store.retried_numbers(sprint.study_name))
    assert len(counted) == BUDGET
    assert all(_complete(session)[n] == v for n, v in before.items())

    def logs() -> str:  # beside the database, on the disk that filled
        return "".join(p.read_text() for p in (small_disk / f"{name}.logs").glob("*.log"))

    def all_left() -> bool:  # every worker lived to the end and left as a worker does
        s = Session.open(name, url, readonly=True)
        try:
            return all(w.stopped_at is not None for w in s.store.workers(s.record.id))
        finally:
            s.store.close()

    wait_for(all_left, timeout=60)
    said = logs()
    assert "a person must act" in said and "free some space" in said, said
    assert "storage back after" in said and "Traceback" not in said, said
