"""Comparing parameter values that went through storage: types kept apart, floats by tolerance."""

from __future__ import annotations

import math
from typing import Any


def same_choice(a: Any, b: Any) -> bool:
    """Equal and of one type: True == 1 in Python, but a categorical {1, true} keeps them apart."""
    return type(a) is type(b) and a == b


def same_value(a: Any, b: Any) -> bool:
    """Equal parameter values; floats within a hair, since storage may round-trip them."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return same_choice(a, b)


def show_value(value: Any) -> str:
    """A parameter value as the operator reads it: floats to six digits, the rest as typed."""
    return f"{value:.6g}" if isinstance(value, float) else repr(value)
