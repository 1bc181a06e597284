"""The spec: every mistake is one message naming the field and the fix; good specs load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import SpecError
from engine.objective import Fidelity
from engine.spec import (
    Spec,
    check_name,
    load_spec,
    parse_spec,
    resolve_objective,
    spec_from_dict,
    sprint_fidelity,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"

GOOD_PARAM = 'type = "float"\nlow = 0.0\nhigh = 1.0'


def spec_text(
    param: str = GOOD_PARAM,
    session: str = "",
    fidelity: str = "",
    sprint: str = "",
    tail: str = "",
    objective: str = "mod:func",
) -> str:
    """A small valid spec; each argument adds lines to one table (or tables at the end)."""
    return (
        f'[session]\nname = "t"\ndirection = "minimize"\nobjective = "{objective}"\n{session}\n'
        f"[space.x]\n{param}\n"
        f'[fidelity]\nresource = "epochs"\nmax = 9\n{fidelity}\n'
        f'[[sprints]]\nname = "scout"\ntrials = 5\n{sprint}\n'
        f"{tail}"
    )


def spec_error(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(text, source="s.toml")
    return str(info.value)


def test_the_template_is_valid() -> None:
    spec = parse_spec(spec_text())
    assert spec.space["x"].low == 0.0 and spec.sprints[0].trials == 5


# (id, spec text, the field the message must name, a phrase of the fix it must give)
BAD = [
    ("low above high", spec_text('type = "float"\nlow = 2.0\nhigh = 1.0'), "space.x", "below high"),
    ("int low equals high", spec_text('type = "int"\nlow = 3\nhigh = 3'), "space.x", "below high"),
    ("log with low 0", spec_text(GOOD_PARAM + "\nlog = true"), "space.x", "low > 0"),
    (
        "int log with negative low",
        spec_text('type = "int"\nlow = -1\nhigh = 8\nlog = true'),
        "space.x",
        "low > 0",
    ),
    ("empty choices", spec_text('type = "categorical"\nchoices = []'), "space.x.choices", "empty"),
    (
        "duplicate choices",
        spec_text('type = "categorical"\nchoices = ["a", "b", "a"]'),
        "space.x.choices",
        '"a" is listed twice',
    ),
    (
        "true and 1 as choices",
        spec_text('type = "categorical"\nchoices = [true, 1]'),
        "space.x.choices",
        "quote it as a string",
    ),
    (
        "1 and 1.0 as choices",
        spec_text('type = "categorical"\nchoices = [1, 1.0]'),
        "space.x.choices",
        "equal to Optuna",
    ),
    (
        "a choice that is a list",
        spec_text('type = "categorical"\nchoices = ["a", [1]]'),
        "space.x.choices[1]",
        "string, a number or a boolean",
    ),
    ("nan choice", spec_text('type = "categorical"\nchoices = [nan]'), "choices[0]", "finite"),
    ("unknown top-level key", spec_text(tail="[plan]\nx = 1\n"), "plan", "unknown key"),
    ("unknown session key", spec_text(session='colour = "red"'), "session.colour", "unknown key"),
    ("unknown param key", spec_text(GOOD_PARAM + "\nlgo = true"), "space.x.lgo", "unknown key"),
    ("unknown sprint key", spec_text(sprint='samplr = "gp"'), "sprints[0].samplr", "unknown key"),
    ("unknown fidelity key", spec_text(fidelity="epochz = 3"), "fidelity.epochz", "unknown key"),
    (
        "unknown advisor key",
        spec_text(tail="[advisor]\ntop_kk = 3\n"),
        "advisor.top_kk",
        "unknown key",
    ),
    (
        "quoted number",
        spec_text('type = "float"\nlow = "0.1"\nhigh = 1.0'),
        "space.x.low",
        'valid number, got "0.1"',
    ),
    ("quoted boolean", spec_text(GOOD_PARAM + '\nlog = "yes"'), "space.x.log", "valid boolean"),
    (
        "float bound of an int",
        spec_text('type = "int"\nlow = 0.5\nhigh = 10'),
        "space.x.low",
        "valid integer",
    ),
    ("boolean seed", spec_text(session="seed = true"), "session.seed", "got true"),
    ("string trials", spec_text().replace("trials = 5", 'trials = "5"'), "trials", "integer"),
    ("number as name", spec_text().replace('name = "t"', "name = 5"), "session.name", "string"),
    ("bad session name", spec_text().replace('name = "t"', 'name = "a b"'), "name", "letters"),
    (
        "objective without a colon",
        spec_text(objective="mod.func"),
        "session.objective",
        "'module:function'",
    ),
    ("bad direction", spec_text().replace('"minimize"', '"min"'), "session.direction", "maximize"),
    ("bad sampler", spec_text(sprint='sampler = "cma"'), "sprints[0].sampler", "'gp'"),
    ("bad param type", spec_text('type = "real"\nlow = 0.0\nhigh = 1.0'), "space.x", "'int'"),
    ("missing param type", spec_text("low = 0.0\nhigh = 1.0"), "space.x", "set type ="),
    ("nan low", spec_text('type = "float"\nlow = nan\nhigh = 1.0'), "space.x.low", "finite"),
    ("inf high", spec_text('type = "float"\nlow = 0.0\nhigh = inf'), "space.x.high", "finite"),
    ("-inf low", spec_text('type = "float"\nlow = -inf\nhigh = 1.0'), "space.x.low", "finite"),
    ("nan fidelity max", spec_text().replace("max = 9", "max = nan"), "fidelity.max", "finite"),
    ("inf fidelity max", spec_text().replace("max = 9", "max = inf"), "fidelity.max", "finite"),
    ("nan timeout", spec_text(sprint="timeout = nan"), "sprints[0].timeout", "finite"),
    ("zero step", spec_text(GOOD_PARAM + "\nstep = 0.0"), "space.x", "positive"),
    ("negative step", spec_text(GOOD_PARAM + "\nstep = -0.1"), "space.x", "positive"),
    ("nan step", spec_text(GOOD_PARAM + "\nstep = nan"), "space.x.step", "finite"),
    ("step above the range", spec_text(GOOD_PARAM + "\nstep = 2.0"), "space.x", "larger"),
    (
        "step with log",
        spec_text('type = "float"\nlow = 0.1\nhigh = 1.0\nlog = true\nstep = 0.1'),
        "space.x",
        "drop one",
    ),
    ("step not dividing", spec_text(GOOD_PARAM + "\nstep = 0.3"), "space.x", "set high = 0.9"),
    (
        "int zero step",
        spec_text('type = "int"\nlow = 0\nhigh = 8\nstep = 0'),
        "space.x",
        "positive",
    ),
    (
        "int step above the range",
        spec_text('type = "int"\nlow = 0\nhigh = 8\nstep = 9'),
        "space.x",
        "larger",
    ),
    (
        "int step not dividing",
        spec_text('type = "int"\nlow = 0\nhigh = 10\nstep = 3'),
        "space.x",
        "set high = 9",
    ),
    (
        "int step with log",
        spec_text('type = "int"\nlow = 1\nhigh = 9\nlog = true\nstep = 2'),
        "space.x",
        "drop one",
    ),
    (
        "hyperband min_resource above the sprint's epochs",
        spec_text(sprint='pruner = "hyperband"\nmin_resource = 4\nfidelity = { epochs = 3 }'),
        "sprints[0] (scout)",
        "lower min_resource",
    ),
    (
        "hyperband min_resource above fidelity.max",
        spec_text(sprint='pruner = "hyperband"\nmin_resource = 10'),
        "sprints[0] (scout)",
        "min_resource (10)",
    ),
    (
        "sprint fidelity above fidelity.max",
        spec_text(sprint="fidelity = { epochs = 10 }"),
        "sprints[0] (scout)",
        "fidelity.max = 9",
    ),
    ("zero sprint fidelity", spec_text(sprint="fidelity = { epochs = 0 }"), "scout", "(0, "),
    (
        "text as sprint fidelity",
        spec_text(sprint='fidelity = { epochs = "many" }'),
        "epochs",
        "must be a number",
    ),
    (
        "train_fraction above 1",
        spec_text(sprint="fidelity = { train_fraction = 1.5 }"),
        "train_fraction",
        "(0, 1]",
    ),
    (
        "text as train_fraction",
        spec_text(sprint='fidelity = { train_fraction = "half" }'),
        "train_fraction",
        "must be a number",
    ),
    (
        "zero trials",
        spec_text().replace("trials = 5", "trials = 0"),
        "sprints[0].trials",
        "greater than or equal to 1",
    ),
    ("missing direction", spec_text().replace('direction = "minimize"', ""), "direction", "add it"),
    ("missing param bound", spec_text('type = "float"\nlow = 0.0'), "space.x.high", "add it"),
    ("missing sprints", spec_text().split("[[sprints]]")[0], "sprints", "add it"),
    ("no sprints", "sprints = []\n" + spec_text().split("[[sprints]]")[0], "sprints", "at least"),
    (
        "empty space",
        spec_text().replace("[space.x]\n" + GOOD_PARAM, "[space]"),
        "space",
        "at least one parameter",
    ),
    (
        "searched and frozen",
        spec_text(tail="[space.frozen]\nx = 0.5\n"),
        "x is both searched and frozen",
        "keep one",
    ),
    (
        "space.frozen that is not a table",
        spec_text().replace("[space.x]", "[space]\nfrozen = 3\n[space.x]"),
        "space.frozen",
        "table of name = value",
    ),
    (
        "duplicate sprint names",
        spec_text(tail='[[sprints]]\nname = "scout"\ntrials = 2\n'),
        "sprint names",
        "unique",
    ),
    ("invalid TOML", "[session\nname = ", "not valid TOML", "line 1"),
]


@pytest.mark.parametrize(("text", "field", "fix"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_each_mistake_is_one_message_naming_the_field_and_the_fix(
    text: str, field: str, fix: str
) -> None:
    message = spec_error(text)
    assert message.startswith("s.toml: ")
    assert field in message
    assert fix in message
    assert "Traceback" not in message and "pydantic" not in message
    assert len(message.splitlines()) == 1, message  # one mistake, one line


def test_several_mistakes_come_as_one_message_with_a_line_per_field() -> None:
    text = spec_text('type = "float"\nlow = nan\nhigh = "1"', session='colour = "red"')
    message = spec_error(text)
    first, *rest = message.splitlines()
    assert first.startswith("s.toml: ") and first.endswith("(and 2 more)")
    fields = [line.split(":")[0].strip() for line in rest]
    assert {first.split(": ")[1], *fields} == {"session.colour", "space.x.low", "space.x.high"}


def test_a_parameter_named_like_a_type_keeps_its_name_in_messages() -> None:
    text = spec_text().replace("[space.x]\n", "[space.int]\n").replace("high = 1.0", "high = -1")
    assert "space.int: low (0) must be below high (-1)" in spec_error(text)


def test_an_empty_frozen_table_is_fine() -> None:
    assert parse_spec(spec_text(tail="[frozen]\n")).frozen == {}


# -- files ----------------------------------------------------------------------------------
def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(SpecError, match="nope.toml: no such file"):
        load_spec(path)


def test_a_file_that_is_not_text_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SpecError, match="binary.toml: cannot read it"):
        load_spec(path)


def test_load_spec_names_the_file_in_the_message(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(spec_text(GOOD_PARAM + "\nlog = true"), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert str(info.value).startswith(f"{path}: space.x: log = true needs low > 0")


# -- good specs -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["branin", "hartmann6", "digits"])
def test_the_examples_load(name: str) -> None:
    spec = load_spec(EXAMPLES / f"{name}.toml")
    assert spec.session.name == name
    assert [s.name for s in spec.sprints] == ["scout", "warmup", "full"]
    space = spec.to_space()
    assert space.names == tuple(spec.space)
    assert spec.sprints[-1].pruner == "hyperband"


def test_the_digits_example_has_its_space_as_written() -> None:
    spec = load_spec(EXAMPLES / "digits.toml")
    space = spec.to_space()
    assert space["lr"].log and (space["lr"].low, space["lr"].high) == (1e-4, 1e-1)
    assert (space["hidden"].low, space["hidden"].high, space["hidden"].step) == (16, 256, 16)
    assert space["activation"].choices == ("relu", "tanh", "logistic")
    # [space.frozen] values reach the objective and are not searched
    assert spec.frozen == {"batch_size": 32}
    assert "batch_size" not in space.names
    config = space.config({"lr": 0.01, "alpha": 1e-4, "hidden": 32, "activation": "relu"})
    assert config["batch_size"] == 32 and config["hidden"] == 32


def test_frozen_values_from_both_tables_come_through() -> None:
    text = spec_text(tail='[space.frozen]\nbatch = 32\nopt = "adam"\n[frozen]\nseed_data = 7\n')
    space = parse_spec(text).to_space()
    assert space.frozen_values == {"batch": 32, "opt": "adam", "seed_data": 7}
    assert space.names == ("x",)


def test_sprint_fidelity_tables_override_the_defaults() -> None:
    spec = load_spec(EXAMPLES / "branin.toml")
    scout, warmup, full = (sprint_fidelity(spec, s) for s in spec.sprints)
    assert scout == Fidelity("epochs", 1.0, 0.25, 1.0, {"epoch_seconds": 0.02})
    assert (warmup.amount, warmup.train_fraction) == (3.0, 0.5)
    assert (full.amount, full.train_fraction, full.valid_fraction) == (9.0, 1.0, 1.0)
    assert scout["epochs"] == 1.0 and scout["epoch_seconds"] == 0.02


def test_unknown_sprint_fidelity_keys_go_to_extra() -> None:
    text = spec_text(
        fidelity="valid_fraction = 0.5\n[fidelity.extra]\nbatch = 32\nnoise = 0.1",
        sprint="fidelity = { epochs = 3, batch = 64, image_size = 128 }",
    )
    spec = parse_spec(text)
    fid = sprint_fidelity(spec, spec.sprints[0])
    assert fid.amount == 3.0 and fid.valid_fraction == 0.5
    assert dict(fid.extra) == {"batch": 64, "noise": 0.1, "image_size": 128}


def test_a_sprint_without_a_fidelity_runs_at_the_max() -> None:
    spec = parse_spec(spec_text())
    assert sprint_fidelity(spec, spec.sprints[0]).amount == 9.0


def test_defaults_are_filled_in() -> None:
    spec = parse_spec(spec_text())
    sprint = spec.sprints[0]
    assert (sprint.sampler, sprint.pruner, sprint.min_resource, sprint.reduction_factor) == (
        "tpe",
        "none",
        1,
        3,
    )
    assert spec.session.seed == 0 and spec.fidelity.train_fraction == 1.0


def test_a_stored_spec_validates_again_unchanged() -> None:
    # Sessions keep the spec as JSON and validate it again on every open.
    spec = load_spec(EXAMPLES / "digits.toml")
    stored = json.loads(json.dumps(spec.model_dump(mode="json")))
    assert spec_from_dict(stored) == spec


def test_the_default_storage_is_a_file_under_sessions(tmp_path: Path) -> None:
    spec = parse_spec(spec_text())
    assert spec.storage_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/sessions/t.db"
    given = parse_spec(spec_text(session='storage = "sqlite:///elsewhere.db"'))
    assert given.storage_url(tmp_path) == "sqlite:///elsewhere.db"


def test_check_name() -> None:
    assert check_name("run-1.b_2") == "run-1.b_2"
    for bad in ("", "a b", "-lead", "../x"):
        with pytest.raises(SpecError, match="not a valid session name"):
            check_name(bad)


# -- the objective ----------------------------------------------------------------------------
@pytest.fixture
def module_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory for objective modules; sys.path and sys.modules are restored after."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def objective_spec(objective: str) -> Spec:
    return parse_spec(spec_text(objective=objective))


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def write_module(folder: Path, name: str, body: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(body), encoding="utf-8")


def test_an_objective_resolves_to_the_function(module_dir: Path) -> None:
    name = unique("objs")
    write_module(module_dir, name, "def train(config, fidelity, reporter):\n    return 1.5\n")
    func = resolve_objective(objective_spec(f"{name}:train"), [str(module_dir)])
    assert func({}, None, None) == 1.5


def test_an_objective_in_a_package_resolves(module_dir: Path) -> None:
    package = unique("pkg")
    (module_dir / package).mkdir()
    (module_dir / package / "__init__.py").write_text("", encoding="utf-8")
    write_module(module_dir / package, "train", "def objective(trial):\n    return 2.0\n")
    func = resolve_objective(objective_spec(f"{package}.train:objective"), [str(module_dir)])
    assert func(None) == 2.0


@pytest.mark.parametrize(
    ("body", "attr", "expected"),
    [
        (None, "train", "cannot import module"),
        ("raise RuntimeError('no GPU here')\n", "train", "RuntimeError: no GPU here"),
        ("def train(:\n", "train", "SyntaxError"),
        ("import not_a_module_anywhere_xyz\n", "train", "not_a_module_anywhere_xyz"),
        ("def other():\n    pass\n", "train", "has no attribute 'train'"),
        ("train = 3\n", "train", "is not callable"),
    ],
    ids=["missing", "raises", "syntax-error", "bad-import", "no-attribute", "not-callable"],
)
def test_an_objective_that_cannot_be_used_is_a_spec_error(
    module_dir: Path, body: str | None, attr: str, expected: str
) -> None:
    name = unique("objs")
    if body is not None:
        write_module(module_dir, name, body)
    with pytest.raises(SpecError) as info:
        resolve_objective(objective_spec(f"{name}:{attr}"), [str(module_dir)])
    message = str(info.value)
    assert message.startswith("session.objective: ")
    assert expected in message
    assert name in message
    assert "Traceback" not in message and len(message.splitlines()) == 1


# -- the command line -------------------------------------------------------------------------
def cli_run(cwd: Path, spec: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SPRINTOPT_STORAGE"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "tui.cli", "run", spec],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (spec_text('type = "float"\nlow = 1.0\nhigh = nan'), "space.x.high: must be a finite"),
        (spec_text(sprint='pruner = "hyperband"\nmin_resource = 12'), "Hyperband min_resource"),
        (spec_text(objective="no_such_module_here:train"), "session.objective: cannot import"),
        (None, "no such file"),
    ],
    ids=["bad-bound", "bad-hyperband", "bad-objective", "missing-file"],
)
def test_run_with_a_broken_spec_exits_2_and_writes_nothing(
    tmp_path: Path, text: str | None, expected: str
) -> None:
    if text is not None:
        (tmp_path / "broken.toml").write_text(text, encoding="utf-8")
    result = cli_run(tmp_path, "broken.toml")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "sessions").exists()
    assert list(tmp_path.rglob("*.db")) == []
