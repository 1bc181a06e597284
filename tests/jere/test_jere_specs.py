"""The example's specs load in the engine and every sprint's fidelity suits the objective."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from engine.objective import Fidelity
from engine.space import CategoricalParam
from engine.spec import Spec, load_spec, sprint_fidelity
from examples.jere.config import RunSettings, TrialConfig
from examples.jere.objective import objective

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "jere"
SPECS = ["paper.toml", "tiny.toml"]


def low_config(spec: Spec) -> dict[str, Any]:
    """A configuration from the space: each parameter at its low bound or first choice."""
    space = spec.to_space()
    params = {
        p.name: p.choices[0] if isinstance(p, CategoricalParam) else p.low for p in space.params
    }
    return space.config(params)


@pytest.mark.parametrize("name", SPECS)
def test_spec_loads_and_every_key_is_known_to_the_objective(name: str) -> None:
    spec = load_spec(FOLDER / name)
    assert spec.session.objective == "examples.jere.objective:objective"
    assert spec.session.direction == "maximize"
    config = TrialConfig.from_dict(low_config(spec))
    assert [s.name for s in spec.sprints] == ["define", "warmup", "full"]
    for sprint in spec.sprints:
        fidelity = sprint_fidelity(spec, sprint)
        assert fidelity.resource == "epochs"
        RunSettings.from_extra(fidelity.extra)
    assert config.scheduler == "one_cycle"


@pytest.mark.parametrize("name", SPECS)
def test_sprints_follow_the_papers_three_phases(name: str) -> None:
    spec = load_spec(FOLDER / name)
    define, warmup, full = (sprint_fidelity(spec, s) for s in spec.sprints)
    config = TrialConfig.from_dict(low_config(spec))
    # Phase 1: GP, one epoch, 1/6 of train, 1/3 of validation, schedule off.
    assert spec.sprints[0].sampler == "gp" and spec.sprints[0].pruner == "none"
    assert define.amount == 1 and RunSettings.from_extra(define.extra).scheduler == "off"
    assert define.train_fraction == pytest.approx(1 / 6, abs=1e-3)
    assert define.valid_fraction == pytest.approx(1 / 3, abs=1e-3)
    # Phase 2: GP, stopped at ceil(pct_start * max_epochs) with the schedule over max_epochs.
    run = RunSettings.from_extra(warmup.extra)
    expected = math.ceil(config.pct_start * spec.fidelity.max)
    assert spec.sprints[1].sampler == "gp"
    assert run.epochs(warmup.steps, config) == (expected, spec.fidelity.max)
    # Phase 3: TPE + Hyperband over the full schedule, then calibration.
    assert (spec.sprints[2].sampler, spec.sprints[2].pruner) == ("tpe", "hyperband")
    assert full.amount == spec.fidelity.max
    assert RunSettings.from_extra(full.extra).calibrate


def test_each_tiny_sprint_runs_one_trial(reporter_class: Any) -> None:
    """Every sprint of tiny.toml, one trial each, straight through the objective."""
    spec = load_spec(FOLDER / "tiny.toml")
    config = low_config(spec)
    for sprint in spec.sprints:
        fidelity: Fidelity = sprint_fidelity(spec, sprint)
        reporter = reporter_class()
        value = objective(dict(config), fidelity, reporter)
        assert 0.0 <= value <= 1.0
        epochs = reporter.attrs["schedule"]["epochs"]
        assert [step for step, _ in reporter.reports] == list(range(1, epochs + 1))
    assert "test" in reporter.attrs and "thresholds" in reporter.attrs
