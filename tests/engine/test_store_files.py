"""The store never damages or adopts a database by mistake, and sets modes only on what it made."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import optuna
import pytest

from engine.errors import (
    DamagedStoreError,
    ForeignDatabaseError,
    NoSessionsError,
    SprintoptError,
    StoreError,
)
from engine.store import Store
from tui.cli import main as cli_main


def _url(path: Path) -> str:
    return f"sqlite:///{path}"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    """What a user would notice changed: the file's bytes, its mode, and what lies beside it."""
    return path.read_bytes(), _mode(path), sorted(p.name for p in path.parent.iterdir())


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _sprintopt_db(path: Path, mode: int = 0o600) -> Path:
    store = Store(_url(path), create=True)
    store.create_session("s", {"session": {"name": "s"}, "sprints": []}, "spec", [])
    store.optuna_storage()  # Optuna's tables too, as a real session has
    store.close()
    os.chmod(path, mode)
    return path


def _refused(path: Path, error: type[Exception], match: str, **store_kw: bool) -> None:
    before = _snapshot(path)
    with pytest.raises(error, match=match) as info:
        Store(_url(path), **store_kw)
    assert "\n" not in str(info.value)
    assert _snapshot(path) == before  # byte for byte, mode, and no side files left


OPENS = [
    pytest.param({"create": True}, id="run"),
    pytest.param({}, id="worker"),
    pytest.param({"readonly": True}, id="status"),
]


# -- not a database, damaged, foreign ---------------------------------------------------------
@pytest.mark.parametrize("store_kw", OPENS)
def test_a_file_that_is_not_a_database_is_refused_and_left_untouched(tmp_path, store_kw):
    notes = tmp_path / "notes.txt"
    notes.write_text("my shopping list\n")
    os.chmod(notes, 0o644)
    _refused(
        notes, StoreError, r"notes\.txt is not a SQLite database; it was left untouched", **store_kw
    )


@pytest.mark.parametrize("store_kw", OPENS)
def test_a_garbled_schema_version_is_refused_and_left_untouched(tmp_path, store_kw):
    db = _sprintopt_db(tmp_path / "s.db")
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE sprintopt_meta SET value = 'one point oh' WHERE key = 'schema_version'"
        )
    _refused(db, DamagedStoreError, r"schema version 'one point oh' is not a number", **store_kw)


@pytest.mark.parametrize("store_kw", OPENS)
def test_a_missing_sprintopt_table_is_refused_never_recreated(tmp_path, store_kw):
    db = _sprintopt_db(tmp_path / "s.db")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE sprintopt_sessions")
    _refused(db, DamagedStoreError, r"damaged: its table sprintopt_sessions is missing", **store_kw)
    assert "sprintopt_sessions" not in _tables(db)


def test_a_session_whose_trials_tables_are_gone_is_refused(session_dir):
    from engine.session import Session
    from engine.spec import load_spec

    sd = session_dir()
    opened = Session.create_or_resume(load_spec(sd.spec), "spec", sd.url, [])
    opened.session.store.close()  # its first sprint runs: its study is in Optuna's tables
    db = sd.path / "sessions" / "t.db"
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE trial_params")
    _refused(
        db, DamagedStoreError, "its sprints ran but Optuna's trial_params is missing", create=True
    )
    assert "trial_params" not in _tables(db)


def test_a_missing_schema_version_is_damage_not_a_fresh_start(tmp_path):
    db = _sprintopt_db(tmp_path / "s.db")
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM sprintopt_meta")
    _refused(db, DamagedStoreError, "has no schema version", create=True)
    _refused(db, DamagedStoreError, "has no schema version", readonly=True)


def test_a_malformed_database_gives_one_message(tmp_path):
    db = _sprintopt_db(tmp_path / "s.db")
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # keep the header, garble the schema page
    db.write_bytes(bytes(data))
    _refused(db, StoreError, "cannot open storage", create=True)


