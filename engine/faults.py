"""The infrastructure's faults: telling a storage error from the objective's, and riding it out.

A storage fault (the server restarting, a connection cut, the SQLite file read-only, the disk
full) is nobody's mistake in the spec or the objective: nothing is counted, the caller waits
with a capped backoff and tries again, and a person is told only when a person must act.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from optuna.exceptions import StorageInternalError
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError, TimeoutError

log = logging.getLogger("sprintopt.storage")
T = TypeVar("T")

#: What only a person can fix: said plainly in the log (and on the worker row once it is back).
NEEDS_A_PERSON = {
    "database or disk is full": "the disk holding the database is full: free some space",
    "disk i/o error": "the database file cannot be written (disk error or permissions)",
    "readonly database": "the database file is read-only: give the worker's user write access",
    "read-only": "the database file is read-only: give the worker's user write access",
    "permission denied": "permission denied on the database: check its owner and mode",
    "unable to open database": "the database file cannot be opened: check its path and rights",
    "no space left": "the disk holding the database is full: free some space",
}


class StorageLost(BaseException):
    """Raised through the objective when the storage failed under one of its calls.

    A ``BaseException``, so an objective's own ``except Exception`` cannot swallow it: the
    trial is handed back and re-queued, never counted as the objective's failure.
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe(cause))
        self.cause = cause


#: SQLite errors after which a pooled connection must not be used again (engine.dbfile): one
#: opened while the file was read-only stays so, and an I/O error may leave it broken.
STALE_CONNECTION = ("readonly database", "disk i/o error")

#: Errors of the database's shape, not its reachability: waiting will not cure them.
DAMAGE = ("no such table", "no such column", "syntax error", "malformed", "not a database")


def is_storage_fault(exc: BaseException) -> bool:
    """Whether ``exc`` is the storage failing (not a bug, not the objective's fault)."""
    if isinstance(exc, StorageLost):
        return True
    if any(word in describe(exc).lower() for word in DAMAGE):
        return False
    if isinstance(exc, (OperationalError, DisconnectionError, TimeoutError, StorageInternalError)):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return True
    module = type(exc).__module__ or ""
    if module.startswith("psycopg") and type(exc).__name__ in (
        "OperationalError",
        "InterfaceError",
    ):
        return True
    # Only an explicit cause (``raise ... from fault``) is followed. An error raised while a
    # fault was being handled (the storage's answer once it is back, such as "this trial has
    # already finished", or a bug in the recovery) is not itself a fault: taken for one, it
    # would be retried for ever.
    cause = exc.__cause__
    return cause is not None and cause is not exc and is_storage_fault(cause)


def describe(exc: BaseException) -> str:
    """The first line of the driver's message, without SQL or parameters."""
    inner = getattr(exc, "orig", None) or exc.__cause__ or exc
    if isinstance(exc, StorageLost):
        return str(exc)
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    return f"{type(inner).__name__}: {text}"[:300]


def person_needed(exc: BaseException) -> str | None:
    """What a person must fix, when the fault is one that waiting will not cure."""
    return fix_for(describe(exc))


def fix_for(reason: str) -> str | None:
    """What a person must fix for a fault described as ``reason`` (None: waiting will do)."""
    text = reason.lower()
    return next((fix for key, fix in NEEDS_A_PERSON.items() if key in text), None)


@dataclass
class Outage:
    """One worker's view of the storage: up, or away since when; the backoff to wait."""

    first: float = 0.5
    cap: float = 10.0  # a fixed fault is noticed within seconds; a poll is cheap
    since: float | None = None  # time.time() of the first failure of this outage
    failures: int = 0
    reason: str = ""
    clock: Callable[[], float] = field(default=time.time)
    #: Told of every failed try and of the recovery (a worker leaves a note for `status`).
    listener: Callable[[Outage], None] | None = None

    def failed(self, exc: BaseException) -> float:
        """Note a failure; the seconds to wait before the next try."""
        if self.since is None:
            self.since = self.clock()
        self.failures += 1
        self.reason = describe(exc)
        fix = self.fix
        wait = min(self.cap, self.first * 2.0 ** min(self.failures - 1, 16))
        away = self.clock() - self.since
        if fix is not None:
            log.error(
                "storage unusable for %.0fs: %s (%s); a person must act, retrying in %.1fs",
                away, fix, self.reason, wait,
            )  # fmt: skip
        else:
            log.warning(
                "storage unreachable for %.0fs: %s; retrying in %.1fs", away, self.reason, wait
            )
        self._tell()
        return wait

    @property
    def fix(self) -> str | None:
        """What a person must do, while the outage is one that waiting will not cure."""
        return fix_for(self.reason)

    def recovered(self) -> None:
        if self.since is not None:
            log.warning(
                "storage back after %.1fs (%d failed tries)",
                self.clock() - self.since,
                self.failures,
            )
            self.since, self.failures, self.reason = None, 0, ""
            self._tell()

    def _tell(self) -> None:
        if self.listener is not None:
            self.listener(self)

    @property
    def away(self) -> bool:
        return self.since is not None


def patiently(
    call: Callable[[], T],
    outage: Outage,
    *,
    sleep: Callable[[float], None] = time.sleep,
    giving_up: Callable[[], bool] = lambda: False,
) -> T:
    """``call()`` until it gets through a storage fault; other errors go to the caller.

    ``giving_up()`` is asked between tries (a stop request, for example): when it says so,
    the last storage fault is raised.
    """
    while True:
        try:
            result = call()
        except Exception as exc:
            if not is_storage_fault(exc):
                raise
            wait = outage.failed(exc)
            if giving_up():
                raise
            sleep(wait)
            continue
        outage.recovered()
        return result
