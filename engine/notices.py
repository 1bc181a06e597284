"""When a worker calls a person: a proposal waits, the session finished, trials keep failing.

Each notice is claimed in the store before the command runs (:meth:`Store.claim_notice`: one
row per session, event and occurrence), so however many workers see it, one calls. A proposal
and the session's end are seen by the one worker that closed the sprint; a failure streak by
each worker whose trial failed, and the claim, keyed by the streak's first trial, lets only one
of them call, once per streak. Nothing here stops or fails a worker: what goes wrong is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from optuna.trial import FrozenTrial, TrialState

from engine.attrs import FAIL_REASON, HISTORY, OVER_BUDGET
from engine.faults import describe
from engine.notify import Notice, Notifier, one_line
from engine.records import SprintRecord
from engine.session import Session
from engine.spec import FAILING_AFTER, NOTIFY_TIMEOUT
from engine.states import NoticeEvent, SessionState

log = logging.getLogger("sprintopt.notify")
ENDED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
#: How much of the last failure's reason a summary quotes.
REASON_LIMIT = 120


@dataclass(frozen=True)
class Streak:
    """The trials a sprint failed in a row, up to the last one that ended."""

    first: int  # the number of its first trial: the same for the whole streak
    length: int
    reason: str  # why its last trial failed


def failure_streak(trials: Sequence[FrozenTrial], handed_back: Collection[int]) -> Streak | None:
    """The failures that end the sprint's trials, in the order they ended (None if the last
    trial to end did not fail).

    Only the trials that count are judged: a trial handed back (the infrastructure's fault,
    not the objective's), failed over budget, or copied from an earlier sprint is skipped. A
    completed or pruned trial ends a streak.
    """
    ended = [
        t
        for t in trials
        if t.state in ENDED
        and t.number not in handed_back
        and not t.user_attrs.get(OVER_BUDGET)
        and HISTORY not in t.user_attrs
    ]
    ended.sort(
        key=lambda t: (t.datetime_complete.timestamp() if t.datetime_complete else 0.0, t.number)
    )
    run: list[FrozenTrial] = []
    for t in reversed(ended):
        if t.state != TrialState.FAIL:
            break
        run.append(t)
    if not run:
        return None
    reason = str(run[0].user_attrs.get(FAIL_REASON, "no reason recorded"))
    return Streak(first=run[-1].number, length=len(run), reason=reason)


class Notices:
    """What one worker tells a person, through its :class:`Notifier`."""

    def __init__(
        self,
        session: Session,
        notifier: Notifier,
        failing_after: int = FAILING_AFTER,
        auto_approve: bool = False,
        patiently: Callable[[Callable[[], bool]], bool] = lambda call: call(),
    ) -> None:
        self.session = session
        self.notifier = notifier
        self.failing_after = failing_after
        self.auto_approve = auto_approve
        self.patiently = patiently  # a claim waits out a storage outage, like the worker

    @classmethod
    def for_worker(
        cls,
        session: Session,
        command: str | None,
        auto_approve: bool,
        patiently: Callable[[Callable[[], bool]], bool],
    ) -> Notices:
        """The command is the worker's own (its environment); the rule is the session's."""
        rule = session.spec.notify
        notifier = Notifier(command, session.store.url, rule.timeout if rule else NOTIFY_TIMEOUT)
        failing_after = rule.failing_after if rule else FAILING_AFTER
        return cls(session, notifier, failing_after, auto_approve, patiently)

    def sprint_closed(
        self, sprint: SprintRecord, state: SessionState, trials: Sequence[FrozenTrial]
    ) -> None:
        """This worker closed ``sprint``, leaving the session in ``state``."""
        name, n = self.session.name, sprint.number
        closed = f"sprint {n} ({sprint.plan.name}) closed{self._best(trials)}"
        if state == SessionState.AWAITING:
            if self.auto_approve:
                return  # nobody needs to decide
            self._call(
                NoticeEvent.PROPOSAL,
                str(n),
                n,
                f"session {name}: {closed}; a proposal waits for your decision "
                f"(sprintopt propose {name}, then sprintopt approve {name} --after {n})",
            )
        elif state == SessionState.FINISHED:
            self._call(
                NoticeEvent.FINISHED,
                "",
                n,
                f"session {name} finished: its last {closed} (sprintopt status {name})",
            )

    def trial_failed(
        self, sprint: SprintRecord, trials: Sequence[FrozenTrial], handed_back: Collection[int]
    ) -> None:
        """A trial this worker ran failed: a streak long enough calls a person, once."""
        streak = failure_streak(trials, handed_back)
        if streak is None or streak.length < self.failing_after:
            return
        reason = one_line(streak.reason, REASON_LIMIT)
        self._call(
            NoticeEvent.FAILING,
            f"{sprint.number}:{streak.first}",
            sprint.number,
            f"session {self.session.name}, sprint {sprint.number} ({sprint.plan.name}): "
            f"{streak.length} trials in a row failed, the last: {reason}; the workers go on",
        )

    def _best(self, trials: Sequence[FrozenTrial]) -> str:
        done = (t for t in trials if t.state == TrialState.COMPLETE and HISTORY not in t.user_attrs)
        values = [t.value for t in done if t.value is not None]
        if not values:
            return ""
        return f", best {(max if self.session.maximize else min)(values):.6g}"

    def _call(self, event: NoticeEvent, key: str, sprint: int, summary: str) -> None:
        if not self.notifier.command:
            return  # claim nothing: a worker that has a command may call
        store, session_id = self.session.store, self.session.record.id
        try:
            if not self.patiently(lambda: store.claim_notice(session_id, event, key)):
                return  # another worker called
            log.info("notify %s: %s", event, summary)
            self.notifier.send(Notice(event, self.session.name, sprint, summary))
        except Exception as exc:  # a notice never stops a worker
            log.warning("notify %s: not sent: %s", event, describe(exc))

    def drain(self) -> None:
        self.notifier.drain()
