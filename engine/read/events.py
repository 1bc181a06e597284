"""The session's event feed: prunes, failures, retries, sprint transitions, proposals, decisions.

Built from what the store and the studies already hold (no event table): each event's time is
when its trial finished or its record was written. Only the newest events get their text, so a
session with many thousand trials stays cheap to poll.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from itertools import chain
from operator import itemgetter
from typing import Any, Literal

from optuna.trial import FrozenTrial, TrialState

from engine.attrs import FAIL_REASON, OVER_BUDGET, RETRY_OF
from engine.optuna_internals import storage_trial_id
from engine.read.memo import Patch, PerTrial
from engine.records import DecisionRecord, ProposalRecord, SprintRecord
from engine.states import SprintState

EventKind = Literal["prune", "failure", "retry", "sprint", "proposal", "decision"]


@dataclass(frozen=True)
class Event:
    at: datetime  # naive UTC, like the store's timestamps
    kind: EventKind
    sprint: int
    trial: int | None
    text: str


@dataclass(frozen=True)
class _Pending:
    at: datetime
    kind: EventKind
    sprint: int
    trial: int | None
    text: str  # for a prune: filled in once the newest events are known


Explain = Callable[[SprintRecord, Sequence[FrozenTrial], set[int]], dict[int, str]]


def utc(local: datetime) -> datetime:
    """Optuna stamps trials in local time; the store in UTC. Compare them in UTC."""
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def session_events(
    sprints: Sequence[SprintRecord],
    trials: Callable[[SprintRecord], Sequence[FrozenTrial]],
    handed_back: Callable[[SprintRecord], set[int]],
    proposals: Sequence[ProposalRecord],
    decisions: Sequence[DecisionRecord],
    explain: Explain,
    limit: int = 200,
    memo: EventsMemo | None = None,
    patch: Callable[[SprintRecord], Patch | None] | None = None,
) -> list[Event]:
    """The newest ``limit`` events, oldest first; ``explain`` words the prunes among them.

    ``memo``: what a reader that polls keeps between polls (:class:`EventsMemo`); ``patch``:
    how each sprint's trials came from those of the poll before (``TrialCache.patch``).
    """
    memo = EventsMemo() if memo is None else memo
    keyed: list[_Keyed] = []
    for sprint in sprints:
        keyed += _in_order(_sprint_events(sprint), 0)
        if sprint.state != SprintState.SETUP:
            how = None if patch is None else patch(sprint)
            keyed += memo.newest(sprint, trials(sprint), handed_back(sprint), limit, how)
    by_sprint = {p.id: p.after_sprint for p in proposals}
    made = [
        _Pending(p.created_at, "proposal", p.after_sprint, None, _proposal_text(p))
        for p in proposals
    ]
    keyed += _in_order(made, 1)
    afters = [by_sprint.get(d.proposal_id, 0) for d in decisions]
    made = [
        _Pending(d.created_at, "decision", after, None, _decision_text(d, after))
        for d, after in zip(decisions, afters, strict=True)
    ]
    keyed += _in_order(made, 2)
    newest = [e for _, e in _newest(keyed, limit)]
    texts: dict[tuple[int, int], str] = {}
    for sprint in sprints:
        numbers = {e.trial for e in newest if e.kind == "prune" and e.sprint == sprint.number}
        found = explain(sprint, trials(sprint), numbers) if numbers else {}  # type: ignore[arg-type]
        texts.update({(sprint.number, n): text for n, text in found.items()})
    return [
        Event(e.at, e.kind, e.sprint, e.trial, texts.get((e.sprint, e.trial or -1), e.text))
        for e in newest
    ]


#: An event with the key it is ordered by: (time, sprint, trial or -1, then what keeps two
#: events at one time of one trial in the order they were made: sprints' events, proposals,
#: decisions; a trial's storage id and its events in order). No two keys are equal.
_Keyed = tuple[tuple[Any, ...], _Pending]


def _in_order(events: Sequence[_Pending], group: int) -> list[_Keyed]:
    """Events of no trial, keyed in the order they come (``group``: sprints' events 0,
    proposals 1, decisions 2)."""
    return [((e.at, e.sprint, -1, group, 0, i), e) for i, e in enumerate(events)]


def _newest(keyed: Iterable[_Keyed], limit: int) -> list[_Keyed]:
    """The ``limit`` newest, oldest first."""
    return heapq.nlargest(limit, keyed, key=itemgetter(0))[::-1]


class EventsMemo:
    """What :func:`session_events` keeps between polls, per sprint (:class:`_SprintEvents`)."""

    def __init__(self) -> None:
        self._sprints: dict[str, _SprintEvents] = {}

    def newest(
        self,
        sprint: SprintRecord,
        trials: Sequence[FrozenTrial],
        handed_back: set[int],
        limit: int,
        patch: Patch | None = None,
    ) -> list[_Keyed]:
        """The sprint's newest ``limit`` trial events, oldest first. ``patch``: how ``trials``
        came from the list of an earlier poll (``TrialCache.patch``)."""
        memo = self._sprints.get(sprint.study_name)
        if memo is None:
            memo = self._sprints[sprint.study_name] = _SprintEvents(sprint.number)
        return memo.newest(trials, frozenset(handed_back), limit, patch)


@dataclass(frozen=True)
class _Seen:
    trials: Sequence[FrozenTrial]
    back: frozenset[int]
    limit: int
    events: list[tuple[_Keyed, ...]]  # of each trial, in order
    newest: list[_Keyed]


class _SprintEvents:
    """One sprint's trial events: each trial's kept while it, the trial it retries and whether
    it was handed back are the same; the newest kept while the trials and hand-backs are. At a
    poll that only added trials or replaced ones without events (running ones), only those are
    looked at."""

    def __init__(self, sprint: int) -> None:
        self._per_trial = PerTrial[tuple[_Keyed, ...]](partial(_trial_events, sprint))
        self._seen: _Seen | None = None
        self._origins: set[int] = set()  # the numbers of the trials that others retry

    def newest(
        self,
        trials: Sequence[FrozenTrial],
        back: frozenset[int],
        limit: int,
        patch: Patch | None,
    ) -> list[_Keyed]:
        seen = self._seen
        same = seen is not None and seen.back == back and seen.limit == limit
        if seen is not None and same and seen.trials is trials:
            return seen.newest
        if not same or patch is None or seen is None or patch[0] is not seen.trials:
            patch = None
        elif any(trials[i].number in self._origins for i in patch[1]):
            patch = None  # a retried trial changed: its retry's event may have too
        if patch is None:
            self._origins = set()
        by_number: dict[int, FrozenTrial] = {}

        def inputs(t: FrozenTrial) -> tuple[object, ...]:
            origin = t.user_attrs.get(RETRY_OF)
            if origin is None:
                return None, t.number in back
            self._origins.add(origin)
            if not by_number:
                by_number.update((u.number, u) for u in trials)
            return by_number.get(origin), t.number in back

        events = self._per_trial.each(trials, inputs, patch)
        if (
            patch is not None
            and seen is not None
            and not any(seen.events[i] for i in patch[1] if i < len(seen.events))
        ):  # none of the newest went: the newest of them and the changed trials' events
            newest = _newest(seen.newest + [e for i in patch[1] for e in events[i]], limit)
        else:
            newest = _newest(chain.from_iterable(events), limit)
        self._seen = _Seen(trials, back, limit, events, newest)
        return newest


def _sprint_events(sprint: SprintRecord) -> list[_Pending]:
    plan = sprint.plan
    started = (
        f"sprint {sprint.number} {plan.name} started: {plan.fidelity.describe()}, "
        f"{plan.sampler}/{plan.pruner}, {plan.budget} trials"
    )
    out = [_Pending(sprint.started_at, "sprint", sprint.number, None, started)]
    if sprint.closed_at is not None:
        closed = f"sprint {sprint.number} {plan.name} closed"
        out.append(_Pending(sprint.closed_at, "sprint", sprint.number, None, closed))
    return out


def _trial_events(
    k: int, t: FrozenTrial, old: FrozenTrial | None, handed_back: bool
) -> tuple[_Keyed, ...]:
    """Trial ``t`` of sprint ``k``'s events: its retry of ``old`` (when it retries one of the
    sprint's trials), and its prune or failure (unless it was handed back)."""
    if t.user_attrs.get(OVER_BUDGET):
        return ()
    out: list[_Pending] = []
    if old is not None:
        at = old.datetime_complete or old.datetime_start
        if at is not None:
            text = f"trial {old.number} re-queued as trial {t.number} ({_retry_reason(old)})"
            out.append(_Pending(utc(at), "retry", k, t.number, text))
    if t.datetime_complete is not None and not handed_back:
        at = utc(t.datetime_complete)
        if t.state == TrialState.PRUNED:
            out.append(_Pending(at, "prune", k, t.number, f"trial {t.number} pruned"))
        elif t.state == TrialState.FAIL:
            reason = str(t.user_attrs.get(FAIL_REASON) or "no reason recorded").splitlines()[0]
            out.append(_Pending(at, "failure", k, t.number, f"trial {t.number} failed: {reason}"))
    tid = storage_trial_id(t)
    return tuple(((e.at, k, t.number, 0, 1, tid, j), e) for j, e in enumerate(out))


def _retry_reason(old: FrozenTrial) -> str:
    reason = str(old.user_attrs.get(FAIL_REASON) or "")
    if reason:
        return reason.splitlines()[0]
    return "its worker stopped sending heartbeats"


def _proposal_text(p: ProposalRecord) -> str:
    summary = p.evidence.summary or None
    text = f"proposal after sprint {p.after_sprint}: next {p.plan.name}"
    return text + (f"; {summary}" if summary else f" at {p.plan.fidelity.describe()}")


def _decision_text(d: DecisionRecord, after: int) -> str:
    text = f"proposal after sprint {after} {d.action} by {d.operator}"
    return text + (f": {d.note}" if d.note else "")
