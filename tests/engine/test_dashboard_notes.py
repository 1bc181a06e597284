"""optuna-dashboard shows each sprint's plan, proposal and decision as the study's note."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
import sys
import time
from dataclasses import replace
from datetime import datetime

import optuna
import pytest
from sqlalchemy.exc import OperationalError

from engine import dashboard_notes
from engine.objective import Fidelity
from engine.proposal import Evidence, GateEvidence, ParamChange
from engine.records import DecisionRecord, ProposalRecord, SprintRecord
from engine.session import Session
from engine.space import FloatParam, Space
from engine.spec import load_spec
from engine.sprint import SprintPlan
from engine.sprint_note import Story, sprint_notes
from engine.states import Action, ProposalStatus, SprintState
from engine.worker import Worker, WorkerOptions

optuna_dashboard = pytest.importorskip("optuna_dashboard")  # the `dashboard` extra (in `dev`)
get_note = optuna_dashboard.get_note

SPRINTS = [
    {"name": "a", "trials": 5},
    {"name": "b", "trials": 4, "epochs": 2},
    {"name": "c", "trials": 4, "epochs": 3},
    {"name": "d", "trials": 4, "epochs": 4},
]
NOTE_VER = "dashboard:note_ver"


def _create(sd) -> Session:
    spec = load_spec(sd.spec)
    return Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session


def _run_until_waiting(sd, session: Session, timeout: float = 90) -> None:
    """A worker in this process, until a proposal waits (or the session finished)."""

    def waiting() -> bool:
        return session.refresh().state != "running" or time.monotonic() > deadline

    deadline = time.monotonic() + timeout
    worker = Worker(WorkerOptions(sd.name, sd.url, poll=0.01, search_path=[str(sd.path)]))
    try:
        worker.run(handle_signals=False, until=waiting)
    finally:
        worker.session.store.close()
    assert session.refresh().state != "running", "the sprint did not close in time"


def _note_version(study: optuna.Study) -> int | None:
    return study._storage.get_study_system_attrs(study._study_id).get(NOTE_VER)


def _studies(sd) -> list[optuna.Study]:
    return [
        optuna.load_study(study_name=n, storage=sd.url) for n in optuna.get_all_study_names(sd.url)
    ]


@pytest.fixture
def decided(session_dir):
    """Four sprints: the proposals after them accepted, edited with a note, rejected."""
    sd = session_dir(sprints=SPRINTS)
    session = _create(sd)
    _run_until_waiting(sd, session)
    session.decide("accepted", operator="ann@box", note="looks right", after=1)
    _run_until_waiting(sd, session)
    edited = session.open_proposal().plan.with_changes(budget=6)
    session.decide("edited", plan=edited, operator="bob@box", note="more trials\nat c", after=2)
    _run_until_waiting(sd, session)
    session.decide("rejected", operator="cy@box", after=3)
    yield sd, session
    session.store.close()


def test_each_sprints_note_tells_its_plan_proposal_and_decision(decided):
    sd, session = decided
    notes = {s.study_name: get_note(s) for s in _studies(sd)}
    assert list(notes) == ["t:1:a", "t:2:b", "t:3:c", "t:4:d"]
    a, b, c, d = notes.values()
    assert a.startswith("## Sprint 1: a\n") and "the spec's first sprint" in a
    assert "| fidelity | epochs=1 |" in a and "| budget | 5 trials |" in a
    assert "| sampler | random |" in a and "- `x`: [0, 1]" in a
    assert "### Proposal after sprint 1" in a and "fidelity gate: **" in a
    assert "### Decision: accepted" in a and "By ann@box at " in a and "> looks right" in a
    assert "Sprint 2 (`t:2:b`) runs the proposal as it stands." in a
    # The next sprint says which decision it came from.
    assert "created from the decision on the proposal after sprint 1, **accepted** by ann@box" in b
    assert "### Decision: edited" in b and "By bob@box" in b
    assert "> more trials\n> at c" in b
    assert "Sprint 3 (`t:3:c`) runs the proposal with these edits:" in b
    assert "edits:\n\n```\ntrials    4 -> 6\n```" in b
    assert "**edited** by bob@box" in c and "| budget | 6 trials |" in c
    assert "### Decision: rejected" in c and "By cy@box" in c
    assert "Sprint 4 (`t:4:d`) keeps this sprint's space" in c
    assert "**rejected** by cy@box" in d
    assert "| state | running |" in d and "### Proposal" not in d


def test_the_note_is_what_optuna_dashboards_own_api_serves(decided):
    sd, _ = decided
    app = optuna_dashboard.wsgi(sd.url)
    study = _studies(sd)[1]
    status, body = _get(app, f"/api/studies/{study._study_id}")
    assert status.startswith("200"), body
    note = json.loads(body)["note"]
    assert note["body"] == get_note(study) and "### Decision: edited" in note["body"]
    assert note["version"] >= 1


def test_notes_are_written_only_when_they_change(decided):
    sd, session = decided
    versions = [_note_version(s) for s in _studies(sd)]
    assert None not in versions
    assert dashboard_notes.write_notes(session) == 0
    Session.open(sd.name, sd.url).store.close()
    assert [_note_version(s) for s in _studies(sd)] == versions


def test_without_optuna_dashboard_a_decision_works_and_writes_nothing(
    session_dir, monkeypatch, caplog
):
    sd = session_dir(sprints=SPRINTS[:2])
    monkeypatch.setitem(sys.modules, "optuna_dashboard", None)  # import fails
    session = _create(sd)
    _run_until_waiting(sd, session)
    with caplog.at_level(logging.DEBUG, logger="sprintopt.dashboard"):
        decision = session.decide("accepted", note="fine", after=1)
    assert decision.action == "accepted" and [s.number for s in session.sprints()] == [1, 2]
    assert [_note_version(s) for s in _studies(sd)] == [None, None]
    assert [r for r in caplog.records if r.name == "sprintopt.dashboard"] == []
    # Once the package is there, opening the session writes what was missed.
    monkeypatch.setitem(sys.modules, "optuna_dashboard", optuna_dashboard)
    Session.open(sd.name, sd.url).store.close()
    assert "### Decision: accepted" in get_note(_studies(sd)[0])
    session.store.close()


def test_a_failure_to_write_notes_is_logged_once_and_the_decision_stands(
    session_dir, monkeypatch, caplog
):
    sd = session_dir(sprints=SPRINTS[:3])
    session = _create(sd)
    _run_until_waiting(sd, session)

    class Broken:
        def get_note(self, study):
            return ""

        def save_note(self, study, body):
            raise OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(dashboard_notes, "_dashboard", lambda: Broken())
    monkeypatch.setattr(dashboard_notes, "_said", set())
    with caplog.at_level(logging.WARNING, logger="sprintopt.dashboard"):
        session.decide("accepted", after=1)
        assert dashboard_notes.write_notes(session) == 0
    assert [d.action for d in session.decisions()] == ["accepted"]
    assert session.current().state == "running"
    [record] = [r for r in caplog.records if r.name == "sprintopt.dashboard"]
    assert "notes not written (OperationalError: database is locked)" in record.getMessage()
    session.store.close()


def test_the_fidelity_objectives_read_has_no_noted_and_the_plan_keeps_it(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 2, "epochs": "2, seq_len = 64"}])
    session = _create(sd)
    sprint = session.current()
    fidelity = sprint.plan.fidelity
    assert fidelity.noted == ("seq_len",) and fidelity.extra["seq_len"] == 64
    assert SprintPlan.from_dict(sprint.plan.to_dict()) == sprint.plan  # the plan keeps it
    _run_until_waiting(sd, session)
    study = session.study(sprint)
    attrs = [study.user_attrs["sprintopt.fidelity"]]
    attrs += [t.user_attrs["sprintopt.fidelity"] for t in study.get_trials()]
    assert len(attrs) == 3
    for attr in attrs:
        assert "noted" not in attr and attr["extra.seq_len"] == 64
        assert Fidelity.from_dict(attr) == replace(fidelity, noted=())
    session.store.close()


def _plan(name: str, low: float, high: float, epochs: float) -> SprintPlan:
    space = Space((FloatParam("x", low, high),), (("seed", 3),))
    return SprintPlan(name, space, Fidelity(amount=epochs), "tpe", "hyperband", 8, min_resource=2)


def _story(action: Action | None, note: str = "") -> Story:
    at = datetime(2024, 5, 1, 10, 32, 5)
    a, b = _plan("a", 0, 1, 1), _plan("b", 0.2, 0.5, 3)
    sprints = [SprintRecord(1, 1, 1, "s:1:a", a, SprintState.CLOSED, at, at)]
    gate = GateEvidence(pairs=4, spearman=0.9, passed=True, reason="ranks alike")
    x = ParamChange(old="[0, 1]", new="[0.2, 0.5]", action="cut", reason="top-5 span")
    evidence = Evidence(summary="cut x; next: b at epochs=3", gate=gate, params={"x": x})
    status = ProposalStatus.OPEN if action is None else ProposalStatus.DECIDED
    proposal = ProposalRecord(b, [{"x": 0.3}], evidence, 7, 1, 1, status, at)
    decisions = []
    if action is not None:
        applied = b if action == Action.ACCEPTED else b.with_changes(space=a.space)
        decisions.append(DecisionRecord(1, 7, 1, action, applied, "ann@box", note, at))
        sprints.append(SprintRecord(2, 1, 2, "s:2:b", applied, SprintState.RUNNING, at, None))
    return Story("s", sprints, [proposal], decisions)


def test_a_rejection_says_what_the_next_sprint_keeps_against_the_proposal():
    story = _story(Action.REJECTED, note="too early to cut")
    note = sprint_notes(story)["s:1:a"]
    assert "| pruner | hyperband from epochs 2 |" in note and "| sampler | tpe |" in note
    assert "- `x`: [0, 1]\n- `seed`: = 3 (frozen)" in note
    assert "cut x; next: b at epochs=3" in note
    assert "- fidelity gate: **passed**: ranks alike" in note
    assert "- `x`: `[0, 1] -> [0.2, 0.5]` (cut): top-5 span" in note
    assert "- carry over: 1 configuration, re-evaluated first" in note
    assert "### Decision: rejected\n\nBy ann@box at 2024-05-01 10:32:05 UTC." in note
    assert "> too early to cut" in note
    assert "Sprint 2 (`s:2:b`) keeps this sprint's space; against the proposal:" in note
    assert "```\nx: [0.2, 0.5] -> [0, 1] (widen)\n```" in note
    assert "**rejected** by ann@box at 2024-05-01 10:32:05 UTC" in sprint_notes(story)["s:2:b"]


def test_an_open_proposal_waits_and_a_last_sprint_ends_the_story():
    open_note = sprint_notes(_story(None))["s:1:a"]
    assert "### Proposal after sprint 1" in open_note and "_Waiting for a decision._" in open_note
    assert "### Decision" not in open_note
    story = _story(None)
    last = Story("s", story.sprints, [], [])
    assert "the session finished with it" in sprint_notes(last)["s:1:a"]


def _get(app, path: str) -> tuple[str, str]:
    """One GET through a WSGI app, without a server."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": True,
    }
    got: list[str] = []
    chunks = app(environ, lambda status, headers, exc_info=None: got.append(status))
    body = b"".join(chunks).decode()
    return got[0], body
