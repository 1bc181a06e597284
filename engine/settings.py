"""What a process runs with, read once by its entry point and passed down.

The command line and the worker entry point build :class:`Settings` from the environment
(``Settings.from_environ()``) and hand it to the store, which every part of the engine holds, so
nothing reads the environment at import. It carries:

- the storage location rule: ``--storage``, else ``$SPRINTOPT_STORAGE``, else the spec's
  ``storage =``, else the session's own database ``sessions/<name>.db`` under the working
  directory;
- where a session's workers keep their logs (and their storage notes): ``<name>.logs/`` beside
  the database, or under ``sessions/`` here when the storage is a server;
- the heartbeat: seconds between a running trial's beats; a trial silent for the grace period
  (four beats) belongs to a dead worker. Tests shorten it through ``$SPRINTOPT_HEARTBEAT_SECONDS``;
- ``$SPRINTOPT_HOST``, the name of this box in the store (engine.hosts), checked here once;
- the command a worker runs to call a person (``$SPRINTOPT_NOTIFY``: what ``sprintopt run`` read
  from the spec file's ``[notify]``), never read from the database.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.errors import SprintoptError
from engine.limits import shown
from engine.storage_url import sqlite_path

#: The storage URL travels to workers in the environment, never in `ps` output.
STORAGE_ENV = "SPRINTOPT_STORAGE"
#: This box's name in the store, where the hostname would not tell boxes apart (engine.hosts).
HOST_ENV = "SPRINTOPT_HOST"
HEARTBEAT_ENV = "SPRINTOPT_HEARTBEAT_SECONDS"
#: The notify command travels to workers in the environment: a command read from the database
#: would let anyone who can write to it run code on every worker host.
NOTIFY_ENV = "SPRINTOPT_NOTIFY"
SESSIONS = "sessions"
HEARTBEAT = 5
MAX_HEARTBEAT = 3600
#: The longest $SPRINTOPT_HOST: it is stored per worker and in "user@host" operator names,
#: whose columns (200 characters) PostgreSQL enforces; a hostname has at most 64.
MAX_HOST = 100


@dataclass(frozen=True)
class Settings:
    heartbeat: int = HEARTBEAT  # seconds between a running trial's heartbeats
    storage: str | None = None  # $SPRINTOPT_STORAGE
    base: Path | None = None  # the folder that holds sessions/ (None: the working directory)
    notify: str | None = None  # $SPRINTOPT_NOTIFY: the command that calls a person

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, base: Path | None = None
    ) -> Settings:
        env = os.environ if environ is None else environ
        _check_host(env.get(HOST_ENV))
        return cls(
            heartbeat=_heartbeat(env.get(HEARTBEAT_ENV)),
            storage=env.get(STORAGE_ENV, "").strip() or None,
            base=base,
            notify=env.get(NOTIFY_ENV, "").strip() or None,
        )

    @property
    def grace_period(self) -> int:
        """Seconds after which a silent heartbeat means a dead worker."""
        return 4 * self.heartbeat

    def environ(self) -> dict[str, str]:
        """What a child process needs in its environment to run with these settings."""
        env = {HEARTBEAT_ENV: str(self.heartbeat)}
        if self.storage:
            env[STORAGE_ENV] = self.storage
        if self.notify:
            env[NOTIFY_ENV] = self.notify
        return env

    # -- where things are -------------------------------------------------------------------
    def sessions_dir(self) -> Path:
        """The folder of default session databases: ``sessions/`` under the base."""
        return (self.base or Path.cwd()) / SESSIONS

    def default_storage(self, name: str) -> str:
        """The SQLite URL of session ``name``'s own database under :meth:`sessions_dir`."""
        return f"sqlite:///{(self.sessions_dir() / f'{name}.db').resolve()}"

    def storage_for(
        self, name: str, given: str | None = None, spec_storage: str | None = None
    ) -> str:
        """``--storage``, else ``$SPRINTOPT_STORAGE``, else the spec's, else the default."""
        return given or self.storage or spec_storage or self.default_storage(name)

    def log_dir(self, name: str, url: str) -> Path:
        """Worker logs sit next to the session database (``sessions/<name>.logs/``)."""
        db = sqlite_path(url)
        base = db.parent if db is not None else self.sessions_dir()
        return base / f"{name}.logs"


def _check_host(text: str | None) -> None:
    """$SPRINTOPT_HOST names this box in the store: refused here, at the process's start, if the
    store could not keep it (rather than failing every worker at its registration)."""
    name = (text or "").strip()
    if name and (len(name) > MAX_HOST or not name.isprintable() or any(c.isspace() for c in name)):
        raise SprintoptError(
            f"{HOST_ENV}={shown(text or '')!r}: give a name of at most {MAX_HOST} characters "
            "without spaces or control characters, e.g. gpubox-a (or unset it: the hostname)"
        )


def _heartbeat(text: str | None) -> int:
    if text is None or not text.strip():
        return HEARTBEAT
    try:
        seconds = int(text)
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= MAX_HEARTBEAT:
        raise SprintoptError(
            f"{HEARTBEAT_ENV}={text!r}: give a whole number of seconds from 1 to {MAX_HEARTBEAT}"
        )
    return seconds
