"""The CLI over every odd or broken PDF: an answer or one clear line with a documented code."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from desktop_qa.core import errors
from tests.conftest import CORPUS

ODD = sorted((CORPUS / "odd").glob("*.pdf")) if (CORPUS / "odd").is_dir() else []
BUDGET_S = 60
DOCUMENTED = {
    cls.exit_code
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.DesktopQAError)
}


@pytest.mark.skipif(not ODD, reason="../shared/corpus/odd is not available")
def test_every_odd_pdf_answers_or_fails_with_one_documented_line(tiny_model: Path) -> None:
    env = {**os.environ}

    def ask(path: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
        return path, subprocess.run(
            [sys.executable, "-m", "desktop_qa", "ask", str(path), "What is this about?",
             "--model", str(tiny_model), "--no-history", "--json"],
            capture_output=True, text=True, env=env, timeout=BUDGET_S,
        )  # fmt: skip

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(ask, ODD))
    answered = 0
    for path, completed in results:
        assert "Traceback" not in completed.stderr, path.name
        if completed.returncode == 0:
            answered += 1
            assert completed.stdout.startswith("{"), path.name
            continue
        assert completed.returncode in DOCUMENTED, (path.name, completed.returncode)
        lines = [line for line in completed.stderr.splitlines() if "stand-in" not in line]
        assert len(lines) == 1 and lines[0].startswith("desktop-qa: error: "), path.name
    assert answered > len(ODD) // 2
