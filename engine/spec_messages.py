"""How a spec's mistakes are told: pydantic's errors as one message, values as written."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from engine.limits import shown

_PARAM_TAGS = ("float", "int", "categorical")
_CHOICE_TYPES = ("bool", "int", "float", "str")  # the members of a choice's union
_PATTERN_HINTS = {
    "name": "use letters, digits, _ . - (starting with a letter or digit)",
    "objective": "write it as 'module:function', e.g. 'mypkg.train:objective'",
    "resource": "use a plain name such as 'epochs'",
}


def _describe_errors(exc: ValidationError) -> str:
    """The first problem, then one line for each other field at fault."""
    problems: dict[str, str] = {}
    for err in exc.errors():
        loc = list(err["loc"])
        if len(loc) > 2 and loc[0] == "space" and loc[2] in _PARAM_TAGS:
            del loc[2]  # the parameter's `type`, which pydantic shows as a path step
        if len(loc) > 1 and isinstance(loc[-2], int) and loc[-1] in _CHOICE_TYPES:
            del loc[-1]  # one choice failed every type of the union: say so once
            msg = "must be a string, a number or a boolean"
        else:
            msg = _message(err)
        if err["type"] == "finite_number":
            msg = "must be a finite number (not nan or inf)"
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{shown(str(p))}" for p in loc)
        where = shown(where.lstrip("."))
        if where not in problems or err["type"] == "finite_number":
            problems[where] = shown(msg, 1000)
    lines = [f"{where}: {msg}" if where else msg for where, msg in problems.items()]
    if len(lines) == 1:
        return lines[0]
    listed = lines[1:_MAX_LINES]
    if len(lines) > _MAX_LINES:
        listed.append(f"... {len(lines) - _MAX_LINES} more not shown")
    return f"{lines[0]} (and {len(lines) - 1} more)\n  " + "\n  ".join(listed)


_MAX_LINES = 10  # a spec with thousands of mistakes still gets a message one can read


def _message(err: Any) -> str:
    kind, loc = err["type"], err["loc"]
    if kind == "extra_forbidden":
        return "unknown key: remove it or check its spelling"
    if kind == "missing":
        return "required key is missing: add it"
    if kind == "union_tag_invalid":
        return "type must be one of 'float', 'int', 'categorical'"
    if kind == "union_tag_not_found":
        return "missing 'type': set type = 'float', 'int' or 'categorical'"
    if kind == "model_type":  # `notify = "…"` where a table belongs
        table = ".".join(loc) if loc and all(isinstance(p, str) for p in loc) else ""
        hint = f" ([{shown(table)}] on its own line, its keys below it)" if table else ""
        return f"must be a table{hint}, got {_toml(err['input'])}"
    if kind == "string_pattern_mismatch" and loc and loc[-1] in _PATTERN_HINTS:
        return f"{_PATTERN_HINTS[loc[-1]]}; got {_repr(err['input'])}"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if kind.endswith("_type"):
        given = err["input"]
        plain = isinstance(given, (bool, int, float, str))
        msg += f", got {_toml(given) if plain else _repr(given)}"
    return msg


def _repr(value: Any) -> str:
    try:
        return shown(repr(value))
    except (RecursionError, ValueError):  # deeply nested, or an integer of 5,000 digits
        return type(value).__name__


def _toml(value: Any) -> str:
    """How the user wrote ``value`` (true, 1, 1.0, "a"), cut short if it is long."""
    try:
        return shown(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return type(value).__name__
