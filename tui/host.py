"""What a screen needs of the app it runs in: the session, the settings, and the other screens.

Screens reach the app through this :class:`Host`, not through ``tui.app``: the app imports
every screen, so a screen importing the app (or another screen) would close a cycle. Each
other screen is asked for by name, with its arguments typed, and the app alone builds it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence, Set
from typing import Protocol

from engine import SessionSummary
from tui.source import Source


class Host(Protocol):
    """The app as its screens see it (``SprintoptApp`` is the one; mypy holds it to this)."""

    @property
    def source(self) -> Source:
        """The session shown; only screens of an open session ask (it raises without one)."""
        ...

    @property
    def poll_seconds(self) -> float: ...

    @property
    def sessions_where(self) -> str:
        """Where the sessions listed were looked for, fit to show."""
        ...

    @property
    def storage_away(self) -> str | None:
        """While the storage cannot be reached: what the header says about it."""
        ...

    def list_sessions(self) -> list[SessionSummary]: ...

    def attach(self, name: str, url: str) -> None:
        """Open another session and show its dashboard."""

    def storage_failed(self, reason: str) -> None: ...

    def storage_answered(self) -> None: ...

    # -- the other screens, by name ------------------------------------------------------------
    def open_review(self) -> None:
        """Show the review of the waiting proposal."""

    def open_trial(self, sprint: int, number: int) -> None:
        """Show one trial's detail."""

    def open_campaign(self) -> None:
        """Show the sprints side by side: gates, best per fidelity, spaces."""

    def open_charts(self, sprint: int | None) -> None:
        """Show the full-screen charts of ``sprint`` (None: the newest)."""

    def open_sessions(self) -> None:
        """Show the sessions found, over the current screen."""

    def confirm(self, question: str, then: Callable[[], object]) -> None:
        """Ask ``question`` in a yes/no box; ``then()`` runs only on a yes."""

    def pick_columns(
        self,
        columns: Sequence[str],
        shown: Set[str],
        notes: Mapping[str, str],
        then: Callable[[frozenset[str] | None], None],
    ) -> None:
        """Let the operator tick ``columns``; ``then`` gets the ticked ones (None: cancelled)."""
