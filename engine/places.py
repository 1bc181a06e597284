"""Where a session's files live when nobody says otherwise: one answer for every caller.

A session's default database is ``sessions/<name>.db`` under the working directory; its
workers' logs (and their storage notes) sit beside the database in ``<name>.logs/``, or under
``sessions/`` here when the storage is a server.
"""

from __future__ import annotations

from pathlib import Path

from engine.storage_url import sqlite_path

SESSIONS = "sessions"


def sessions_dir(base: Path | None = None) -> Path:
    """The folder of default session databases: ``sessions/`` under ``base`` (default: here)."""
    return (base or Path.cwd()) / SESSIONS


def default_storage(name: str, base: Path | None = None) -> str:
    """The SQLite URL of session ``name``'s own database under :func:`sessions_dir`."""
    return f"sqlite:///{(sessions_dir(base) / f'{name}.db').resolve()}"


def log_dir(name: str, url: str) -> Path:
    """Worker logs sit next to the session database (``sessions/<name>.logs/``)."""
    db = sqlite_path(url)
    base = db.parent if db is not None else sessions_dir()
    return base / f"{name}.logs"
