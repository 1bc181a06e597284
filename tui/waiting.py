"""``sprintopt status NAME --wait``: poll a session until a person is needed, and say why."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from engine import SessionState

if TYPE_CHECKING:
    from engine import SessionReader

#: `status --wait`: how it says what it waited for (2 stays the operator's mistake, 130 Ctrl-C).
WAIT_FINISHED, WAIT_PROPOSAL, WAIT_STOPPED = 0, 3, 4
WAIT_EPILOG = (
    "With --wait, status blocks until a person is needed, then prints the status and says why "
    f"in its exit code: {WAIT_FINISHED} the session finished, {WAIT_PROPOSAL} a proposal waits "
    f"for a decision, {WAIT_STOPPED} the session was stopped (sprintopt stop: nothing runs "
    "until a worker resumes it). A session already there returns at once. It reads the "
    "storage (read-only) every --interval seconds and waits out an unreachable one. Exit code "
    "2 is a mistake (no such session, a bad option); Ctrl-C leaves with 130, and the workers "
    "keep running. For example: sprintopt status NAME --wait; [ $? = 3 ] && notify-send "
    "'a proposal waits'"
)


def wait_for_person(session: SessionReader, interval: float) -> int:
    """Poll the session's record until a person is needed; the exit code that says why."""
    from engine import describe, is_storage_fault

    said = False
    while True:
        try:
            rec = session.refresh()
        except Exception as exc:  # the storage away: wait it out, as the workers do
            if not is_storage_fault(exc):
                raise
            print(f"storage unreachable ({describe(exc)}); still waiting", file=sys.stderr)
        else:
            if rec.state == SessionState.FINISHED:
                return WAIT_FINISHED
            if rec.state == SessionState.AWAITING:
                return WAIT_PROPOSAL
            if rec.stop_requested:
                return WAIT_STOPPED
            if not said:
                print(
                    f"waiting for session {session.name}: a proposal or its end "
                    "(Ctrl-C leaves; the workers keep running)",
                    file=sys.stderr,
                    flush=True,
                )
                said = True
        time.sleep(interval)
