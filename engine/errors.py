"""The engine's exception types; the command line and the app decide how to show them."""

from __future__ import annotations


class SprintoptError(Exception):
    """Base of every error a user can act on; its message says what to do."""


class SpecError(SprintoptError):
    """The spec file is invalid; the message names the field and the fix."""


class SpaceError(SprintoptError):
    """An operation on a search space would make it invalid (empty, out of bounds)."""


class SessionError(SprintoptError):
    """The session does not exist, or is not in a state that allows the operation."""


class DecisionError(SprintoptError):
    """An operator's edit of a proposal is not valid."""


class StaleProposalError(SessionError):
    """The proposal being decided is no longer the open one: it was decided or replaced."""