def _optuna_db(path: Path, study: str = "mine") -> Path:
    s = optuna.create_study(study_name=study, storage=_url(path))
    s.enqueue_trial({"x": 1.0})
    return path


def test_a_foreign_optuna_database_is_refused_unless_asked(tmp_path):
    db = _optuna_db(tmp_path / "optuna.db")
    _refused(db, ForeignDatabaseError, r"holds Optuna's tables .*--share-database", create=True)
    _refused(db, NoSessionsError, "holds no sprintopt sessions", readonly=True)
    before = _tables(db)
    Store(_url(db), create=True, adopt_foreign=True).close()
    assert _tables(db) > before and "sprintopt_sessions" in _tables(db)
    [study] = optuna.get_all_study_summaries(_url(db))
    assert study.study_name == "mine" and study.n_trials == 1


def test_another_applications_database_is_refused_unless_asked(tmp_path):
    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    _refused(db, ForeignDatabaseError, r"holds other tables \(invoices\)", create=True)


def test_an_empty_file_becomes_a_session_database(tmp_path):
    db = tmp_path / "s.db"
    db.touch()  # left by a run that died right after creating the file
    Store(_url(db), create=True).close()
    assert "sprintopt_sessions" in _tables(db)


# -- a study the session did not create is never adopted -------------------------------------
def test_foreign_study_names_a_study_the_session_did_not_create(tmp_path):
    db = _optuna_db(tmp_path / "shared.db", study="t:1:scout")
    store = Store(_url(db), create=True, adopt_foreign=True)
    try:
        reason = store.foreign_study("t:1:scout", "t", "minimize")
        assert reason is not None
        assert "an Optuna study named 't:1:scout' that sprintopt did not create" in reason
        assert "1 trial" in reason and "never adopted" in reason
        assert store.foreign_study("t:2:final", "t", "minimize") is None  # no such study
        storage = store.optuna_storage()
        # A study this session created (crash recovery loads it again) is its own.
        own = optuna.create_study(study_name="t:2:final", storage=storage)
        own.set_user_attr("sprintopt.session", "t")
        own.enqueue_trial({"x": 0.5})
        assert store.foreign_study("t:2:final", "t", "minimize") is None
        assert store.foreign_study("t:2:final", "u", "minimize") is not None
        # Created and not yet tagged (the process died in between): empty, so nothing to adopt
        # unless its direction differs.
        optuna.create_study(study_name="t:3:bare", storage=storage)
        assert store.foreign_study("t:3:bare", "t", "minimize") is None
        assert "maximize" in (store.foreign_study("t:3:bare", "t", "maximize") or "")
    finally:
        store.close()


# -- reads never write ------------------------------------------------------------------------
def test_a_read_only_open_changes_nothing(tmp_path):
    db = _sprintopt_db(tmp_path / "s.db", mode=0o640)
    before = _snapshot(db)
    store = Store(_url(db), readonly=True)
    assert [s.name for s in store.sessions()] == ["s"]
    store.optuna_storage().get_all_studies()
    store.close()
    assert _snapshot(db) == before  # the mode too: a reader never chmods


def test_a_read_only_open_never_creates_optunas_tables(tmp_path):
    db = tmp_path / "s.db"
    Store(_url(db), create=True).close()  # the process died before Optuna's tables existed
    before = _tables(db)
    store = Store(_url(db), readonly=True)
    with pytest.raises(StoreError, match="no Optuna tables yet"):
        store.optuna_storage()
    store.close()
    assert _tables(db) == before


@contextmanager
def _write_lock(db: Path) -> Iterator[None]:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def test_a_read_only_open_never_waits_for_the_write_lock(tmp_path):
    db = _sprintopt_db(tmp_path / "s.db")
    seen: list[object] = []

    def read() -> None:
        try:
            store = Store(_url(db), readonly=True)
            seen.append([s.name for s in store.sessions()])
            store.optuna_storage().get_all_studies()
            store.close()
        except Exception as exc:  # reported below
            seen.append(exc)

    with _write_lock(db):
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(10)  # a write would wait for the 60 s busy timeout
        assert not reader.is_alive() and seen == [["s"]]


