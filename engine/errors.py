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


class StoreError(SessionError):
    """The storage cannot be used as given (its URL, its file, the database in it); nothing was
    changed. A ``SessionError`` because that is what opening a session raised before."""


class NoSessionsError(StoreError):
    """The database holds no sprintopt tables: empty, or another application's."""


class ForeignDatabaseError(StoreError):
    """Creating a session would add sprintopt's tables to another application's database."""


class DamagedStoreError(StoreError):
    """A sprintopt database that is not whole (tables missing, a garbled schema version)."""
