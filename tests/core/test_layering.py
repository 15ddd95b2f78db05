"""The core is headless: no module under desktop_qa/core imports Qt or the front ends."""

from __future__ import annotations

import ast
from pathlib import Path

import desktop_qa.core

FORBIDDEN = (
    "PySide6", "PyQt5", "PyQt6", "shiboken6", "desktop_qa.gui", "desktop_qa.cli",
    "desktop_qa.library_cli", "desktop_qa.cluster", "ray",
)  # fmt: skip


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


def test_only_the_cluster_package_uses_ray_and_only_when_called() -> None:
    package = Path(desktop_qa.core.__file__).parents[1]
    for source in sorted(package.rglob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        top_level = {
            alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names
        } | {node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.module}
        assert not any(name.split(".")[0] == "ray" for name in top_level), source
        if source.parent.name != "cluster":
            assert not any(n.split(".")[0] == "ray" for n in imported_modules(source)), source
