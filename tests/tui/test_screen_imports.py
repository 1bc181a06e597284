"""Screens ask the app for one another by name: no screen module imports another, or the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SCREENS = Path(__file__).resolve().parents[2] / "tui" / "screens"
ALLOWED = {"tui.screens.base"}
PACKAGES = {"tui", "tui.screens"}


def _imported(path: Path) -> set[str]:
    """Every module ``path`` imports, type-only imports included, relative ones resolved."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = ["tui", "screens"][: max(0, 3 - node.level)]
                base = ".".join([*package, *([base] if base else [])])
            names.add(base)
            if base in PACKAGES:  # "from tui.screens import trial" imports a module
                names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted(SCREENS.glob("*.py")), ids=lambda p: p.name)
def test_a_screen_imports_no_other_screen_nor_the_app(path: Path) -> None:
    own = f"tui.screens.{path.stem}"
    bad = {
        name
        for name in _imported(path)
        if (name.startswith("tui.screens.") and name not in ALLOWED and name != own)
        or name == "tui.app"
        or name.startswith("tui.app.")
    }
    assert not bad, f"{path.name} imports {sorted(bad)}: ask the app (tui.host.Host) instead"
