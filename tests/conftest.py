"""Shared fixtures: a session directory with a spec and a small objective module."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

# Short heartbeats so dead workers are noticed within seconds; set before engine.store loads.
os.environ.setdefault("SPRINTOPT_HEARTBEAT_SECONDS", "1")

from engine.optuna_internals import quiet_optuna

# The entry points quiet Optuna; tests drive the engine without them, so do it here.
quiet_optuna()

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_service(available, reason): see tests/services.py")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from tests import services

    services.serialise(items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    from tests import services

    services.check(item)


OBJECTIVES = '''
"""Objectives for the tests; behaviour steered by files in this directory."""
import math, os, time
from pathlib import Path

HERE = Path(__file__).parent

def quadratic(config, fidelity, reporter):
    reporter.set_attr("cuda", os.environ.get("CUDA_VISIBLE_DEVICES"))
    gate = HERE / "gate"
    if gate.exists():  # hold every trial until this many worker processes have one running
        (HERE / f"started-{os.getpid()}").write_text("1")
        deadline = time.monotonic() + 60
        while len(list(HERE.glob("started-*"))) < int(gate.read_text()):
            if time.monotonic() > deadline:
                raise RuntimeError("the other workers never started a trial")
            time.sleep(0.05)
    slow = HERE / "slow"
    value = 0.0
    for step in range(1, fidelity.steps + 1):
        if slow.exists():
            (HERE / f"running-{os.getpid()}").write_text("1")
            time.sleep(float(slow.read_text() or 30))
        value = (config["x"] - 0.3) ** 2 + 0.1 * (fidelity.steps - step) + config.get("shift", 0)
        reporter.report(value, step)
    return value

def flaky(config, fidelity, reporter):
    x = config["x"]
    if x < 0.2:
        raise RuntimeError("diverged: loss exploded")
    if x < 0.4:
        return float("nan")
    if x < 0.6:
        return "not a number"
    if x < 0.7:
        return math.inf
    return x

def optuna_style(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    assert trial.user_attrs["sprintopt.fidelity"]["amount"] >= 1
    trial.report(x, 1)
    return (x - 0.5) ** 2
'''


@dataclass
class SessionDir:
    path: Path
    name: str

    @property
    def spec(self) -> Path:
        return self.path / "spec.toml"

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path / 'sessions' / (self.name + '.db')}"

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tui.cli", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=test_env(),
        )

    def gate(self, workers: int) -> None:
        """Hold each trial until that many worker processes have started one: they all race."""
        (self.path / "gate").write_text(str(workers))

    def slow(self, seconds: float | None) -> None:
        flag = self.path / "slow"
        if seconds is None:
            flag.unlink(missing_ok=True)
        else:
            flag.write_text(str(seconds))


def test_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.pop("SPRINTOPT_STORAGE", None)
    return env


SPRINT = """
[[sprints]]
name = "{name}"
sampler = "{sampler}"
pruner = "{pruner}"
trials = {trials}
fidelity = {{ epochs = {epochs} }}
"""


def write_spec(
    directory: Path,
    name: str,
    objective: str,
    sprints: list[dict],
    direction: str = "minimize",
    extra: str = "",
) -> Path:
    (directory / "objs.py").write_text(OBJECTIVES)
    body = textwrap.dedent(f'''
        [session]
        name = "{name}"
        direction = "{direction}"
        objective = "objs:{objective}"
        seed = 7

        [space.x]
        type = "float"
        low = 0.0
        high = 1.0

        [fidelity]
        resource = "epochs"
        max = 4
        ''')
    for s in sprints:
        body += SPRINT.format(**{"sampler": "random", "pruner": "none", "epochs": 1, **s})
    spec = directory / "spec.toml"
    spec.write_text(body + extra)
    return spec


@pytest.fixture
def session_dir(tmp_path: Path) -> Callable[..., SessionDir]:
    def make(
        objective: str = "quadratic", sprints: list[dict] | None = None, name: str = "t", **kw: str
    ) -> SessionDir:
        write_spec(tmp_path, name, objective, sprints or [{"name": "only", "trials": 6}], **kw)
        return SessionDir(tmp_path, name)

    return make


@pytest.fixture(autouse=True)
def _fresh_objective_module():
    """Each test's objs.py lives in its own tmp dir: never reuse another test's import."""
    sys.modules.pop("objs", None)
    yield
    sys.modules.pop("objs", None)
