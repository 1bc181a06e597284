"""The command line's edit strings (``--set lr=1e-5:3e-4``), typed against the spec's space."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from engine.decision.edits import (
    FRACTIONS,
    DropChoice,
    Edit,
    Freeze,
    RestoreChoice,
    SetBounds,
    SetFidelity,
    SetMinResource,
    SetPruner,
    SetSampler,
    SetTrials,
    Unfreeze,
)
from engine.decision.validate import original_param
from engine.edit_flags import EDIT_FLAGS as EDIT_FLAGS
from engine.errors import DecisionError, SprintoptError
from engine.space import CategoricalParam, Choice, IntParam, Param
from engine.spec import Spec


def parse_edits(options: Sequence[tuple[str, str]], spec: Spec) -> list[Edit]:
    """``[("set", "lr=1e-5:3e-4"), ("trials", "60")]`` as typed edits, in the order given."""
    return [parse_edit(flag, text, spec) for flag, text in options]


def parse_edit(flag: str, text: str, spec: Spec) -> Edit:
    """One ``--FLAG TEXT`` as a typed edit; raises :class:`DecisionError` naming the fix."""
    flag, text = flag.lstrip("-"), text.strip()
    if flag == "set":
        name, rhs = _pair(flag, text)
        low, sep, high = rhs.partition(":")
        if not sep or ":" in high:
            raise DecisionError(f"--set {text}: give the range as LOW:HIGH, e.g. {name}=1e-5:3e-4")
        param = _numeric(name, spec)
        return SetBounds(name, _bound(param, low), _bound(param, high))
    if flag == "freeze":
        name, rhs = _pair(flag, text)
        return Freeze(name, typed_value(original_param(spec, name), rhs))
    if flag == "unfreeze":
        if not text or "=" in text:
            raise DecisionError(f"--unfreeze takes a parameter name only, got {text!r}")
        original_param(spec, text)
        return Unfreeze(text)
    if flag in ("drop", "restore"):
        name, rhs = _pair(flag, text)
        param = original_param(spec, name)
        if not isinstance(param, CategoricalParam):
            raise DecisionError(f"--{flag}: {name} is numeric; use --set {name}=LOW:HIGH")
        choice = typed_choice(param, rhs)
        return DropChoice(name, choice) if flag == "drop" else RestoreChoice(name, choice)
    if flag == "fidelity":
        key, rhs = _pair(flag, text)
        return SetFidelity(key, _fidelity_value(spec, key, rhs))
    if flag == "trials":
        return SetTrials(whole(text, "--trials"))
    if flag == "sampler":
        return SetSampler(text)  # checked when applied
    if flag == "pruner":
        return SetPruner(text)
    if flag == "min-resource":
        return SetMinResource(whole(text, "--min-resource"))
    raise DecisionError(f"unknown edit --{flag}: use one of --{', --'.join(EDIT_FLAGS)}")


def typed_value(param: Param, text: str) -> Any:
    """A value for ``param`` from the command line: a number of its kind, or one of its choices."""
    if isinstance(param, CategoricalParam):
        return typed_choice(param, text)
    if isinstance(param, IntParam):
        return whole(text, param.name)
    return number(text, param.name)


def typed_choice(param: CategoricalParam, text: str) -> Choice:
    """The choice ``text`` names: its spelling first (true/false for booleans), then its number;
    quotes ('1' or "1") pick the string when a number and a string are spelled alike."""
    quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "'\""
    hits: list[Choice]
    if quoted:
        hits = [c for c in param.choices if isinstance(c, str) and c == text[1:-1]]
    else:
        hits = [c for c in param.choices if _spelling(c) == text.lower() or c == text]
        if not hits:
            hits = [c for c in param.choices if _numeric_match(c, text)]
    if len(hits) == 1:
        return hits[0]
    listed = ", ".join(repr(c) for c in param.choices)
    if not hits:
        raise DecisionError(f"{param.name} has no choice {text!r} (choices: {listed})")
    raise DecisionError(f"{text!r} matches several of {param.name}'s choices ({listed}): quote it")


def _spelling(c: Choice) -> str:
    if isinstance(c, bool):
        return "true" if c else "false"
    return str(c).lower() if not isinstance(c, str) else "\0" + c  # strings match exactly


def _numeric_match(c: Choice, text: str) -> bool:
    if isinstance(c, bool) or not isinstance(c, (int, float)):
        return False
    try:
        return float(text) == c
    except ValueError:
        return False


def _pair(flag: str, text: str) -> tuple[str, str]:
    name, sep, rhs = text.partition("=")
    if not sep or not name.strip() or not rhs.strip():
        raise DecisionError(f"--{flag} {text!r}: write it as NAME=VALUE ({EDIT_FLAGS[flag]})")
    return name.strip(), rhs.strip()


def _numeric(name: str, spec: Spec) -> Param:
    param = original_param(spec, name)
    if isinstance(param, CategoricalParam):
        raise DecisionError(f"--set: {name} is categorical; use --drop or --restore")
    return param


def _bound(param: Param, text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    return whole(text, param.name) if isinstance(param, IntParam) else number(text, param.name)


def number(
    text: str, what: str | None = None, error: type[SprintoptError] = DecisionError
) -> float:
    """A finite number typed by the operator; ``error`` (with ``what:`` in front) if it is not."""
    where = f"{what}: " if what else ""
    try:
        value = float(text)
    except ValueError:
        raise error(f"{where}{text!r} is not a number") from None
    if not math.isfinite(value):
        raise error(f"{where}{text!r} must be a finite number")
    return value


def whole(text: str, what: str | None = None, error: type[SprintoptError] = DecisionError) -> int:
    """A whole number typed by the operator (``3`` or ``3.0``, not ``2.5``)."""
    value = number(text, what, error)
    if not value.is_integer():
        where = f"{what}: " if what else ""
        raise error(f"{where}{text!r} is not a whole number")
    return int(value)


def _fidelity_value(spec: Spec, key: str, text: str) -> Any:
    if key == spec.fidelity.resource or key in FRACTIONS:
        return number(text, key)
    old = spec.fidelity.extra.get(key)
    if isinstance(old, bool):
        if text.lower() not in ("true", "false"):
            raise DecisionError(f"fidelity {key} is true or false, got {text!r}")
        return text.lower() == "true"
    if isinstance(old, int):
        return whole(text, key)
    if isinstance(old, float):
        return number(text, key)
    return text  # a string key, or one the spec does not know (rejected when applied)
