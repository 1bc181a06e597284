"""The commands that only read (status, export, sessions) never write to the session's database."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from engine.session import Session
from engine.spec import load_spec
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