def test_a_read_only_open_never_creates_a_database_or_directory(tmp_path):
    missing = tmp_path / "sessions" / "x.db"
    with pytest.raises(StoreError, match="no session database at"):
        Store(_url(missing), readonly=True)
    assert list(tmp_path.iterdir()) == []


# -- modes --------------------------------------------------------------------------------
@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def test_created_directories_and_files_are_owner_only_whatever_the_umask(tmp_path):
    db = tmp_path / "deep" / "sessions" / "x.db"
    with _umask(0):
        store = Store(_url(db), create=True)
        store.create_session("x", {"session": {"name": "x"}, "sprints": []}, "spec", [])
        side = {p.name: _mode(p) for p in db.parent.iterdir()}
        store.close()
    assert _mode(tmp_path / "deep") == 0o700 and _mode(db.parent) == 0o700
    assert side == {"x.db": 0o600, "x.db-wal": 0o600, "x.db-shm": 0o600}


def test_an_existing_parent_directory_keeps_its_mode(tmp_path):
    home = tmp_path / "shared"
    home.mkdir()
    os.chmod(home, 0o755)
    Store(_url(home / "x.db"), create=True).close()
    assert _mode(home) == 0o755 and _mode(home / "x.db") == 0o600


def test_an_existing_database_keeps_its_mode(tmp_path):
    db = _sprintopt_db(tmp_path / "s.db", mode=0o640)
    Store(_url(db), create=True).close()
    Store(_url(db)).close()
    assert _mode(db) == 0o640


def test_a_directory_given_as_storage_is_refused_and_keeps_its_mode(tmp_path):
    home = tmp_path / "sessions"
    home.mkdir()
    os.chmod(home, 0o755)
    for kw in ({"create": True}, {"readonly": True}):
        with pytest.raises(StoreError, match=r"sessions is a directory, not a database file"):
            Store(_url(home), **kw)
    assert _mode(home) == 0o755 and list(home.iterdir()) == []


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere it may; sysfs refuses even root
        return Path("/sys")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    return locked


BAD_STORAGE = [
    ("sqlite://", "names no database file"),
    ("sqlite:///:memory:", "in memory; a session must persist"),
    ("sqlite://host:notaport/x", "takes no host"),
    ("postgresql+psycopg://ann@db:notaport/hpo", "not a valid storage URL"),
    ("{dir}", "is a directory, not a database file"),
    ("{unwritable}/x.db", "cannot create"),
    ("{unwritable}/missing/x.db", "cannot create"),
]


@pytest.mark.parametrize(("storage", "message"), BAD_STORAGE)
def test_bad_storage_gives_one_message_and_creates_nothing(tmp_path, storage, message):
    home = tmp_path / "home"
    home.mkdir()
    storage = storage.format(dir=home, unwritable=_unwritable(tmp_path))
    url = storage if "://" in storage else _url(Path(storage))
    with pytest.raises(StoreError, match=message) as info:
        Store(url, create=True)
    assert "\n" not in str(info.value)
    assert list(home.iterdir()) == []
    assert not Path("/sys/missing").exists()


