"""The store: the only place that speaks SQL to the session tables (engine.schema) and Optuna's."""

from __future__ import annotations

import errno
import json
import os
import re
import sqlite3
import stat
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import optuna
from sqlalchemy import (
    DateTime,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError

from engine.attrs import PREFIX
from engine.errors import (
    DamagedStoreError,
    ForeignDatabaseError,
    NoSessionsError,
    SessionError,
    StoreError,
)
from engine.records import (
    DecisionRecord,
    ProposalRecord,
    SessionRecord,
    SprintRecord,
    WorkerRecord,
    decision_from_row,
    now,
    proposal_from_row,
    session_from_row,
    sprint_from_row,
)
from engine.schema import (
    SCHEMA_VERSION,
    decisions_t,
    meta_t,
    metadata,
    proposals_t,
    retries_t,
    sessions_t,
    sprints_t,
    workers_t,
)
from engine.sprint import SprintPlan

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# Seconds between a running trial's heartbeats; a trial silent for GRACE_PERIOD belongs to a
# dead worker. Tests shorten it through the environment.
HEARTBEAT_INTERVAL = max(1, int(os.environ.get("SPRINTOPT_HEARTBEAT_SECONDS", "5")))
GRACE_PERIOD = 4 * HEARTBEAT_INTERVAL

# A vanished PostgreSQL server must not hang a worker: connecting gives up after
# CONNECT_TIMEOUT, TCP keepalives notice a dead peer in about 25 s, and no statement (a lock
# wait included) runs past STATEMENT_TIMEOUT_MS. Settings given in the URL win.
CONNECT_TIMEOUT = 10
STATEMENT_TIMEOUT_MS = 60_000
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}
SQLITE_BUSY_SECONDS = 60
SQLITE_MAGIC = b"SQLite format 3\x00"
OPTUNA_TABLES = frozenset({"studies", "trials", "version_info"})
# Optuna's tables that hold a study's trials (Optuna 2.x to 5.x): a sprint that ran needs them.
TRIAL_TABLES = OPTUNA_TABLES | {"study_directions", "trial_params", "trial_values"}
SESSION_ATTR = PREFIX + "session"  # the study attribute naming the session that created it
ENCODE = "percent-encode it: urllib.parse.quote(password, safe='')"
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&]*)", re.IGNORECASE)


# -- storage URLs ----------------------------------------------------------------------------
def _credentials(url: str) -> tuple[str, str, str] | None:
    """(what precedes the password, the password as written, what follows it), if any.

    The password runs from the user's ``:`` to the URL's *last* ``@``: a raw ``@`` in it then
    leaks nothing (an ``@`` further on, in a query, only hides more).
    """
    scheme, sep, rest = url.partition("://")
    if not sep or rest.startswith("/") or "@" not in rest:
        return None  # no authority (sqlite:///path), or no user in it
    at = rest.rindex("@")
    user, colon, password = rest[:at].partition(":")
    return (f"{scheme}://{user}:", password, rest[at:]) if colon else None


def mask_url(url: str) -> str:
    """The storage URL with any password replaced by ***, for every output and log."""
    parts = _credentials(url)
    if parts is not None:
        url = f"{parts[0]}***{parts[2]}"
    return _QUERY_PASSWORD.sub(r"\1***", url)


def _secrets(url: str) -> set[str]:
    """The URL's passwords, as written and decoded."""
    found = [m.group(2) for m in _QUERY_PASSWORD.finditer(url)]
    parts = _credentials(url)
    if parts is not None:
        found.append(parts[1])
    return {form for s in found for form in (s, unquote(s))} - {"", "***"}


