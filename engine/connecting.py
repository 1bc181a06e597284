"""How the engine connects: the engine options that bound a connection in time (SQLite waits
for its lock; a server is pinged, with connect, statement and TCP-keepalive timeouts), for our
engine and Optuna's alike."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import URL

from engine.dbfile import SQLITE_BUSY_SECONDS

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
