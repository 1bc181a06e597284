"""Decision commands: `propose` shows the waiting proposal, `approve` decides, `history`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

# The parser needs only these: `sprintopt approve --help` loads nothing of the runtime; the
# commands import the rest when they run.
from engine import EDIT_FLAGS, SessionError, StaleProposalError

if TYPE_CHECKING:
    from engine import Session, SprintPlan

Opener = Callable[[argparse.Namespace], "Session"]


class _Edit(argparse.Action):
    """Collects every edit flag, in the order given, into ``args.edits``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        ns: argparse.Namespace,
        value: object,
        option: str | None = None,
    ) -> None:
        edits = list(getattr(ns, "edits", None) or [])
        edits.append((self.dest, str(value)))
        ns.edits = edits


def _sprint_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a sprint number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: sprints are numbered from 1")
    return value


def _closed_plan(session: Session, after: int) -> SprintPlan:
    return next(s.plan for s in session.sprints() if s.number == after)


def cmd_propose(args: argparse.Namespace, open_session: Opener) -> int:
    from tui.proposal_text import render_proposal

    session = open_session(args)
    proposal = session.open_proposal()
    if proposal is None:
        raise SessionError(
            f"session {session.name} has no proposal waiting (it is {session.record.state})"
        )
    print(
        render_proposal(
            proposal, _closed_plan(session, proposal.after_sprint), proposal.after_sprint
        )
    )
    k = proposal.after_sprint
    print(
        f"\nthis is the proposal after sprint {k}; decide exactly this one with --after {k}:"
        f"\n  accept: sprintopt approve {session.name} --after {k}"
        "   edit: add --set/--freeze/--drop/...   reject: --reject"
    )
    return 0


def cmd_approve(args: argparse.Namespace, open_session: Opener) -> int:
    from engine import Action, apply_edits, parse_edits, plan_diff

    session = open_session(args)
    proposal = session.open_proposal()
    if proposal is None:
        raise SessionError(f"session {session.name} has no proposal waiting for a decision")
    if args.after is not None and args.after != proposal.after_sprint:
        raise StaleProposalError(
            f"--after {args.after}: the proposal waiting follows sprint {proposal.after_sprint}, "
            f"not sprint {args.after}; nothing was written (sprintopt propose {session.name} "
            "shows it)"
        )
    after = proposal.after_sprint  # decide the proposal read here, whatever happens meanwhile
    edits = getattr(args, "edits", None) or []
    if args.reject and edits:
        raise SessionError("--reject takes no edits: reject, or approve with edits")
    if args.reject:
        decision = session.decide(Action.REJECTED, note=args.note or "", after=after)
    elif edits:
        plan = apply_edits(proposal.plan, parse_edits(edits, session.spec), session.spec)
        decision = session.decide(Action.EDITED, plan=plan, note=args.note or "", after=after)
    else:
        decision = session.decide(Action.ACCEPTED, note=args.note or "", after=after)
    applied = decision.applied
    print(f"{decision.action} by {decision.operator}")
    if applied is not None:
        print(f"sprint {proposal.after_sprint + 1} ({applied.name}) starts:")
        closed = _closed_plan(session, proposal.after_sprint)
        for line in plan_diff(closed, applied):
            print(f"  {line}")
    return 0


def cmd_history(args: argparse.Namespace, open_session: Opener) -> int:
    from engine import plan_diff

    session = open_session(args)
    proposals = {p.id: p for p in session.store.proposals(session.record.id)}
    decisions = session.decisions()
    if not decisions:
        print(f"session {session.name}: no decisions yet")
    for d in decisions:
        p = proposals[d.proposal_id]
        when = d.created_at.strftime("%Y-%m-%d %H:%M:%S")
        note = f'  "{d.note}"' if d.note else ""
        print(f"{when}  after sprint {p.after_sprint}: {d.action} by {d.operator}{note}")
        if d.applied is not None:
            for line in plan_diff(p.plan, d.applied):
                print(f"    vs proposal: {line}")
    return 0


def add_decision_commands(
    sub: argparse._SubParsersAction,
    open_session: Opener,
    session_arg: Callable[[argparse.ArgumentParser], None],
) -> None:
    def add(
        name: str, func: Callable[[argparse.Namespace, Opener], int], text: str
    ) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=text, description=text)
        sp.set_defaults(func=lambda a: func(a, open_session))
        session_arg(sp)
        return sp

    add("propose", cmd_propose, "show the proposal waiting for a decision, with its evidence")
    a = add(
        "approve",
        cmd_approve,
        "accept the waiting proposal, edit it with the options below, or --reject it",
    )
    a.add_argument("--reject", action="store_true", help="keep the current space instead")
    a.add_argument(
        "--after",
        type=_sprint_number,
        metavar="K",
        help="decide only if the waiting proposal follows sprint K (as `propose` shows); "
        "refused, with nothing written, if it follows another",
    )
    a.add_argument("--note", help="a note stored with the decision")
    for flag, text in EDIT_FLAGS.items():
        a.add_argument(
            f"--{flag}", dest=flag, action=_Edit, metavar="EDIT", help=f"(repeatable) {text}"
        )
    add("history", cmd_history, "list the decisions taken in a session, oldest first")
