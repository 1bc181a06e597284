"""The settings a process runs with: read once from the environment, passed down."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.errors import SprintoptError
from engine.settings import HEARTBEAT_ENV, HOST_ENV, MAX_HOST, STORAGE_ENV, Settings
from engine.store import Store
from tests.conftest import REPO


def test_the_environment_is_read_when_asked_not_at_import():
    settings = Settings.from_environ({HEARTBEAT_ENV: "2", STORAGE_ENV: " sqlite:///x.db "})
    assert (settings.heartbeat, settings.grace_period) == (2, 8)
    assert settings.storage == "sqlite:///x.db"
    assert Settings.from_environ({}) == Settings()
    assert (Settings().heartbeat, Settings().storage) == (5, None)


@pytest.mark.parametrize("bad", ["0", "-3", "abc", "1.5", "999999"])
def test_a_bad_heartbeat_is_one_clear_error(bad):
    with pytest.raises(SprintoptError, match=f"{HEARTBEAT_ENV}='{bad}': give a whole number"):
        Settings.from_environ({HEARTBEAT_ENV: bad})


@pytest.mark.parametrize("bad", ["h" * (MAX_HOST + 1), "gpu box", "box\x1b[2J", "tab\there"])
def test_a_host_name_the_store_could_not_keep_is_refused_at_the_start(bad):
    # It would be stored per worker and in "user@host" operator names (200-character columns
    # PostgreSQL enforces): refused here, not at every worker's registration.
    with pytest.raises(SprintoptError, match=f"{HOST_ENV}=.*at most {MAX_HOST} characters"):
        Settings.from_environ({HOST_ENV: bad})


@pytest.mark.parametrize("good", ["", "  ", "gpubox-a", "h" * MAX_HOST, "box.example.org"])
def test_a_host_name_that_fits_is_taken(good):
    assert Settings.from_environ({HOST_ENV: good}) == Settings()


def test_the_storage_rule_flag_then_environment_then_spec_then_own_file(tmp_path: Path):
    here = Settings(base=tmp_path)
    own = f"sqlite:///{tmp_path.resolve()}/sessions/s.db"
    assert here.storage_for("s") == own
    assert here.storage_for("s", spec_storage="sqlite:///spec.db") == "sqlite:///spec.db"
    env = Settings(storage="sqlite:///env.db", base=tmp_path)
    assert env.storage_for("s", spec_storage="sqlite:///spec.db") == "sqlite:///env.db"
    assert env.storage_for("s", "sqlite:///flag.db", "sqlite:///spec.db") == "sqlite:///flag.db"


def test_logs_sit_beside_the_database_or_under_sessions_for_a_server(tmp_path: Path):
    here = Settings(base=tmp_path)
    assert here.log_dir("s", f"sqlite:///{tmp_path}/db/s.db") == tmp_path / "db" / "s.logs"
    assert here.log_dir("s", "postgresql://h/db") == tmp_path / "sessions" / "s.logs"


def test_a_child_gets_what_the_parent_runs_with():
    settings = Settings(heartbeat=3, storage="sqlite:///a.db")
    assert Settings.from_environ(settings.environ()) == settings


def test_the_store_carries_the_entry_points_settings(tmp_path: Path):
    settings = Settings(heartbeat=7)
    store = Store(f"sqlite:///{tmp_path / 's.db'}", create=True, settings=settings)
    try:
        storage = store.optuna_storage()
        assert store.settings is settings
        assert (storage.heartbeat_interval, storage.grace_period) == (7, 28)
    finally:
        store.close()


def test_the_command_line_says_a_bad_heartbeat_in_one_line(tmp_path: Path):
    out = subprocess.run(
        [sys.executable, "-m", "tui.cli", "status", "s"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), HEARTBEAT_ENV: "soon", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip().splitlines() == [
        f"error: {HEARTBEAT_ENV}='soon': give a whole number of seconds from 1 to 3600"
    ]
