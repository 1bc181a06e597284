"""The engine's front door: every public name resolves, lazily, and importing it is cheap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import engine

REPO = Path(__file__).resolve().parents[2]


def test_every_public_name_resolves_to_the_object_its_module_defines():
    import importlib

    assert engine.__all__ == sorted(engine._MODULE)  # the literal list and the table agree
    for name in engine.__all__:
        module = importlib.import_module(engine._MODULE[name])
        assert getattr(engine, name) is getattr(module, name), name


def test_an_unknown_name_is_an_attribute_error():
    try:
        engine.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("an unknown name resolved")


def test_importing_the_front_door_loads_no_engine_module_and_a_name_loads_only_its_own():
    code = (
        "import sys, engine\n"
        "before = sorted(m for m in sys.modules if m.startswith('engine.'))\n"
        "engine.mask_url\n"
        "heavy = [m for m in ('engine.worker', 'engine.runner', 'engine.advisor', 'optuna')"
        " if m in sys.modules]\n"
        "print(before, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[] []", out.stdout
