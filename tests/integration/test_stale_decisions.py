"""A decision names the proposal it answers; one for a proposal no longer open is refused."""

from __future__ import annotations

import pytest

from engine.errors import StaleProposalError
from engine.session import Session
from engine.spec import load_spec
from engine.worker import Worker, WorkerOptions
from tui.cli import main

SPRINTS = [
    {"name": "a", "trials": 8, "sampler": "random"},
    {"name": "b", "trials": 4, "epochs": 2},
    {"name": "c", "trials": 3, "epochs": 3},
]
EXTRA = """
[advisor]
top_k = 3
carry_over = 1
probes = 0
"""


def _run_until_awaiting(sd, session: Session) -> None:
    worker = Worker(WorkerOptions(sd.name, sd.url, poll=0.01, search_path=[str(sd.path)]))
    try:
        while session.refresh().state == "running":
            worker._step()
    finally:
        worker.session.store.close()
    assert session.refresh().state == "awaiting"


@pytest.fixture
def awaiting(session_dir):
    sd = session_dir(sprints=SPRINTS, extra=EXTRA)
    spec = load_spec(sd.spec)
    session = Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session
    _run_until_awaiting(sd, session)
    return sd, session


def test_a_second_handle_cannot_decide_what_the_first_decided(awaiting):
    sd, first = awaiting
    second = Session.open(sd.name, sd.url)
    edited = second.open_proposal().plan.with_changes(budget=7)
    first.decide("accepted", after=1)
    with pytest.raises(StaleProposalError, match="already accepted by"):
        second.decide("edited", plan=edited, after=1)
    [decision] = first.decisions()
    assert decision.action == "accepted" and decision.applied.budget != 7
    assert [s.number for s in first.sprints()] == [1, 2]


def test_the_refusal_is_made_in_the_transaction_that_would_write(awaiting, monkeypatch):
    """Between reading the open proposal and writing, another process decided it."""
    sd, first = awaiting
    second = Session.open(sd.name, sd.url)
    stale = second.open_proposal()
    first.decide("rejected", after=1)
    monkeypatch.setattr(second, "_proposal_to_decide", lambda after: stale)
    with pytest.raises(StaleProposalError, match="nothing was written"):
        second.decide("accepted", after=1)
    assert [d.action for d in first.decisions()] == ["rejected"]
    assert [s.number for s in first.sprints()] == [1, 2]


def test_an_old_review_cannot_decide_the_next_proposal(awaiting):
    """The reported defect: sprint 1's review left open decides sprint 2's proposal."""
    sd, session = awaiting
    old_review = Session.open(sd.name, sd.url)
    old_plan = old_review.open_proposal().plan.with_changes(budget=7)
    session.decide("accepted", after=1)
    _run_until_awaiting(sd, session)  # sprint 2 ran; its proposal (for sprint c) waits
    waiting = session.open_proposal()
    assert waiting.after_sprint == 2
    for action, plan in (("edited", old_plan), ("accepted", None), ("rejected", None)):
        with pytest.raises(StaleProposalError, match="follows sprint 2"):
            old_review.decide(action, plan=plan, after=1)
    assert len(session.decisions()) == 1 and session.open_proposal() == waiting
    # Without a name, a decision still answers whatever is open (today's command line).
    assert session.decide("accepted").proposal_id == waiting.id


def test_approve_after_another_sprint_exits_2_and_writes_nothing(awaiting, capsys):
    sd, session = awaiting
    assert main(["approve", "t", "--storage", sd.url, "--after", "2"]) == 2
    err = capsys.readouterr().err
    assert "follows sprint 1, not sprint 2" in err and "nothing was written" in err
    assert session.decisions() == [] and session.open_proposal().after_sprint == 1
    assert main(["approve", "t", "--storage", sd.url, "--after", "1", "--trials", "5"]) == 0
    assert session.decisions()[0].applied.budget == 5


def test_propose_names_the_proposal_and_how_to_decide_exactly_it(awaiting, capsys):
    sd, _ = awaiting
    assert main(["propose", "t", "--storage", sd.url]) == 0
    out = capsys.readouterr().out
    assert "Proposal after sprint 1" in out and "sprintopt approve t --after 1" in out


@pytest.mark.parametrize("bad", ["0", "-1", "one"])
def test_after_must_be_a_sprint_number(awaiting, capsys, bad):
    sd, session = awaiting
    with pytest.raises(SystemExit) as exit_info:
        main(["approve", "t", "--storage", sd.url, "--after", bad])
    assert exit_info.value.code == 2 and "--after" in capsys.readouterr().err
    assert session.decisions() == []
