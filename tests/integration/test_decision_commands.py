"""propose / approve (accept, edit, reject) / history from the command line."""

from __future__ import annotations

import pytest

from engine.session import Session
from engine.spec import load_spec
from engine.worker import Worker, WorkerOptions
from tui.cli import main

SPRINTS = [
    {"name": "a", "trials": 12, "sampler": "random"},
    {"name": "b", "trials": 4, "epochs": 2},
]
EXTRA = """
[space.act]
type = "categorical"
choices = ["relu", "tanh", "gelu"]

[advisor]
top_k = 4
carry_over = 2
probes = 0
"""


@pytest.fixture
def awaiting(session_dir):
    sd = session_dir(sprints=SPRINTS, extra=EXTRA)
    spec = load_spec(sd.spec)
    session = Session.create_or_resume(spec, sd.spec.read_text(), sd.url, [str(sd.path)]).session
    worker = Worker(WorkerOptions(sd.name, sd.url, poll=0.01, search_path=[str(sd.path)]))
    while session.refresh().state == "running":
        worker._step()
    assert session.refresh().state == "awaiting"
    return sd, session


def cli(sd, *args: str) -> int:
    return main([*args, "t", "--storage", sd.url])


def test_propose_prints_the_diff_and_the_evidence(awaiting, capsys):
    sd, _ = awaiting
    assert cli(sd, "propose") == 0
    out = capsys.readouterr().out
    assert "Proposal after sprint 1" in out and "Next sprint 2: b" in out
    assert "x " in out and "act" in out and "Carry over" in out


def test_approve_with_edits_records_the_edit_and_starts_that_sprint(awaiting, capsys):
    sd, session = awaiting
    code = main(
        [
            "approve",
            "t",
            "--storage",
            sd.url,
            "--set",
            "x=0.1:0.6",
            "--drop",
            "act=gelu",
            "--fidelity",
            "epochs=3",
            "--trials",
            "5",
            "--sampler",
            "tpe",
            "--pruner",
            "hyperband",
            "--min-resource",
            "2",
            "--note",
            "narrow it",
        ]
    )
    assert code == 0
    (decision,) = session.decisions()
    assert (decision.action, decision.note) == ("edited", "narrow it")
    sprint = session.current()
    assert sprint.number == 2 and sprint.state == "running"
    plan = sprint.plan
    assert (plan.space["x"].low, plan.space["x"].high) == (0.1, 0.6)
    assert plan.space["act"].choices == ("relu", "tanh")
    assert (plan.fidelity.amount, plan.budget, plan.sampler) == (3, 5, "tpe")
    assert (plan.pruner, plan.min_resource) == ("hyperband", 2)
    assert decision.applied == plan
    # Warm start: carried configurations inside the edited space are queued first.
    queued = [t.system_attrs["fixed_params"] for t in session.trials(sprint)]
    assert queued and all(0.1 <= q["x"] <= 0.6 and q["act"] != "gelu" for q in queued)
    assert cli(sd, "history") == 0
    out = capsys.readouterr().out
    assert "edited by" in out and '"narrow it"' in out and "x:" in out
    assert "pruner    none -> hyperband from epochs 2" in out


def test_reject_keeps_the_current_space_at_the_proposed_fidelity(awaiting):
    sd, session = awaiting
    before = session.current().plan.space
    assert main(["approve", "t", "--storage", sd.url, "--reject"]) == 0
    assert session.decisions()[0].action == "rejected"
    plan = session.current().plan
    assert plan.space == before and plan.fidelity.amount == 2


def test_accept_applies_the_proposal_unchanged(awaiting):
    sd, session = awaiting
    proposed = session.open_proposal().plan
    assert cli(sd, "approve") == 0
    assert session.decisions()[0].action == "accepted"
    assert session.current().plan == proposed


@pytest.mark.parametrize(
    "edit, message",
    [
        (["--set", "x=-1:0.5"], "spec's range"),
        (["--set", "nope=0:1"], "nope"),
        (["--drop", "act=swish"], "swish"),
        (["--trials", "0"], "trials"),
        (["--freeze", "x=2"], "x"),
    ],
)
def test_an_invalid_edit_is_refused_and_nothing_is_decided(awaiting, capsys, edit, message):
    sd, session = awaiting
    assert main(["approve", "t", "--storage", sd.url, *edit]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and message in err
    assert session.decisions() == [] and session.open_proposal() is not None


def test_running_a_finished_session_starts_no_worker(session_dir):
    sd = session_dir(sprints=[{"name": "only", "trials": 2}])
    assert sd.cli("run", "spec.toml", "--no-tui", "--follow").returncode == 0
    out = sd.cli("run", "spec.toml", "--no-tui")
    assert out.returncode == 0 and "is finished; nothing to run" in out.stdout
    assert "started" not in out.stdout
