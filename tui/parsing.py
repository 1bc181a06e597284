"""What the operator types: bounds, choices, fidelity, a configuration, a table filter."""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any

import engine
from engine import SprintoptError

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
}
TERM = re.compile(r"^([A-Za-z_#][\w.#-]*)(<=|>=|!=|<|>|=)(.+)$")


class InputError(SprintoptError):
    """What the operator typed does not parse; the message shows the expected form."""


def number(text: str) -> float:
    return engine.number(text, error=InputError)


def whole(text: str) -> int:
    return engine.whole(text, error=InputError)


def bounds(text: str) -> tuple[float, float]:
    """``low high`` (or ``low, high`` or ``low..high``)."""
    parts = text.replace("..", " ").replace(",", " ").split()
    if len(parts) != 2:
        raise InputError("type two numbers: low high (for example 0.001 0.1)")
    return number(parts[0]), number(parts[1])


def literal(text: str) -> Any:
    """A typed value: number, true/false, or else the text itself."""
    t = text.strip()
    if t.lower() in ("true", "false"):
        return t.lower() == "true"
    try:
        value = ast.literal_eval(t)
    except (ValueError, SyntaxError):
        return t.strip("'\"")
    return value if isinstance(value, (int, float, str, bool)) else t


def fidelity(text: str, current: tuple[float, float, float]) -> tuple[float, float, float]:
    """``AMOUNT [train=F] [valid=F]``; what is left out keeps its current value."""
    amount, train, valid = current
    for part in text.split():
        key, eq, value = part.partition("=")
        if not eq:
            amount = number(part)
        elif key in ("train", "train_fraction"):
            train = number(value)
        elif key in ("valid", "valid_fraction"):
            valid = number(value)
        else:
            raise InputError(f"unknown fidelity key {key!r}: type AMOUNT [train=F] [valid=F]")
    return amount, train, valid


def pruner(text: str) -> tuple[str, int | None]:
    """``NAME [N]`` or ``NAME from RESOURCE N``: a pruner and, optionally, its first step."""
    words = text.split()
    if not words:
        raise InputError("type a pruner: hyperband, median or none, then optionally its first step")
    steps = [w for w in words[1:] if w != "from" and not w.isalpha()]
    if len(steps) > 1:
        raise InputError(f"{text!r}: type NAME [N], for example hyperband 2")
    return words[0].lower(), (whole(steps[0]) if steps else None)


def config(text: str) -> dict[str, Any]:
    """``name=value name=value …``."""
    out = {}
    for part in text.split():
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise InputError(f"{part!r}: type name=value pairs separated by spaces")
        out[key] = literal(value)
    return out


def filter_terms(text: str) -> list[tuple[str, str, Any] | str]:
    """Each term is ``field OP value`` (``state=pruned``, ``x<0.3``) or a word to find."""
    terms: list[tuple[str, str, Any] | str] = []
    for part in text.split():
        m = TERM.match(part)
        terms.append((m[1], m[2], literal(m[3])) if m else part.lower())
    return terms


def matches(terms: list[tuple[str, str, Any] | str], fields: Mapping[str, Any], text: str) -> bool:
    """True if a row (its ``fields`` by name and its shown ``text``) meets every term."""
    for term in terms:
        if isinstance(term, str):
            if term not in text:
                return False
            continue
        name, op, want = term
        if name not in fields:
            return False
        have = fields[name]
        if isinstance(want, str) or not isinstance(have, (int, float)) or isinstance(have, bool):
            ok = op in ("=", "!=") and OPS[op](str(have).lower(), str(want).lower())
        else:
            ok = OPS[op](have, want)
        if not ok:
            return False
    return True
