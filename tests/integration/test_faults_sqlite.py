"""Workers ride through the disk under a SQLite session filling up, and say a person must act.

The session lives on a small tmpfs that the test fills for seconds, then frees. Needs root (to
mount it); .ci/run runs as root. Budgets stay exact and no finished trial is lost or changed.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import uuid

import pytest

from engine.budget import counting
from engine.read.model import trial_rows
from engine.session import Session
from tests import conftest
from tests.services import missing
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
        missing(f"needs root to mount a small tmpfs ({done.stderr.decode().strip()}): run as root")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _complete(session: Session) -> dict[int, tuple]:
    return {r.number: (r.params, r.value) for r in trial_rows(session) if r.state == "complete"}


def _fill(path) -> None:
    """Write until the disk says no more."""
    chunk = b"\0" * (1 << 16)
    # Unbuffered: a buffered file kept the tail of a write the full disk refused, and its
    # close, outside the suppress, raised ENOSPC again (once in a CI run).
    with open(path, "wb", buffering=0) as f, contextlib.suppress(OSError):
        while f.write(chunk):
            pass


def _start(session_dir, small_disk, prefix: str, slow: float = 0.2):
    name = f"{prefix}{uuid.uuid4().hex[:6]}"
    sd = session_dir(name=name, sprints=[{"name": "a", "trials": BUDGET, "epochs": 3}])
    sd.slow(slow)
    url = f"sqlite:///{small_disk / 't.db'}"
    out = sd.cli("run", "spec.toml", "--storage", url, "--workers", "2", "--no-tui")
    assert out.returncode == 0, out.stderr
    wait_for(lambda: _read(url, name, lambda s: len(_complete(s)) >= 3), timeout=120)
    return sd, name, url, _read(url, name, _complete)


def _read(url: str, name: str, what):
    s = Session.open(name, url, readonly=True)
    try:
        return what(s)
    finally:
        s.store.close()


def _status_during_the_fault(sd, url: str, name: str, said: str) -> None:
    """`status` tells, while the fault lasts, that the workers cannot write and why."""

    last = []

    def tells() -> bool:
        out = sd.cli("status", name, "--storage", url)
        last[:] = [f"exit {out.returncode}\n{out.stdout}{out.stderr}"]
        return out.returncode == 0 and said in out.stdout

    try:  # the bound only stops a hang: each status is a fresh process on a loaded machine
        wait_for(tells, timeout=90, every=0.5, what=f"status to say {said!r}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the last status said:\n{last[0] if last else ''}") from None


def _check_after_the_fault(url: str, name: str, logs_dir, before: dict) -> str:
    wait_for(lambda: _read(url, name, lambda s: s.refresh().state == "finished"), timeout=240)
    session = Session.open(name, url)
    sprint = session.current()
    counted = counting(session.trials(sprint), session.store.retried_numbers(sprint.study_name))
    assert len(counted) == BUDGET
    assert all(_complete(session)[n] == v for n, v in before.items())
    session.store.close()

    def all_left(s: Session) -> bool:  # every worker lived to the end and left as a worker does
        return all(w.stopped_at is not None for w in s.store.workers(s.record.id))

    def logs() -> str:
        return "".join(p.read_text() for p in sorted(logs_dir.glob("*.log")))

    try:
        wait_for(lambda: _read(url, name, all_left), timeout=60)
    except AssertionError:
        raise AssertionError(f"a worker did not leave:\n{logs()}") from None
    said = logs()
    assert "a person must act" in said, said
    assert "storage back after" in said and "Traceback" not in said, said
    assert not list(logs_dir.glob("storage-*.json"))  # no note outlives its outage
    return said


def test_a_full_disk_is_waited_out_and_said(session_dir, small_disk):
    sd, name, url, before = _start(session_dir, small_disk, "full")
    ballast = small_disk / "ballast"
    _fill(ballast)
    try:
        # The notes' folder is on the full disk too: status sees the silent heartbeats.
        _status_during_the_fault(sd, url, name, "have not reached the storage")
    finally:
        ballast.unlink()
    said = _check_after_the_fault(url, name, small_disk / f"{name}.logs", before)
    assert "free some space" in said, said


def test_a_database_made_read_only_is_waited_out_and_said(session_dir, small_disk):
    sd, name, url, before = _start(session_dir, small_disk, "ro", slow=0.5)
    files = [str(p) for p in small_disk.glob("t.db*")]  # the database, its WAL and index
    # Root ignores modes: an immutable file is what read-only is for everyone. Connections
    # opened before go on writing to the WAL; a worker that connects now cannot write at all.
    subprocess.run(["chattr", "+i", *files], check=True)
    try:
        log = small_disk / f"{name}.logs" / "worker-late.log"
        with open(log, "w") as out:
            late = subprocess.Popen(
                [sys.executable, "-m", "tui.cli", "worker", name, "--storage", url],
                cwd=sd.path, env=conftest.test_env(), stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        _status_during_the_fault(sd, url, name, "a person must act")
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
    assert late.wait(timeout=90) == 0  # it joined once the file was fixed, and left normally
    said = _check_after_the_fault(url, name, small_disk / f"{name}.logs", before)
    assert "the database file is read-only" in log.read_text(), said
