"""PostgreSQL storage: a vanished or silent server never hangs a process, and foreign data is safe.

The tests that need a server use SPRINTOPT_TEST_POSTGRES (.ci/run starts one on loopback); each
works in a database of its own, created and dropped here, so that nothing foreign is left in the
shared one.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import optuna
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import engine.connecting as store_module
from engine.errors import ForeignDatabaseError, StoreError
from engine.store import Store
from tests.services import missing, needs_postgres

URL = os.environ.get("SPRINTOPT_TEST_POSTGRES")
needs_server = needs_postgres(URL)


@pytest.fixture
def fresh_db() -> Iterator[str]:
    """The URL of a new, empty database on the test server, dropped afterwards."""
    assert URL is not None
    name = f"sprintopt_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_silent_server_gives_a_message_within_the_connect_timeout(monkeypatch):
    """A server that accepts the connection and never answers (a hung box, a black-hole proxy)."""
    if importlib.util.find_spec("psycopg") is None:
        missing("needs psycopg: pip install -e '.[postgres]'")
    monkeypatch.setattr(store_module, "CONNECT_TIMEOUT", 1)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel completes the handshake; nobody ever speaks
    port = silent.getsockname()[1]
    outcome: list[BaseException | None] = []

    def open_store() -> None:
        try:
            Store(f"postgresql+psycopg://ann:s3cret@127.0.0.1:{port}/hpo", create=True)
            outcome.append(None)
        except BaseException as exc:  # reported below
            outcome.append(exc)

    try:
        started = time.monotonic()
        opener = threading.Thread(target=open_store, daemon=True)
        opener.start()
        opener.join(15)
        assert not opener.is_alive(), "opening the store hung on a silent server"
        assert time.monotonic() - started < 10
    finally:
        silent.close()
    [error] = outcome
    assert isinstance(error, StoreError)
    assert "cannot open storage" in str(error) and "s3cret" not in str(error)


@needs_server
def test_both_engines_carry_the_timeouts_and_keepalives(fresh_db):
    store = Store(fresh_db, create=True)
    try:
        for engine in (store.engine, store.optuna_storage().engine):
            with engine.connect() as conn:
                assert conn.execute(text("SHOW statement_timeout")).scalar() == "1min"
                params = conn.connection.dbapi_connection.info.get_parameters()
            assert params["connect_timeout"] == "10"
            assert (params["keepalives"], params["keepalives_idle"]) == ("1", "10")
            assert (params["keepalives_interval"], params["keepalives_count"]) == ("5", "3")
    finally:
        store.close()


@needs_server
def test_settings_in_the_url_win_over_the_defaults(fresh_db):
    url = f"{fresh_db}?connect_timeout=3&options=-c%20statement_timeout%3D5000"
    store = Store(url, create=True)
    try:
        with store.engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar() == "5s"
            params = conn.connection.dbapi_connection.info.get_parameters()
        assert params["connect_timeout"] == "3" and params["keepalives"] == "1"
    finally:
        store.close()


@needs_server
def test_a_statement_past_the_timeout_is_cancelled(fresh_db, monkeypatch):
    monkeypatch.setattr(store_module, "STATEMENT_TIMEOUT_MS", 500)
    store = Store(fresh_db, create=True)
    try:
        started = time.monotonic()
        with pytest.raises(Exception, match="statement timeout"):
            with store.begin() as conn:
                conn.execute(text("SELECT pg_sleep(30)"))
        assert time.monotonic() - started < 10
    finally:
        store.close()


@needs_server
def test_a_pooled_connection_the_server_dropped_is_replaced(fresh_db):
    store = Store(fresh_db, create=True)
    try:
        store.sessions()  # one connection now waits in the pool
        killer = create_engine(fresh_db, isolation_level="AUTOCOMMIT")
        with killer.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        killer.dispose()
        assert store.sessions() == []
    finally:
        store.close()


@needs_server
def test_a_foreign_optuna_database_on_the_server_is_refused_untouched(fresh_db):
    optuna.create_study(study_name="t:1:scout", storage=fresh_db).enqueue_trial({"x": 1.0})
    engine = create_engine(fresh_db)
    before = set(inspect(engine).get_table_names())
    with pytest.raises(ForeignDatabaseError, match="holds Optuna's tables"):
        Store(fresh_db, create=True)
    assert set(inspect(engine).get_table_names()) == before
    store = Store(fresh_db, create=True, adopt_foreign=True)
    try:
        assert store.foreign_study("t:1:scout", "t", "minimize") is not None
    finally:
        store.close()
        engine.dispose()