def parse_url(url: str) -> URL:
    """The storage URL, parsed; :class:`StoreError` saying what to write for one we cannot use."""
    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] == "sqlite" and rest and not rest.startswith("/"):
        raise StoreError(
            f"{mask_url(url)}: a SQLite URL names a file and takes no host: write "
            "sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    parts = _credentials(url)
    if parts is not None and "@" in parts[1]:
        raise StoreError(
            f"the storage URL {mask_url(url)} has more than one '@': if its password holds "
            f"'@' (or any of :/?#%), {ENCODE}; any other '@' must be written %40"
        )
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        # Without an '@', "user:password/db" reads as host:port: show no more than the scheme.
        shown = mask_url(url) if "@" in rest or not rest else f"{scheme}://..."
        raise StoreError(
            f"{shown} is not a valid storage URL (e.g. sqlite:///sessions/NAME.db or "
            "postgresql+psycopg://USER:PASSWORD@HOST:5432/DB); if its password holds any of "
            f"@:/?#%, {ENCODE}"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database:
            raise StoreError(
                f"{url} names no database file; a session must persist: give one, "
                "e.g. sqlite:///sessions/NAME.db"
            )
        if parsed.database == ":memory:" or parsed.query.get("mode") == "memory":
            raise StoreError(
                f"{url} keeps the database in memory; a session must persist (its workers are "
                "other processes): give a file, e.g. sqlite:///sessions/NAME.db"
            )
    return parsed


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for a server."""
    parsed = parse_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" else None


def engine_options(url: URL) -> dict[str, Any]:
    """For our engine and Optuna's alike: SQLite waits for the lock, a server is pinged and
    bounded in time (connection, statements, TCP keepalives)."""
    if url.get_backend_name() == "sqlite":
        # No pre-ping: there is no server to lose, and a ping on a pooled SQLite connection
        # held readers' snapshots long enough to stall every writer (seen in the kill tests).
        return {"connect_args": {"timeout": SQLITE_BUSY_SECONDS}}
    args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2"):
        defaults = {"connect_timeout": CONNECT_TIMEOUT, **KEEPALIVES}
        args = {k: v for k, v in defaults.items() if k not in url.query}
        given = url.query.get("options", "")
        given = " ".join(given) if isinstance(given, tuple) else given
        if "statement_timeout" not in given:
            args["options"] = f"{given} -c statement_timeout={STATEMENT_TIMEOUT_MS}".strip()
    return {"connect_args": args, "pool_pre_ping": True}


# -- the database file -----------------------------------------------------------------------
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


def _tune_sqlite(engine: Engine, writer: bool) -> None:
    """A busy timeout; writers turn on WAL and take the lock up front so they queue instead of
    failing. A reader leaves the file as it found it (WAL, once set, is the file's own)."""

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
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def _reason(exc: DBAPIError) -> str:
    return str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__


# -- the spec snapshot -----------------------------------------------------------------------
def _leaks(spec_text: str, url: str) -> bool:
    """Whether the text still holds one of the URL's passwords, in the URL or parsed back."""
    for secret in _secrets(url):
        if f":{secret}@" in spec_text or f"password={secret}".lower() in spec_text.lower():
            return True
    try:
        stored = tomllib.loads(spec_text).get("session", {}).get("storage")
    except (tomllib.TOMLDecodeError, AttributeError):
        return True
    return isinstance(stored, str) and bool(_secrets(stored))


def _without_password(spec_text: str, url: str) -> str:
    """The spec's text with its storage URL's password replaced by ***, however it was written."""
    for secret in sorted(_secrets(url), key=len, reverse=True):
        spec_text = spec_text.replace(f":{secret}@", ":***@")
        spec_text = re.sub(
            rf"(?i)([?&]password=){re.escape(secret)}(?=[&\"'\s]|$)", r"\1***", spec_text
        )
    if not _leaks(spec_text, url):
        return spec_text
    # Written with TOML escapes we cannot see through: state the storage line again, masked.
    line = f"storage = {json.dumps(mask_url(url))}"
    restated = re.sub(r"(?m)^[ \t]*storage[ \t]*=.*$", lambda _m: line, spec_text)
    if not _leaks(restated, url):
        return restated
    return "# the spec's text is not kept: its storage URL holds a password\n"


def _foreign(where: str, tables: set[str]) -> str:
    if tables & OPTUNA_TABLES:
        held = "Optuna's tables"
    else:
        shown = sorted(tables)
        held = f"other tables ({', '.join(shown[:5])}{', ...' if len(shown) > 5 else ''})"
    return (
        f"{where} holds {held} and no sprintopt session; use an empty database, or ask to add "
        "sprintopt's tables beside them (sprintopt run --share-database; its existing studies "
        "are never adopted)"
    )


def _check_version(where: str, version: str | None) -> None:
    damaged = f"{where} is damaged: it has no schema version" if version is None else None
    if version is not None and not version.strip().isdigit():
        damaged = f"{where} is damaged: its schema version {version!r} is not a number"
    if damaged:
        raise DamagedStoreError(
            f"{damaged}; it was left untouched (restore it from a backup, or start a new database)"
        )
    if int(version or 0) > SCHEMA_VERSION:
        raise StoreError(
            f"this database was written by a newer sprintopt (schema {version}); upgrade"
        )


class Store:
    """One session database: our tables through SQLAlchemy Core, the trials through Optuna."""

    def __init__(
        self,
        url: str,
        *,
        create: bool = False,
        readonly: bool = False,
        adopt_foreign: bool = False,
    ) -> None:
        """Open the database at ``url``, checking it before anything is written.

        ``create`` makes a missing SQLite file (owner-only) and the session tables in an empty
        database; a database holding other tables is refused unless ``adopt_foreign``.
        ``readonly`` is for readers (status, export, the app): they never create, chmod, take
        SQLite's write lock up front, or switch the journal mode. A damaged, foreign or
        non-database file raises a :class:`StoreError` and is left as it was.
        """
        self.url = url
        self.readonly = readonly
        parsed = parse_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        writer = create and not readonly
        if self.is_sqlite:
            _check_file(Path(parsed.database or ""), create=writer)
        try:
            self.engine = create_engine(url, **engine_options(parsed))
        except (ImportError, ArgumentError) as exc:
            raise StoreError(
                f"cannot use storage {mask_url(url)}: {exc}; for PostgreSQL, "
                "pip install 'sprintopt[postgres]'"
            ) from None
        self._optuna: optuna.storages.RDBStorage | None = None
        try:
            fresh = self._check_schema(writer, adopt_foreign)
            if self.is_sqlite:
                self.engine.dispose()  # the check's connection predates the tuning
                _tune_sqlite(self.engine, writer=not readonly)
            if fresh:
                self._create_schema()
        except DBAPIError as exc:
            self.engine.dispose()
            # Chained: a worker tells an unreachable server (wait) from a damaged database.
            raise StoreError(f"cannot open storage {mask_url(url)}: {_reason(exc)}") from exc
        except StoreError:
            self.engine.dispose()
            raise

    def _check_schema(self, create: bool, adopt_foreign: bool) -> bool:
        """Read (never write) what the database holds; True if the session tables must be made."""
        where = mask_url(self.url)
        with self.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            ours = set(metadata.tables)
            if not names & ours:
                if not create:
                    raise NoSessionsError(f"{where} holds no sprintopt sessions")
                others = names - ours
                if others and not adopt_foreign:
                    raise ForeignDatabaseError(_foreign(where, others))
                return True
            missing = sorted(ours - names)
            if missing:
                tables = f"table {missing[0]} is" if len(missing) == 1 else "tables {} are"
                raise DamagedStoreError(
                    f"{where} is damaged: its {tables.format(', '.join(missing))} missing; it "
                    "was left untouched (restore it from a backup, or start a new database)"
                )
            version = conn.execute(
                select(meta_t.c.value).where(meta_t.c.key == "schema_version")
            ).scalar()
            _check_version(where, version)
            lost = sorted(TRIAL_TABLES - names)
            ran = select(func.count()).select_from(sprints_t).where(sprints_t.c.state != "setup")
            if lost and conn.execute(ran).scalar():
                raise DamagedStoreError(
                    f"{where} is damaged: its sprints ran but Optuna's {', '.join(lost)} "
                    f"{'is' if len(lost) == 1 else 'are'} missing; it was left untouched "
                    "(restore it from a backup, or start a new database)"
                )
        return False

    def _create_schema(self) -> None:
        with self.begin() as conn:  # BEGIN IMMEDIATE on SQLite: two creators queue
            metadata.create_all(conn)
            version = conn.execute(
                select(meta_t.c.value).where(meta_t.c.key == "schema_version")
            ).scalar()
            if version is None:
                conn.execute(insert(meta_t).values(key="schema_version", value=str(SCHEMA_VERSION)))

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        self.engine.dispose()
        if self._optuna is not None:
            self._optuna.engine.dispose()

    # -- Optuna's storage ------------------------------------------------------------------
    def optuna_storage(
        self, stale_callback: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None = None
    ) -> optuna.storages.RDBStorage:
        """Optuna's storage on the same database, with the same engine options as ours.

        A read-only store never creates Optuna's tables; before they exist there is nothing to
        read, which it says.
        """
        if self._optuna is None:
            if self.readonly:
                with self.begin() as conn:
                    present = set(inspect(conn).get_table_names())
                if not OPTUNA_TABLES <= present:
                    raise StoreError(
                        f"{mask_url(self.url)} has no Optuna tables yet: its session is still "
                        "being set up (sprintopt run or a worker finishes that)"
                    )
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    storage = optuna.storages.RDBStorage(
                        self.url,
                        engine_kwargs=engine_options(parse_url(self.url)),
                        heartbeat_interval=HEARTBEAT_INTERVAL,
                        grace_period=GRACE_PERIOD,
                        heartbeat_stale_trial_callback=stale_callback,
                        skip_table_creation=self.readonly,
                    )
            except DBAPIError as exc:
                raise StoreError(
                    f"cannot open storage {mask_url(self.url)}: {_reason(exc)}"
                ) from exc
            if self.is_sqlite:
                storage.engine.dispose()  # pooled connections predate the tuning below
                _tune_sqlite(storage.engine, writer=not self.readonly)
            self._optuna = storage
        return self._optuna

    def foreign_study(self, study: str, session: str, direction: str) -> str | None:
        """Why an existing Optuna study named ``study`` is not ``session``'s own to use, if so.

        None when there is no such study, when it carries the session's tag, or when it is
        empty, untagged and of the sprint's direction (this session died between creating and
        tagging it). Any other study would lend its trials to the sprint's budget: never adopt
        it. Reads Optuna's ``studies``, ``study_user_attributes``, ``study_directions`` and
        ``trials`` tables (unchanged since Optuna 2.x).
        """
        with self.begin() as conn:
            if "studies" not in inspect(conn).get_table_names():
                return None
            found = conn.execute(
                text("SELECT study_id FROM studies WHERE study_name = :name"), {"name": study}
            ).scalar()
            if found is None:
                return None
            attrs = {
                key: json.loads(value)
                for key, value in conn.execute(
                    text("SELECT key, value_json FROM study_user_attributes WHERE study_id = :s"),
                    {"s": found},
                )
            }
            trials = conn.execute(
                text("SELECT COUNT(*) FROM trials WHERE study_id = :s"), {"s": found}
            ).scalar()
            directions = [
                str(d).lower()
                for (d,) in conn.execute(
                    text(
                        "SELECT direction FROM study_directions WHERE study_id = :s "
                        "ORDER BY objective"
                    ),
                    {"s": found},
                )
            ]
        if attrs.get(SESSION_ATTR) == session:
            return None
        if not attrs and not trials and directions == [direction]:
            return None
        owner = attrs.get(SESSION_ATTR)
        made_by = f" (it belongs to session {owner!r})" if owner else ""
        return (
            f"{mask_url(self.url)} already holds an Optuna study named {study!r} that "
            f"sprintopt did not create for session {session!r}{made_by}: {trials} "
            f"trial{'' if trials == 1 else 's'}, direction {'/'.join(directions) or 'unset'}, "
            f"the sprint would {direction}. It is never adopted (its trials would use up the "
            "sprint's budget): give the session another name (sprintopt run --name) or use "
            "another database"
        )

    # -- sessions --------------------------------------------------------------------------
    def create_session(
        self, name: str, spec: dict[str, Any], spec_text: str, sys_path: list[str]
    ) -> SessionRecord:
        """Store a new session; a password in the spec's ``storage`` is masked in the snapshot
        (workers get the URL from their environment, never from here)."""
        storage = (spec.get("session") or {}).get("storage")
        if isinstance(storage, str) and _secrets(storage):
            spec = {**spec, "session": {**spec["session"], "storage": mask_url(storage)}}
            spec_text = _without_password(spec_text, storage)
        try:
            with self.begin() as conn:
                conn.execute(
                    insert(sessions_t).values(
                        name=name,
                        state="running",
                        spec=spec,
                        spec_text=spec_text,
                        sys_path=sys_path,
                        stop_requested=False,
                        created_at=now(),
                    )
                )
        except IntegrityError:
            raise SessionError(f"a session named {name!r} already exists") from None
        return self.session(name)

    def find_session(self, name: str) -> SessionRecord | None:
        with self.begin() as conn:
            row = conn.execute(select(sessions_t).where(sessions_t.c.name == name)).first()
        return None if row is None else session_from_row(row)

    def session(self, name: str) -> SessionRecord:
        rec = self.find_session(name)
        if rec is None:
            known = ", ".join(s.name for s in self.sessions()) or "none"
            raise SessionError(f"no session named {name!r} in {mask_url(self.url)} (have: {known})")
        return rec

    def sessions(self) -> list[SessionRecord]:
        with self.begin() as conn:
            return [
                session_from_row(r)
                for r in conn.execute(select(sessions_t).order_by(sessions_t.c.id))
            ]

    def set_session_state(self, session_id: int, state: str) -> None:
        with self.begin() as conn:
            conn.execute(
                update(sessions_t).where(sessions_t.c.id == session_id).values(state=state)
            )

    def request_stop(self, session_id: int, stop: bool = True) -> None:
        with self.begin() as conn:
            conn.execute(
                update(sessions_t).where(sessions_t.c.id == session_id).values(stop_requested=stop)
            )

    # -- sprints ---------------------------------------------------------------------------
    def add_sprint(
        self, conn: Connection, session_id: int, number: int, study: str, plan: SprintPlan
    ) -> None:
        conn.execute(
            insert(sprints_t).values(
                session_id=session_id,
                number=number,
                study_name=study,
                plan=plan.to_dict(),
                state="setup",
                started_at=now(),
            )
        )

    def sprints(self, session_id: int) -> list[SprintRecord]:
        with self.begin() as conn:
            rows = conn.execute(
                select(sprints_t)
                .where(sprints_t.c.session_id == session_id)
                .order_by(sprints_t.c.number)
            )
            return [sprint_from_row(r) for r in rows]

    def mark_sprint_running(self, sprint_id: int) -> bool:
        with self.begin() as conn:
            res = conn.execute(
                update(sprints_t)
                .where(sprints_t.c.id == sprint_id)
                .where(sprints_t.c.state == "setup")
                .values(state="running", started_at=now())
            )
            return res.rowcount == 1

    def close_sprint(
        self, sprint: SprintRecord, proposal: dict[str, Any] | None, session_state: str
    ) -> bool:
        """Close a running sprint and store its proposal in one transaction; True for the winner."""
        with self.begin() as conn:
            res = conn.execute(
                update(sprints_t)
                .where(sprints_t.c.id == sprint.id)
                .where(sprints_t.c.state == "running")
                .values(state="closed", closed_at=now())
            )
            if res.rowcount != 1:
                return False
            if proposal is not None:
                conn.execute(
                    insert(proposals_t).values(
                        session_id=sprint.session_id,
                        after_sprint=sprint.number,
                        status="open",
                        created_at=now(),
                        **proposal,
                    )
                )
            conn.execute(
                update(sessions_t)
                .where(sessions_t.c.id == sprint.session_id)
                .values(state=session_state)
            )
            return True

    # -- proposals and decisions -------------------------------------------------------------
    def proposals(self, session_id: int) -> list[ProposalRecord]:
        with self.begin() as conn:
            rows = conn.execute(
                select(proposals_t)
                .where(proposals_t.c.session_id == session_id)
                .order_by(proposals_t.c.id)
            )
            return [proposal_from_row(r) for r in rows]

    def open_proposal(self, session_id: int) -> ProposalRecord | None:
        return next((p for p in self.proposals(session_id) if p.status == "open"), None)

    def decide(
        self,
        proposal: ProposalRecord,
        action: str,
        applied: SprintPlan | None,
        operator: str,
        note: str,
        next_sprint: tuple[int, str, SprintPlan] | None,
    ) -> bool:
        """Append the decision and (if any) the next sprint; False if someone decided first."""
        with self.begin() as conn:
            res = conn.execute(
                update(proposals_t)
                .where(proposals_t.c.id == proposal.id)
                .where(proposals_t.c.status == "open")
                .values(status="decided")
            )
            if res.rowcount != 1:
                return False
            conn.execute(
                insert(decisions_t).values(
                    proposal_id=proposal.id,
                    session_id=proposal.session_id,
                    action=action,
                    applied=None if applied is None else applied.to_dict(),
                    operator=operator,
                    note=note,
                    created_at=now(),
                )
            )
            if next_sprint is not None:
                number, study, plan = next_sprint
                self.add_sprint(conn, proposal.session_id, number, study, plan)
            state = "running" if next_sprint is not None else "finished"
            conn.execute(
                update(sessions_t).where(sessions_t.c.id == proposal.session_id).values(state=state)
            )
            return True

    def decisions(self, session_id: int) -> list[DecisionRecord]:
        with self.begin() as conn:
            rows = conn.execute(
                select(decisions_t)
                .where(decisions_t.c.session_id == session_id)
                .order_by(decisions_t.c.id)
            )
            return [decision_from_row(r) for r in rows]

    # -- workers ---------------------------------------------------------------------------
    def register_worker(
        self, session_id: int, host: str, pid: int, gpu: str | None, log_path: str | None
    ) -> int:
        with self.begin() as conn:
            res = conn.execute(
                insert(workers_t).values(
                    session_id=session_id,
                    host=host,
                    pid=pid,
                    gpu=gpu,
                    log_path=log_path,
                    started_at=now(),
                    last_seen=now(),
                )
            )
            return int(res.inserted_primary_key[0])

    def touch_worker(self, worker_id: int, stopped: bool = False) -> None:
        values: dict[str, Any] = {"last_seen": now()}
        if stopped:
            values["stopped_at"] = now()
        with self.begin() as conn:
            conn.execute(update(workers_t).where(workers_t.c.id == worker_id).values(**values))

    def workers(self, session_id: int) -> list[WorkerRecord]:
        with self.begin() as conn:
            rows = conn.execute(
                select(workers_t)
                .where(workers_t.c.session_id == session_id)
                .order_by(workers_t.c.id)
            )
            return [WorkerRecord(**r._mapping) for r in rows]

    # -- retries: trials whose slot was handed back (dead worker, stop) ----------------------
    def record_retry(self, study: str, trial_number: int, reason: str) -> bool:
        """Record once that a trial's slot was released; False if it already was."""
        try:
            with self.begin() as conn:
                conn.execute(
                    insert(retries_t).values(
                        study_name=study, trial_number=trial_number, reason=reason, created_at=now()
                    )
                )
            return True
        except IntegrityError:
            return False

    def retried_numbers(self, study: str) -> set[int]:
        with self.begin() as conn:
            rows = conn.execute(
                select(retries_t.c.trial_number).where(retries_t.c.study_name == study)
            )
            return {int(r[0]) for r in rows}

    def unbeaten_trial_ids(self, study: str, started_before: datetime) -> list[int]:
        """Running trials that never recorded a heartbeat and started before the given time.

        A worker killed between asking for a trial and its first heartbeat leaves such a trial;
        Optuna's own stale check skips trials without a heartbeat, so it would stay running
        forever and hold its budget slot. Reads Optuna's tables (``trials``, ``studies``,
        ``trial_heartbeats``; unchanged since Optuna 2.x). ``datetime_start`` is the asking
        host's local time, as Optuna writes it.
        """
        query = text(
            "SELECT t.trial_id FROM trials t JOIN studies s ON s.study_id = t.study_id "
            "LEFT JOIN trial_heartbeats h ON h.trial_id = t.trial_id "
            "WHERE s.study_name = :study AND t.state = 'RUNNING' AND h.trial_id IS NULL "
            "AND t.datetime_start < :before ORDER BY t.trial_id"
        ).bindparams(bindparam("before", type_=DateTime))
        with self.begin() as conn:
            rows = conn.execute(query, {"study": study, "before": started_before})
            return [int(r[0]) for r in rows]

    def count_sessions(self) -> int:
        with self.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(sessions_t)).scalar() or 0)


__all__ = [
    "SCHEMA_VERSION",
    "Store",
    "engine_options",
    "make_private_dir",
    "mask_url",
    "parse_url",
    "sqlite_path",
]
