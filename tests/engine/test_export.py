"""`sprintopt export`: what an analysis needs of each trial, the same columns in CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from optuna.trial import FrozenTrial, TrialState

from engine.attrs import CARRIED, FAIL_REASON, WALL_TIME
from engine.read.export import COLUMNS, to_csv, to_json
from engine.read.model import TrialRow, trial_rows
from engine.read.prunes import explain_prunes
from engine.read.reader import SessionReader
from engine.session import Session
from engine.spec import load_spec
from engine.worker import WorkerOptions, run_worker
from tests.conftest import SessionDir
from tui.cli import main

FIDELITY = '{ epochs = 3, train_fraction = 0.5, max_len = 128, model = "small" }'


@dataclass
class Exported:
    session: Session
    trials: dict[int, FrozenTrial]
    csv: str
    json: str

    def csv_rows(self) -> dict[int, dict[str, str]]:
        return {int(r["number"]): r for r in csv.DictReader(io.StringIO(self.csv))}

    def json_rows(self) -> dict[int, dict]:
        return {r["number"]: r for r in json.loads(self.json)}


def _export(sd: SessionDir, capsys, fmt: str) -> str:
    capsys.readouterr()
    assert main(["export", sd.name, "--storage", sd.url, "--format", fmt]) == 0
    return capsys.readouterr().out


@pytest.fixture
def exported(session_dir) -> Iterator[Exported]:
    """One sprint (median pruner) whose trials completed, were pruned, failed, were re-queued
    (the copy took the slot) and carried over, driven through Optuna in this process."""
    sd = session_dir(sprints=[{"name": "coarse", "trials": 20, "pruner": "median", "epochs": 3}])
    sd.spec.write_text(sd.spec.read_text().replace("{ epochs = 3 }", FIDELITY))
    session = Session.create_or_resume(load_spec(sd.spec), sd.spec.read_text(), sd.url, []).session
    study = session.study(session.current())

    def run(curve: list[float], state: TrialState = TrialState.COMPLETE, **attrs) -> int:
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        for key, value in attrs.items():
            trial.set_user_attr(key, value)
        for step, value in enumerate(curve, start=1):
            trial.report(value, step)
        study.tell(trial, curve[-1] if state == TrialState.COMPLETE else None, state=state)
        return trial.number

    run([0.9, 0.5, 0.3], threshold=0.5, scores={"test": 0.8, "dev": 0.7}, **{WALL_TIME: 1.5})
    run([0.8, 0.4, 0.2])
    run([2.0], TrialState.PRUNED)  # worse than the median at step 1
    run([0.7], TrialState.FAIL, **{FAIL_REASON: "diverged"})
    lost = run([0.6], TrialState.FAIL, **{FAIL_REASON: "the worker died"})
    session.requeue(study, study.trials[lost], "operator")
    run([0.6, 0.3, 0.25])  # the copy, handed out before anything is sampled
    study.enqueue_trial({"x": 0.2}, user_attrs={CARRIED: True})
    run([0.5, 0.3, 0.1])
    trials = {t.number: t for t in study.get_trials()}
    reader = SessionReader.open_readonly(sd.name, sd.url)
    rows = trial_rows(reader, prune_reasons=True)  # as an export reads them
    yield Exported(session, trials, to_csv(rows), to_json(rows))
    reader.store.close()
    session.store.close()


def test_csv_and_json_have_the_same_columns(exported):
    header = next(csv.reader(io.StringIO(exported.csv)))
    records = json.loads(exported.json)
    assert len(records) == 7
    assert all(list(r) == [*header, "intermediate_values"] for r in records)
    assert header[: len(COLUMNS)] == list(COLUMNS)
    assert header[len(COLUMNS) :] == [
        "fidelity.epochs",
        "fidelity.train_fraction",
        "fidelity.valid_fraction",
        "fidelity.max_len",
        "attr.scores",
        "attr.threshold",
        "param.x",
    ]  # sprintopt's own attributes are never attr.* columns


def test_csv_lines_end_with_a_newline_only(exported):
    assert "\r" not in exported.csv
    assert exported.csv.endswith("\n") and len(exported.csv.split("\n")) == 7 + 2


def test_each_trial_says_its_state_sprint_fidelity_and_times(exported):
    rows, records = exported.csv_rows(), exported.json_rows()
    assert {n: r["state"] for n, r in rows.items()} == {
        0: "complete",
        1: "complete",
        2: "pruned",
        3: "failed",
        4: "retried",
        5: "complete",
        6: "complete",
    }
    for n, t in exported.trials.items():
        row, record = rows[n], records[n]
        assert (row["sprint"], row["sprint_name"], record["sprint_name"]) == (
            "1",
            "coarse",
            "coarse",
        )
        assert row["fidelity"] == record["fidelity"] == "epochs=3 train=0.5 max_len=128 model=small"
        numbers = {k: float(row[f"fidelity.{k}"]) for k in ("epochs", "train_fraction", "max_len")}
        assert numbers == {"epochs": 3.0, "train_fraction": 0.5, "max_len": 128.0}
        assert record["fidelity.valid_fraction"] == float(row["fidelity.valid_fraction"]) == 1.0
        assert float(row["param.x"]) == record["param.x"] == t.params["x"]
        for column, local in (("started", t.datetime_start), ("ended", t.datetime_complete)):
            at = datetime.fromisoformat(row[column])
            assert at == datetime.fromisoformat(record[column]) == local.astimezone(timezone.utc)
            assert at.utcoffset() is not None
        assert datetime.fromisoformat(row["ended"]) >= datetime.fromisoformat(row["started"])


def test_values_reasons_and_intermediate_values_match_the_trials(exported):
    rows, records = exported.csv_rows(), exported.json_rows()
    assert (rows[0]["value"], records[0]["value"]) == ("0.3", 0.3)
    assert (rows[2]["value"], records[2]["value"]) == ("2.0", 2.0)  # Optuna's: its last report
    assert (rows[3]["value"], records[3]["value"]) == ("", None)
    assert records[0]["intermediate_values"] == {"1": 0.9, "2": 0.5, "3": 0.3}
    assert records[2]["intermediate_values"] == {"1": 2.0}
    assert (rows[0]["wall_time"], records[0]["wall_time"]) == ("1.5", 1.5)
    assert rows[3]["reason"] == records[3]["reason"] == "diverged"
    assert records[0]["reason"] is None and rows[0]["reason"] == ""
    # The pruned trial says why, as the app's trial detail does.
    sprint = exported.session.current()
    why = explain_prunes(
        list(exported.trials.values()), sprint.plan, sprint.study_name, False, {2}
    )[2]
    assert rows[2]["reason"] == records[2]["reason"] == why
    assert why.startswith("trial 2 pruned at step 1: best 2 vs median ≈0.85 of 2 trials")


def test_the_export_command_says_why_a_pruned_trial_was_pruned(exported, capsys):
    s = exported.session
    capsys.readouterr()
    assert main(["export", s.name, "--storage", s.store.url, "--format", "csv"]) == 0
    rows = {int(r["number"]): r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows[2]["state"] == "pruned" and rows[2]["reason"] == exported.csv_rows()[2]["reason"]
    assert rows[2]["reason"].startswith("trial 2 pruned at step 1")


def test_carry_over_and_retries_are_flagged(exported):
    rows, records = exported.csv_rows(), exported.json_rows()
    assert [n for n, r in records.items() if r["carried_over"]] == [6]
    assert {r["carried_over"] for n, r in rows.items()} == {"True", "False"}
    assert {n: r["retry_of"] for n, r in records.items() if r["retry_of"] is not None} == {5: 4}
    assert rows[5]["retry_of"] == "4" and rows[4]["retry_of"] == ""


def test_the_objectives_attributes_are_columns(exported):
    rows, records = exported.csv_rows(), exported.json_rows()
    assert (rows[0]["attr.threshold"], records[0]["attr.threshold"]) == ("0.5", 0.5)
    scores = '{"dev": 0.7, "test": 0.8}'  # a table: its JSON text, in both
    assert rows[0]["attr.scores"] == records[0]["attr.scores"] == scores
    assert (rows[1]["attr.threshold"], records[1]["attr.threshold"]) == ("", None)


def test_a_sprint_a_worker_ran_exports_every_trial(session_dir, capsys):
    sd = session_dir(sprints=[{"name": "only", "trials": 4, "epochs": 3}])
    Session.create_or_resume(
        load_spec(sd.spec), sd.spec.read_text(), sd.url, []
    ).session.store.close()
    options = WorkerOptions(sd.name, sd.url, False, poll=0.05, search_path=[str(sd.path)])
    assert run_worker(options, handle_signals=False) == 0
    records = json.loads(_export(sd, capsys, "json"))
    assert len(records) == 4 and {r["sprint"] for r in records} == {1}
    for r in records:
        assert (r["state"], r["fidelity"], r["fidelity.epochs"]) == ("complete", "epochs=3", 3.0)
        assert isinstance(r["param.x"], float) and r["wall_time"] >= 0 and r["worker"] == 1
        assert sorted(r["intermediate_values"]) == ["1", "2", "3"]
        assert r["attr.cuda"] is None  # the objective's own attribute: none of sprintopt's
    text = _export(sd, capsys, "csv")
    assert text.startswith("sprint,number,state,value") and len(text.splitlines()) == 5
    assert [k for k in records[0] if k != "intermediate_values"] == text.splitlines()[0].split(",")


def _row(sprint: int, number: int, **fields) -> TrialRow:
    base = dict(
        sprint=sprint,
        number=number,
        state="complete",
        value=1.0,
        step=None,
        params={},
        fidelity="",
        wall_time=None,
        worker=None,
        reason=None,
    )
    return TrialRow(**{**base, **fields})  # type: ignore[arg-type]


def test_sprints_with_other_fidelities_and_parameters_share_one_header():
    rows = [
        _row(1, 0, params={"x": 1}, fidelity_values={"epochs": 1.0, "batch": 32.0}),
        _row(2, 0, params={"y": "a"}, fidelity_values={"epochs": 3.0, "seq": 64.0}),
    ]
    records = list(csv.DictReader(io.StringIO(to_csv(rows))))
    keys = [k for k in json.loads(to_json(rows))[0] if k != "intermediate_values"]
    assert list(records[0]) == keys
    assert keys[len(COLUMNS) :] == [
        "fidelity.epochs",
        "fidelity.batch",
        "fidelity.seq",
        "param.x",
        "param.y",
    ]
    assert (records[0]["fidelity.seq"], records[1]["fidelity.batch"]) == ("", "")
    assert (records[0]["param.y"], records[1]["param.y"]) == ("", "a")


def test_an_empty_session_exports_a_header_and_an_empty_list():
    assert to_csv([]) == ",".join(COLUMNS) + "\n"
    assert json.loads(to_json([])) == []
