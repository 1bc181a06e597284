"""The README's two set-up commands are the ones CI and users actually run."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_exactly_two_setup_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert "sprintopt demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert _readme_commands()[1] in ci


def test_torch_is_pinned_to_the_one_version_the_readme_names():
    """An unpinned torch, or a range, lets pip pick a newer (CUDA) build; the README tells a GPU
    box to install the CUDA build of this same version first."""
    pyproject = (REPO / "pyproject.toml").read_text()
    assert "torch==2.13.0" in (REPO / "README.md").read_text()
    assert re.findall(r'"torch\s*[=<>~!][^"]*"', pyproject) == ['"torch==2.13.0"']


def test_the_readme_spec_loads_and_its_last_sprint_is_auto():
    """The spec a reader copies from "The spec" is valid, and its last sprint runs a GP over
    the small example space (``sampler = "auto"``), as the examples' last sprints do."""
    import tomllib

    from engine.spec import spec_from_dict
    from engine.sprint import planned_sprint

    text = (REPO / "README.md").read_text().split("### The spec", 1)[1]
    block = re.findall(r"```toml\n(.+?)```", text, re.S)[0]
    spec = spec_from_dict(tomllib.loads(block), source="README")
    assert spec.sprints[-1].sampler == "auto"
    last = planned_sprint(spec, len(spec.sprints) - 1)
    assert (last.sampler, last.pruner) == ("gp", "none")
