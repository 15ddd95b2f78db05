"""Build the one-folder app and start it (slow: run with DESKTOP_QA_BUILD_BUNDLE=1).

DESKTOP_QA_BUILD_BUNDLE=1 QT_QPA_PLATFORM=offscreen .venv/bin/python -m pytest tests/packaging
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dist" / "desktop-qa" / "desktop-qa"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("DESKTOP_QA_BUILD_BUNDLE") != "1",
        reason="builds a 400 MB bundle for minutes; set DESKTOP_QA_BUILD_BUNDLE=1",
    ),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    pytest.importorskip("PyInstaller")
    subprocess.run(
        ["bash", str(ROOT / "packaging" / "build_linux.sh")], cwd=ROOT, check=True, timeout=1200
    )
    return APP


@pytest.mark.timeout(1500)
def test_the_bundle_runs_the_cli_and_starts_the_window(bundle: Path, tmp_path: Path) -> None:
    env = {**os.environ, "DESKTOP_QA_DATA_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    version = subprocess.run([bundle, "--version"], capture_output=True, text=True, env=env)
    assert version.returncode == 0 and version.stdout.startswith("desktop-qa ")
    asked = subprocess.run(
        [bundle, "ask", shared_file("corpus", "alexnet.pdf"), "What is dropout?", "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    quitting = {**env, "DESKTOP_QA_QUIT_AFTER_MS": "4000"}
    started = subprocess.run(
        [bundle, "gui", shared_file("corpus", "alexnet.pdf")],
        capture_output=True, text=True, env=quitting, timeout=120,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    desktop = (bundle.parent / "desktop-qa.desktop").read_text()
    assert f"Exec={bundle} gui %f" in desktop
