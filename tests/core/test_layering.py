"""The core is headless: no module under desktop_qa/core imports Qt or the front ends."""

from __future__ import annotations

import ast
from pathlib import Path

import desktop_qa.core

FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "desktop_qa.gui", "desktop_qa.cli")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_qt_or_a_front_end() -> None:
    core = Path(desktop_qa.core.__file__).parent
    sources = sorted(core.rglob("*.py"))
    assert len(sources) >= 10
    for source in sources:
        for name in imported_modules(source):
            assert not name.startswith(FORBIDDEN), f"{source.name} imports {name}"
