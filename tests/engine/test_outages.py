"""A worker riding out an outage says so where `status` and the app can see it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

from sqlalchemy.exc import OperationalError

from engine.faults import Outage
from engine.hosts import this_host
from engine.outages import STALE_AFTER, OutageNote, storage_summary, troubles
from engine.read import model as readmodel
from engine.read.model import session_view
from engine.records import now
from engine.session import Session
from engine.settings import Settings
from engine.spec import load_spec
from engine.worker import Worker, WorkerOptions
from tui.text import format_status


def _fault(text: str) -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception(text))


def test_a_note_is_kept_while_the_storage_is_away_and_removed_when_it_is_back(tmp_path):
    note = OutageNote(tmp_path / "t.logs")
    outage = Outage(listener=note, clock=lambda: 1_000_000.0)
    assert troubles(tmp_path / "t.logs") == ()  # no folder yet: nothing to say
    outage.failed(_fault("connection refused"))
    outage.failed(_fault("connection refused"))
    (seen,) = troubles(tmp_path / "t.logs")
    assert (seen.pid, seen.tries, seen.fix) == (os.getpid(), 2, None)
    assert "connection refused" in seen.reason and seen.since.timestamp() == 1_000_000.0
    line = storage_summary((seen,))
    assert line.startswith("storage unreachable since ") and "(1 worker, " in line
    assert line.endswith("they wait for it and carry on")
    assert oct(note.path.stat().st_mode & 0o777) == "0o600"
    outage.recovered()
    assert troubles(tmp_path / "t.logs") == () and not note.path.exists()


def test_a_fault_a_person_must_fix_is_said_as_such(tmp_path):
    outage = Outage(listener=OutageNote(tmp_path))
    outage.failed(_fault("attempt to write a readonly database"))
    line = storage_summary(troubles(tmp_path))
    assert line.startswith("storage unusable since ")
    assert "a person must act: the database file is read-only" in line


def test_notes_of_workers_gone_or_long_silent_are_not_shown(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    Outage(listener=OutageNote(tmp_path, pid=int(gone.stdout))).failed(_fault("refused"))
    assert troubles(tmp_path) == ()  # its process exited on this host
    elsewhere = OutageNote(tmp_path, host="box-b", pid=4242)
    Outage(listener=elsewhere).failed(_fault("refused"))
    (seen,) = troubles(tmp_path)
    assert seen.host == "box-b"  # judged by the note's age, not by a pid here
    assert troubles(tmp_path, now=time.time() + STALE_AFTER + 1) == ()
    (tmp_path / "storage-x-1.json").write_text("{half a no")  # torn or foreign: skipped
    assert len(troubles(tmp_path)) == 1


def test_workers_alive_here_but_silent_are_said_when_no_note_could_be_written():
    assert storage_summary((), 0) is None
    line = storage_summary((), 2, quiet=20)
    assert line == "2 workers alive here have not reached the storage for over 20s: see their logs"


def test_status_shows_the_outage_a_worker_is_riding_out(session_dir, monkeypatch):
    sd = session_dir(sprints=[{"name": "a", "trials": 2, "epochs": 1}])
    spec = load_spec(sd.spec)
    session = Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session
    worker = Worker(WorkerOptions(sd.name, sd.url, search_path=[str(sd.path)]))
    assert worker.note.path.parent == Settings().log_dir(sd.name, sd.url)
    worker.outage.failed(_fault("database or disk is full"))
    shown = format_status(session_view(session))
    assert shown.splitlines()[1].startswith("storage unusable since ")
    assert "free some space" in shown
    worker.outage.recovered()
    assert "storage" not in format_status(session_view(session)).splitlines()[1]


def test_a_live_worker_whose_heartbeat_stopped_is_counted_silent(session_dir, monkeypatch):
    sd = session_dir(sprints=[{"name": "a", "trials": 2, "epochs": 1}])
    spec = load_spec(sd.spec)
    session = Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session
    session.store.register_worker(session.record.id, this_host(), os.getpid(), None, None)
    view = session_view(session)
    assert (view.workers_alive, view.silent_workers, view.storage_line) == (1, 0, None)
    later = now() + timedelta(seconds=Settings.from_environ().grace_period + 1)
    monkeypatch.setattr(readmodel, "now", lambda: later)
    view = session_view(session)
    assert (view.workers_alive, view.silent_workers) == (0, 1)
    assert "1 worker alive here has not reached the storage" in format_status(view)
