"""Command-line numbers, names, spec files and export paths: a mistake is one message and
exit code 2, with nothing written; exports are private files."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

import pytest

from engine.session import Session
from engine.spec import load_spec
from tui.cli import build_parser, main, worker_count


@pytest.fixture
def here(session_dir, monkeypatch):
    sd = session_dir()
    monkeypatch.chdir(sd.path)
    return sd


def _usage_error(args: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    return capsys.readouterr().err


def _refused(args: list[str], capsys) -> str:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    return err


# -- numbers and ids -------------------------------------------------------------------------
@pytest.mark.parametrize("workers", ["-1", "0", "two", "2.5"])
def test_run_refuses_a_worker_count_below_one(here, capsys, workers):
    err = _usage_error(["run", "spec.toml", "--no-tui", "--workers", workers], capsys)
    assert "--workers" in err
    assert not (here.path / "sessions").exists()


def test_a_worker_count_has_an_upper_bound():
    # Checked on the parser alone: a regression here would start a thousand processes.
    assert worker_count("1024") == 1024
    with pytest.raises(argparse.ArgumentTypeError, match="1 to 1024 workers"):
        worker_count("1025")


@pytest.mark.parametrize("gpus", [",,,", "0,,1", "0,a", "-1", "0;1", " "])
def test_run_refuses_gpus_that_are_not_a_list_of_ids(here, capsys, gpus):
    err = _usage_error(["run", "spec.toml", "--no-tui", "--gpus", gpus], capsys)
    assert "--gpus" in err
    assert not (here.path / "sessions").exists()


@pytest.mark.parametrize(
    ("gpus", "ids"),
    [("0,1", ["0", "1"]), ("0, 2,3", ["0", "2", "3"]), ("GPU-8f2a-11", ["GPU-8f2a-11"])],
)
def test_gpus_are_a_list_of_ids(gpus, ids):
    assert build_parser().parse_args(["run", "s.toml", "--gpus", gpus]).gpus == ids


def test_a_worker_refuses_a_gpu_label_that_is_no_id(capsys):
    assert "--gpu" in _usage_error(["worker", "t", "--gpu", "0,1"], capsys)


# -- names and spec files: one message, nothing created ----------------------------------------
def test_a_300_character_name_is_one_message_and_creates_nothing(here, capsys):
    err = _refused(["run", "spec.toml", "--no-tui", "--name", "a" * 300], capsys)
    assert "at most 80 characters" in err and len(err) < 500
    assert not (here.path / "sessions").exists()


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    "make",
    [
        lambda d: "/dev/zero",
        lambda d: str(d),
        lambda d: _write(d / "nested.toml", "[session]\nx = " + "[" * 100_000 + "\n"),
        lambda d: _write(d / "big.toml", "#" * (2 * 1024 * 1024)),
        lambda d: _write(
            d / "when.toml",
            (d / "spec.toml").read_text() + "\n[frozen]\nwhen = 1979-05-27T07:32:00\n",
        ),
        lambda d: _write(
            d / "seed.toml", (d / "spec.toml").read_text().replace("seed = 7", "seed = -1")
        ),
        lambda d: _write(
            d / "timeout.toml",
            (d / "spec.toml").read_text().replace("trials = 6", "trials = 6\ntimeout = 1e300"),
        ),
    ],
    ids=["dev-zero", "directory", "nested", "big", "frozen-date", "negative-seed", "timeout"],
)
def test_a_bad_spec_file_is_one_message_and_creates_nothing(here, capsys, make):
    spec = make(here.path)
    err = _refused(["run", spec, "--no-tui"], capsys)
    assert len(err.splitlines()) <= 3 and len(err) < 1000
    assert not (here.path / "sessions").exists()


def test_a_huge_objective_is_echoed_once_and_short(here, capsys):
    text = (here.path / "spec.toml").read_text().replace("objs:quadratic", "a" * 900_000 + ":f")
    err = _refused(["run", _write(here.path / "big.toml", text), "--no-tui"], capsys)
    assert len(err) < 1000


# -- exports ---------------------------------------------------------------------------------
@pytest.fixture
def created(here):
    Session.create_or_resume(load_spec(here.spec), here.spec.read_text(), here.url, [])
    return here


def _export(sd, output: str) -> int:
    return main(["export", sd.name, "--storage", sd.url, "-o", output])


def test_an_export_into_a_missing_folder_is_one_message(created, capsys):
    assert _export(created, str(created.path / "nope" / "out.csv")) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    assert not (created.path / "nope").exists()


def test_an_export_onto_a_folder_is_one_message(created, capsys):
    folder = created.path / "folder"
    folder.mkdir(mode=0o755)
    assert _export(created, str(folder)) == 2
    assert "it is a folder" in capsys.readouterr().err
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # never chmodded


def test_an_export_onto_a_fifo_is_refused_without_hanging(created, capsys):
    fifo = created.path / "pipe"
    os.mkfifo(fifo, 0o644)
    assert _export(created, str(fifo)) == 2
    assert "not a regular file" in capsys.readouterr().err
    assert stat.S_IMODE(fifo.stat().st_mode) == 0o644


def test_a_new_export_is_private_whatever_the_umask(created):
    old = os.umask(0)
    try:
        assert _export(created, str(created.path / "out.csv")) == 0
    finally:
        os.umask(old)
    out = created.path / "out.csv"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text().startswith("sprint,number,state")


def test_an_export_to_dash_goes_to_standard_output(created, capsys, monkeypatch):
    monkeypatch.chdir(created.path)
    capsys.readouterr()
    assert _export(created, "-") == 0
    assert capsys.readouterr().out.startswith("sprint,number,state")
    assert not (created.path / "-").exists()


def test_an_export_over_a_users_file_replaces_its_text_and_keeps_its_mode(created):
    out = created.path / "out.json"
    out.write_text("x" * 10_000)
    out.chmod(0o640)
    assert main(["export", "t", "--storage", created.url, "--format", "json", "-o", str(out)]) == 0
    assert out.read_text() == "[]" and stat.S_IMODE(out.stat().st_mode) == 0o640


def test_run_warns_of_a_sprint_timeout_too_short_for_any_trial(session_dir):
    sd = session_dir(sprints=[{"name": "quick", "trials": 3}], extra="timeout = 0.5\n")
    out = sd.cli("run", "spec.toml", "--workers", "1", "--no-tui", "--follow")
    assert out.returncode == 0, out.stderr
    assert "warning: sprint quick: timeout = 0.5 s is too short for any trial" in out.stderr


# -- finding one's way: help and version ---------------------------------------------------
def test_sprintopt_alone_lists_the_commands_and_where_to_start(capsys):
    assert main([]) == 0
    out = capsys.readouterr().out
    for command in ("run", "attach", "status", "approve", "stop", "export", "demo"):
        assert f"\n    {command} " in out, command
    assert "sprintopt demo" in out and "sprintopt COMMAND --help" in out


def test_version_is_the_packages(capsys):
    from importlib.metadata import version

    import engine

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"sprintopt {engine.__version__}"
    assert version("sprintopt") == engine.__version__


def test_run_help_points_to_the_spec_format_and_examples(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    examples = Path(__file__).resolve().parents[2] / "examples"
    assert '"The spec"' in out and f"{examples}/*.toml" in out
    assert (examples / "branin.toml").is_file()
