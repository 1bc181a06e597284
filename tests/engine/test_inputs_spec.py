"""Specs that used to validate and then crash every worker are refused with one message; spec
files must be regular and small; no message repeats megabytes of what the user wrote."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import optuna
import pytest

from engine.errors import SpecError
from engine.limits import ECHO_LIMIT, MAX_SECONDS, MAX_SPEC_BYTES
from engine.spec import check_name, load_spec, parse_spec, resolve_objective, spec_from_dict
from engine.sprint import planned_sprint

# One spec builder for the spec tests: test_spec.py's.
from tests.engine.test_spec import GOOD_PARAM, spec_error, spec_text

# (id, spec text, the field the message must name, a phrase it must give)
REFUSED = [
    ("negative seed", spec_text(session="seed = -1"), "session.seed", "0 to 2147483647"),
    ("seed past 2**31 - 1", spec_text(session="seed = 2147483648"), "session.seed", "2**31 - 1"),
    ("huge timeout", spec_text(sprint="timeout = 1e300"), "sprints[0].timeout", "ten years"),
    (
        "huge trial timeout",
        spec_text(sprint="trial_timeout = 1e300"),
        "sprints[0].trial_timeout",
        "ten years",
    ),
    (
        "a float step Optuna cannot check",
        spec_text(GOOD_PARAM + "\nstep = 1e-300"),
        "space.x",
        "too small for the range",
    ),
    (
        "a float step the GP sampler cannot count",
        spec_text('type = "float"\nlow = 0.0\nhigh = 1e20\nstep = 1.0'),
        "space.x",
        "too small for the range",
    ),
    (
        "a float step finer than a float can tell apart",
        spec_text(
            'type = "float"\nlow = 1000.0\nhigh = 1000.000001\nstep = 1.1111111111111111e-07'
        ),
        "space.x",
        "cannot be told apart",
    ),
    (
        "a float range wider than a float",
        spec_text('type = "float"\nlow = -1e308\nhigh = 1e308'),
        "space.x",
        "too wide",
    ),
    (
        "int bounds a float cannot hold",
        spec_text('type = "int"\nlow = 0\nhigh = 9223372036854775807'),
        "space.x",
        "2**53",
    ),
    (
        "an int bound too large for a float",
        spec_text('type = "int"\nlow = 0\nhigh = ' + "9" * 400),
        "space.x",
        "2**53",
    ),
    (
        "a frozen date",
        spec_text(tail="[frozen]\nwhen = 1979-05-27T07:32:00\n"),
        "frozen",
        "quote it as a string",
    ),
    ("a frozen nan", spec_text(tail="[frozen]\nlr = nan\n"), "frozen", "not a finite number"),
    (
        "a date among fidelity extras",
        spec_text(fidelity="extra = { at = 07:32:00 }"),
        "fidelity.extra",
        "quote it as a string",
    ),
    (
        "a date in a sprint's fidelity",
        spec_text(sprint="fidelity = { day = 1979-05-27 }"),
        "sprints[0].fidelity",
        "quote it as a string",
    ),
    (
        "a sprint fidelity amount too large for a float",
        spec_text(sprint="fidelity = { epochs = " + "9" * 400 + " }"),
        "sprints[0].fidelity",
        "64 bits",
    ),
    (
        "fidelity max past any budget",
        spec_text().replace("max = 9", "max = 1e300"),
        "fidelity.max",
        "less",
    ),
    (
        "a fidelity step that overflows",
        spec_text(tail="[advisor]\nfidelity_step = 1e300\nextra_sprints = 1\n"),
        "advisor.fidelity_step",
        "less",
    ),
    (
        "a parameter name Optuna cannot store",
        spec_text().replace("[space.x]", f"[space.{'p' * 600}]"),
        "space",
        "1 to 200 characters",
    ),
    (
        "an integer of thousands of digits",
        spec_text(tail="[frozen]\nbig = " + "9" * 5000 + "\n"),
        "s.toml",
        "not valid TOML",
    ),
]


@pytest.mark.parametrize(
    ("text", "field", "phrase"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_values_the_runtime_cannot_use_are_refused(text: str, field: str, phrase: str) -> None:
    message = spec_error(text)
    assert field in message and phrase in message, message


def test_the_largest_values_that_validate_run() -> None:
    """At the bounds, everything a worker derives from the spec still works."""
    spec = parse_spec(
        spec_text(
            'type = "float"\nlow = 0.0\nhigh = 1.0\nstep = 1e-7',
            session="seed = 2147483647",
            sprint=f"timeout = {MAX_SECONDS}\ntrial_timeout = {MAX_SECONDS}",
            tail='[space.n]\ntype = "int"\nlow = -9007199254740992\nhigh = 9007199254740992\n'
            '[space.w]\ntype = "float"\nlow = -8e307\nhigh = 8e307\n',
        )
    )
    plan = planned_sprint(spec, 0)
    seed = (spec.session.seed * 1_000_003 + 99 * 10_007 + 10**6) % 2**32
    study = optuna.create_study(sampler=plan.make_sampler(seed), pruner=plan.make_pruner())
    trial = study.ask(plan.space.to_optuna())
    assert plan.space.contains(trial.params)
    assert timedelta(seconds=plan.timeout) + timedelta(seconds=plan.trial_timeout)


def test_every_point_of_the_finest_grid_allowed_is_on_it() -> None:
    """Optuna samples low + k * step in floats; each such point must pass both grid checks."""
    spec = parse_spec(spec_text('type = "float"\nlow = 1000.0\nhigh = 1000.1\nstep = 1.25e-4'))
    param = spec.to_space()["x"]
    dist = param.distribution()
    for k in range(801):
        value = min(1000.0 + k * 1.25e-4, dist.high)
        assert param.contains(value) and dist._contains(value), k


def test_a_stored_spec_at_the_bounds_validates_again() -> None:
    spec = parse_spec(spec_text(session="seed = 2147483647", sprint="timeout = 315576000"))
    assert spec_from_dict(spec.model_dump(mode="json")) == spec


# -- spec files ------------------------------------------------------------------------------
def test_a_device_is_refused_without_reading_it() -> None:
    with pytest.raises(SpecError, match="/dev/zero: not a regular file"):
        load_spec("/dev/zero")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="not a regular file"):
        load_spec(tmp_path)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "spec.toml"
    os.mkfifo(fifo)
    with pytest.raises(SpecError, match="not a regular file"):
        load_spec(fifo)


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text(spec_text() + "#" * MAX_SPEC_BYTES + "\n")
    with pytest.raises(SpecError, match="larger than 1024 KiB"):
        load_spec(path)


def test_a_file_just_under_the_limit_loads(tmp_path: Path) -> None:
    path = tmp_path / "padded.toml"
    text = spec_text()
    path.write_text(text + "#" * (MAX_SPEC_BYTES - len(text) - 1) + "\n")
    assert load_spec(path).session.name == "t"


def test_deeply_nested_arrays_are_one_message() -> None:
    message = spec_error(spec_text(tail="[frozen]\nx = " + "[" * 100_000 + "\n"))
    assert "not valid TOML" in message and "nested too deeply" in message


def test_deeply_nested_valid_arrays_are_refused() -> None:
    nested = "[" * 40 + "1" + "]" * 40
    assert "nested more than" in spec_error(spec_text(tail=f"[frozen]\nx = {nested}\n"))


# -- messages repeat at most a little of what the user wrote ---------------------------------
def test_a_huge_objective_string_is_echoed_only_in_part() -> None:
    message = spec_error(spec_text(objective="a" * 900_000))
    assert "session.objective" in message and "…" in message
    assert len(message) < 2 * ECHO_LIMIT + 400


def test_an_objective_that_cannot_be_imported_is_echoed_only_in_part() -> None:
    spec = parse_spec(spec_text(objective="m" * 900_000 + ":f"))
    with pytest.raises(SpecError) as info:
        resolve_objective(spec, [])
    assert len(str(info.value)) < 3 * ECHO_LIMIT + 400


def test_thousands_of_mistakes_make_a_short_message() -> None:
    keys = "".join(f"k{i} = 1\n" for i in range(5000))
    message = spec_error(spec_text(sprint=keys))
    assert "(and 4999 more)" in message and "more not shown" in message
    assert len(message.splitlines()) <= 12


def test_a_long_unknown_key_is_echoed_only_in_part() -> None:
    message = spec_error(spec_text(sprint=f"{'k' * 100_000} = 1"))
    assert "unknown key" in message and len(message) < ECHO_LIMIT + 400


def test_a_long_session_name_is_refused_in_a_short_message() -> None:
    with pytest.raises(SpecError) as info:
        check_name("a" * 300)
    assert "at most 80 characters" in str(info.value) and len(str(info.value)) < 400
    assert check_name("a" * 80) == "a" * 80


@pytest.mark.timeout(30)  # comparing each choice with every other one took minutes
def test_choices_are_checked_for_duplicates_in_one_pass() -> None:
    choices = ", ".join(str(i) for i in range(100_000))  # a spec under the size limit
    spec = parse_spec(spec_text(f'type = "categorical"\nchoices = [{choices}]'))
    assert len(spec.space["x"].choices) == 100_000
    message = spec_error(spec_text('type = "categorical"\nchoices = [1, 2, true]'))
    assert "equal to Optuna" in message


# -- [notify]: the command that calls a person --------------------------------------------
NOTIFY_REFUSED = [
    ("an empty command", '[notify]\ncommand = ""\n', "notify.command", "is empty"),
    ("a blank command", '[notify]\ncommand = "  "\n', "notify.command", "name the command"),
    ("no command", "[notify]\nfailing_after = 2\n", "notify.command", "missing"),
    ("a command that is a number", "[notify]\ncommand = 3\n", "notify.command", "valid string"),
    ("a command list", '[notify]\ncommand = ["a"]\n', "notify.command", "valid string"),
    ("a NUL in it", '[notify]\ncommand = "a\\u0000b"\n', "notify.command", "NUL"),
    ("a misspelt key", '[notify]\ncommand = "x"\ncomand = "y"\n', "notify.comand", "unknown key"),
    (
        "no failures at all",
        '[notify]\ncommand = "x"\nfailing_after = 0\n',
        "notify.failing_after",
        "greater than or equal to 1",
    ),
    (
        "a quoted count",
        '[notify]\ncommand = "x"\nfailing_after = "3"\n',
        "notify.failing_after",
        "valid integer",
    ),
    ("no time", '[notify]\ncommand = "x"\ntimeout = 0\n', "notify.timeout", "greater than 0"),
    (
        "more than an hour",
        '[notify]\ncommand = "x"\ntimeout = 7200\n',
        "notify.timeout",
        "less than or equal to 3600",
    ),
]


@pytest.mark.parametrize(
    ("tail", "field", "phrase"), [c[1:] for c in NOTIFY_REFUSED], ids=[c[0] for c in NOTIFY_REFUSED]
)
def test_a_bad_notify_table_is_refused_naming_the_key(tail: str, field: str, phrase: str) -> None:
    message = spec_error(spec_text(tail=tail))
    assert field in message and phrase in message, message


def test_notify_given_as_a_string_says_it_is_a_table() -> None:
    message = spec_error('notify = "echo hi"\n' + spec_text())
    assert "notify: must be a table ([notify] on its own line" in message, message


def test_notify_is_optional_and_has_defaults() -> None:
    assert parse_spec(spec_text()).notify is None
    notify = parse_spec(spec_text(tail='[notify]\ncommand = "notify-send hi"\n')).notify
    assert notify is not None
    assert (notify.command, notify.failing_after, notify.timeout) == ("notify-send hi", 3, 30.0)
