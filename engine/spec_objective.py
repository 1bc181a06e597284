"""The spec's objective (``module:function``), imported only after the spec validates."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.errors import SpecError
from engine.limits import shown
from engine.spec_messages import _repr

if TYPE_CHECKING:
    from engine.spec import Spec


def resolve_objective(spec: Spec, search_path: list[str] | None = None) -> Callable[..., Any]:
    """Import ``module:function``; a failure is a :class:`SpecError` naming the field."""
    module_name, _, attr = spec.session.objective.partition(":")
    for entry in reversed(search_path or []):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure of user code is a spec problem to report
        raise SpecError(
            f"session.objective: cannot import module {_repr(module_name)} "
            f"({type(exc).__name__}: {shown(str(exc))}); run from the directory that contains "
            "it or fix the path"
        ) from None
    func: object = getattr(module, attr, None)
    if func is None:
        raise SpecError(
            f"session.objective: module {_repr(module_name)} has no attribute {_repr(attr)}"
        )
    if not callable(func):
        raise SpecError(f"session.objective: {shown(spec.session.objective)} is not callable")
    return func
