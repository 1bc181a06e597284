"""The SQLite database file: made owner-only, probed without being touched, tuned per connection."""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext

from engine.errors import StoreError
from engine.faults import STALE_CONNECTION

SQLITE_BUSY_SECONDS = 60
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Set while this thread runs transactions that only read (see :func:`reading`).
_READING: ContextVar[bool] = ContextVar("sprintopt_sqlite_reading", default=False)


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Transactions begun in this thread inside the block only read: on SQLite they begin with
    a plain ``BEGIN`` and take no write lock, so (in WAL mode) they run beside a writer instead
    of queueing behind it. Nothing inside may write: a deferred transaction that turns into a
    write fails at once with "database is locked" when another writer got there since."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def _cannot(action: str, path: Path, exc: OSError) -> StoreError:
    why = {
        errno.EACCES: "permission denied",
        errno.EPERM: "operation not permitted",
        errno.EROFS: "read-only file system",
        errno.ENOSPC: "no space left on the device",
    }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(path) else ""
    return StoreError(f"cannot {action} {path}: {why}{where}")


def make_private_dir(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents 0700, whatever the umask; returns those made.

    Folders that already exist (or another process makes first) are left as they are.
    """
    missing = []
    while not os.path.lexists(folder):
        missing.append(folder)
        folder = folder.parent
    made = []
    try:
        for each in reversed(missing):
            try:
                os.mkdir(each, 0o700)
            except FileExistsError:
                continue  # not ours to chmod
            made.append(each)
            os.chmod(each, 0o700)  # mkdir's mode is cut by the umask
    except OSError:
        _remove_dirs(made)
        raise
    return made


def _remove_dirs(made: list[Path]) -> None:
    for each in reversed(made):
        try:
            os.rmdir(each)
        except OSError:
            pass  # something else went in meanwhile: leave it


def _create_file(path: Path) -> bool:
    """Create the database file (and missing folders) owner-only, whatever the umask.

    Modes are set only on what is made here, and a failure leaves nothing of it behind;
    False if another process made the file first.
    """
    made: list[Path] = []
    try:
        made = make_private_dir(path.parent)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return False
    except OSError as exc:
        _remove_dirs(made)
        raise _cannot("create", path, exc) from exc
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return True


def _check_file(path: Path, create: bool) -> None:
    """An existing file must be a SQLite database (checked without touching it); a missing one
    is created when ``create``."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if not create:
            raise StoreError(f"no session database at {path}") from None
        if _create_file(path):
            return
        try:
            info = path.stat()
        except OSError as exc:
            raise _cannot("use", path, exc) from exc
    except OSError as exc:
        raise _cannot("use", path, exc) from exc
    if stat.S_ISDIR(info.st_mode):
        raise StoreError(
            f"{path} is a directory, not a database file: name a file in it, "
            f"e.g. sqlite:///{path / 'NAME.db'}"
        )
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"{path} is not a regular file, so not a session database")
    # Asked through SQLite, never with open()/close() of our own: closing any descriptor of
    # the file drops every POSIX lock this process holds on it, so a store opened beside
    # another (the app switching sessions, a poller) would strip the other's locks.
    try:
        probe = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=5)
        try:
            probe.execute("PRAGMA schema_version").fetchone()
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise StoreError(f"{path} is not a SQLite database; it was left untouched") from None
        raise StoreError(f"cannot read {path}: {exc}") from exc


def _tune_sqlite(engine: Engine, writer: bool, on_stale: Callable[[], None] | None = None) -> None:
    """A busy timeout; writers turn on WAL and take the lock up front so they queue instead of
    failing, except for transactions begun inside :func:`reading`, which take none. A reader
    leaves the file as it found it (WAL, once set, is the file's own).

    ``on_stale`` is called when a connection met an error after which no connection of this
    process to the file can be trusted (see :data:`STALE_CONNECTION`)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin event issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        if writer:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer and not _READING.get() else "BEGIN")

    @event.listens_for(engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        # A connection opened while the file could not be written stays read-only for good
        # (SQLite falls back to a read-only open), and so does the process's one shared-memory
        # index of the WAL while any connection to the file is open. Treated as a lost
        # connection, and the store's pools emptied (``on_stale``), the next try opens
        # fresh ones: the store recovers once a person fixes the file.
        if any(sign in str(context.original_exception).lower() for sign in STALE_CONNECTION):
            context.is_disconnect = True
            # Its statement must go too: SQLite closes a connection only once every statement
            # is finalized, and the failed one lives on in the traceback until a gc pass.
            execution = getattr(context, "execution_context", None)
            cursor = getattr(execution, "cursor", None)
            if cursor is not None:
                with contextlib.suppress(Exception):
                    cursor.close()
            if on_stale is not None:
                on_stale()