@pytest.mark.parametrize(("storage", "message"), BAD_STORAGE[:4])
def test_bad_storage_on_the_command_line_is_one_line_and_exit_2(
    session_dir, monkeypatch, capsys, storage, message
):
    sd = session_dir()
    monkeypatch.chdir(sd.path)
    code = cli_main(["run", "spec.toml", "--storage", storage, "--no-tui", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err
    assert err.count("\n") == 1
    assert not (sd.path / "sessions").exists()


def test_a_database_that_cannot_be_created_leaves_no_folders_behind(tmp_path):
    db = tmp_path / "sessions" / f"{'n' * 300}.db"  # past the file system's name limit
    with pytest.raises(StoreError, match="cannot create .*: File name too long"):
        Store(_url(db), create=True)
    assert list(tmp_path.iterdir()) == []


def test_store_errors_are_the_products_own(tmp_path):
    assert issubclass(StoreError, SprintoptError)
    for cls in (DamagedStoreError, ForeignDatabaseError, NoSessionsError):
        assert issubclass(cls, StoreError)


def test_a_session_never_adopts_an_optuna_study_with_its_sprints_name(tmp_path):
    from engine.session import Session
    from engine.spec import parse_spec

    db = tmp_path / "shared.db"
    Store(_url(db), create=True).close()  # a sprintopt database that plain Optuna users share
    _optuna_db(db, study="t:1:scout")
    spec = parse_spec(
        '[session]\nname = "t"\ndirection = "minimize"\nobjective = "objs:f"\n'
        '[space.x]\ntype = "float"\nlow = 0.0\nhigh = 1.0\n'
        '[fidelity]\nresource = "epochs"\nmax = 4\n'
        '[[sprints]]\nname = "scout"\ntrials = 2\n'
    )
    with pytest.raises(StoreError, match="never adopted"):
        Session.create_or_resume(spec, "spec", _url(db), [])
    [study] = optuna.get_all_study_summaries(_url(db))
    assert study.n_trials == 1 and study.user_attrs == {}


# -- listing sessions reads only, and says when it cannot --------------------------------
def test_listing_sessions_never_writes_and_says_why_it_cannot(tmp_path, capsys):
    from engine.read.views import find_sessions

    home = tmp_path / "sessions"
    home.mkdir()
    _sprintopt_db(home / "s.db", mode=0o640)
    junk = home / "junk.db"
    junk.write_text("not a database\n")
    _optuna_db(home / "plain.db")
    _sprintopt_db(tmp_path / "two.db")  # one database, two sessions
    store = Store(_url(tmp_path / "two.db"))
    store.create_session("s2", {"sprints": []}, "spec", [])
    store.close()  # the last connection folds the WAL into the file, ready to move
    os.replace(tmp_path / "two.db", home / "two.db")
    files = [home / n for n in ("junk.db", "plain.db", "s.db", "two.db")]
    before = {p.name: _snapshot(p) for p in files}
    found = find_sessions(home)
    # Every file is listed, in name order: each session, and each file that holds none, why.
    assert [(s.name, s.problem) for s in found] == [
        ("junk.db", "junk.db is not a SQLite database; it was left untouched"),
        ("plain.db", "plain.db holds no sprintopt sessions"),
        ("s", None),
        ("s", None),
        ("s2", None),
    ]
    assert {p.name: _snapshot(p) for p in files} == before
    assert find_sessions(url=_url(_optuna_db(tmp_path / "optuna.db"))) == []
    with pytest.raises(StoreError, match="not a SQLite database"):
        find_sessions(url=_url(junk))
    code = cli_main(["sessions", "--storage", "postgresql+psycopg://ann:s3cret@127.0.0.1:9/x"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot open storage" in err and "s3cret" not in err


def test_a_locked_or_damaged_database_is_listed_with_why_beside_the_sessions(tmp_path):
    from engine.read.views import find_sessions

    home = tmp_path / "sessions"
    home.mkdir()
    _sprintopt_db(home / "s.db")
    with sqlite3.connect(_sprintopt_db(home / "damaged.db")) as conn:
        conn.execute("DELETE FROM sprintopt_meta")
    locker = sqlite3.connect(home / "locked.db", isolation_level=None)
    locker.execute("CREATE TABLE t (x)")
    locker.execute("BEGIN EXCLUSIVE")  # another program writes it, in rollback-journal mode
    locker.execute("INSERT INTO t VALUES (1)")
    try:
        found = {s.name: s.problem for s in find_sessions(home)}  # waits its 5 s for the lock
    finally:
        locker.close()
    assert found["s"] is None
    damaged = found["damaged.db"]
    assert damaged is not None and damaged.startswith("damaged.db is damaged: it has no schema")
    assert found["locked.db"] == "cannot read locked.db: database is locked"
