"""The lifecycles a session goes through, as types: each state is one member, stored as its value.

- a session runs sprints (``running``), waits for a decision on a proposal (``awaiting``) and
  ends (``finished``);
- a sprint is created (``setup``) until its study and carry-over exist, then ``running`` until
  its budget or time is spent, then ``closed``;
- a proposal is ``open`` until one decision makes it ``decided``;
- a decision ``accepted``, ``edited`` or ``rejected`` its proposal;
- a person is called (``[notify]``) when a ``proposal`` waits, the session is ``finished``,
  or its trials keep ``failing``.

They are ``StrEnum``s: a member equals its stored text, so rows, JSON and messages
read as before.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # Python 3.10: the same behaviour, by hand
    from enum import Enum

    class StrEnum(str, Enum):
        """A member is its value, as text (``enum.StrEnum`` from Python 3.11 on)."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return format(str(self.value), spec)


__all__ = ["Action", "NoticeEvent", "ProposalStatus", "SessionState", "SprintState", "StrEnum"]


class SessionState(StrEnum):
    RUNNING = "running"
    AWAITING = "awaiting"
    FINISHED = "finished"


class SprintState(StrEnum):
    SETUP = "setup"
    RUNNING = "running"
    CLOSED = "closed"


class ProposalStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"


class Action(StrEnum):
    """How a decision answered its proposal."""

    ACCEPTED = "accepted"
    EDITED = "edited"
    REJECTED = "rejected"


class NoticeEvent(StrEnum):
    """What a person is called for (the ``[notify]`` command's ``$SPRINTOPT_EVENT``)."""

    PROPOSAL = "proposal"  # a proposal waits for a decision
    FINISHED = "finished"  # the session ran its last sprint
    FAILING = "failing"  # trials of a sprint keep failing
