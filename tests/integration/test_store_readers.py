"""The commands that only read (status, export, sessions) never write to the session's database,
and a worker's own reads take no write lock."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

import engine.dbfile
from engine.optuna_internals import storage_trial_id
from engine.session import Session
from engine.spec import load_spec
from engine.worker import WorkerOptions, run_worker
from tui.cli import main as cli_main


def _snapshot(db: Path) -> tuple[bytes, int]:
    return db.read_bytes(), stat.S_IMODE(db.stat().st_mode)


def _session_db(sd) -> Path:
    spec = load_spec(sd.spec)
    opened = Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)])
    opened.session.store.close()
    db = sd.path / "sessions" / "t.db"
    os.chmod(db, 0o640)
    return db


def _finishes_under_a_held_write_lock(db: Path, argv: list[str]) -> int | None:
    """The command's exit code, or None if it still waited for the lock after 5 s."""
    codes: list[int] = []
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a worker in the middle of a write
    try:
        runner = threading.Thread(target=lambda: codes.append(cli_main(argv)), daemon=True)
        runner.start()
        runner.join(5)  # a write would wait for SQLite's 60 s busy timeout
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    return codes[0] if codes else None


@pytest.mark.parametrize("command", [["status", "t"], ["export", "t", "--format", "json"]])
def test_reading_commands_never_take_the_write_lock(session_dir, monkeypatch, command):
    sd = session_dir()
    db = _session_db(sd)
    monkeypatch.chdir(sd.path)
    assert _finishes_under_a_held_write_lock(db, command) == 0


def test_reading_commands_leave_the_database_as_it_was(session_dir, monkeypatch, capsys):
    sd = session_dir()
    db = _session_db(sd)
    monkeypatch.chdir(sd.path)
    before = _snapshot(db)
    for argv in (["status", "t"], ["export", "t"], ["sessions"]):
        assert cli_main(argv) == 0
    assert "t" in capsys.readouterr().out
    assert _snapshot(db) == before  # its mode included: nothing chmods a file it did not make


def test_a_workers_reads_run_beside_a_held_write_lock(session_dir, monkeypatch):
    """The reads of a worker's turn (session, sprints, trials, hand-backs, workers, Optuna's
    own) begin without the write lock, so they never queue behind another process's write;
    its writes still queue (here they give up after the shortened busy timeout)."""
    sd = session_dir()
    db = _session_db(sd)
    monkeypatch.chdir(sd.path)
    run_worker(WorkerOptions(sd.name, sd.url, poll=0.01, search_path=[str(sd.path)]), False)
    monkeypatch.setattr(engine.dbfile, "SQLITE_BUSY_SECONDS", 1)
    session = Session.open(sd.name, sd.url, reap=False)  # a writer's handle, as a worker's
    sprint = session.current()
    assert sprint is not None
    study = session.study(sprint)
    storage = session.store.optuna_storage()
    first = storage.get_trial(storage_trial_id(session.trials(sprint)[0]))
    session.store.close()  # connections opened from here on have the 1 s busy timeout
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another worker in the middle of a write
    try:
        assert session.refresh().name == sd.name
        assert session.current() == sprint
        assert len(study.get_trials(deepcopy=False)) == 6
        assert storage.get_trial(storage_trial_id(first)).number == first.number
        assert session.store.retried_numbers(sprint.study_name) == set()
        assert len(session.store.study_trials(sprint.study_name).trials) == 6
        assert session.store.workers(session.record.id)
        session.store.proposals(session.record.id)
        session.store.decisions(session.record.id)
        with pytest.raises(OperationalError, match="database is locked"):
            session.store.touch_worker(session.store.workers(session.record.id)[0].id)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
