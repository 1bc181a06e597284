"""sprintopt's headless core: spec, space, store, sprints, samplers, advisor and workers."""

from __future__ import annotations

__version__ = "0.1.0"
