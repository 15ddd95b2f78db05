"""The whole app killed mid-question and mid-export: nothing already saved is lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pymupdf

from desktop_qa.core.history import HistoryStore
from tests.conftest import shared_file


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "desktop_qa", *args]


def history(data_dir: Path) -> list[dict[str, Any]]:
    """Every stored question with its answers, oldest first, as ``history --json`` shows it."""
    shown = subprocess.run(
        cli("history", "--json"), capture_output=True, text=True, check=True, timeout=120
    )
    questions: list[dict[str, Any]] = json.loads(shown.stdout)["questions"]
    with HistoryStore(data_dir / "history.sqlite3") as store:
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    return sorted(questions, key=lambda q: q["id"])


def ask_all(paper: Path, questions: list[str], model: Path) -> None:
    """Ask these questions about ``paper`` in one CLI run that saves them to the history."""
    listed = Path(os.environ["DESKTOP_QA_DATA_DIR"]).parent / "questions.txt"
    listed.write_text("".join(f"{q}\n" for q in questions))
    subprocess.run(
        cli("ask", str(paper), "--questions", str(listed), "--model", str(model)),
        capture_output=True, check=True, timeout=300,
    )  # fmt: skip


def pages_and_highlights(pdf_path: Path) -> tuple[int, int]:
    """Pages and highlight annotations of an exported PDF."""
    with pymupdf.open(pdf_path) as pdf:
        return pdf.page_count, sum(len(list(page.annots())) for page in pdf)


def test_a_kill_during_questions_keeps_every_saved_question(
    tmp_path: Path, tiny_model: Path
) -> None:
    paper = shared_file("corpus", "alexnet.pdf")
    data_dir = Path(os.environ["DESKTOP_QA_DATA_DIR"])
    ask_all(paper, ["What is dropout?", "How many GPUs were used?", "What is ReLU?"], tiny_model)
    saved = history(data_dir)
    assert len(saved) == 3

    many = tmp_path / "many.txt"
    many.write_text("".join(f"What happens in step {n} of training?\n" for n in range(2000)))
    process = subprocess.Popen(
        cli("ask", str(paper), "--questions", str(many), "--model", str(tiny_model),
            "--thorough"),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    printed = [process.stdout.readline() for _ in range(8)]
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL
    assert all(json.loads(line)["question"].startswith("What happens") for line in printed)

    after = history(data_dir)
    assert after[:3] == saved, "questions saved before the kill are unchanged"
    killed_run = after[3:]
    # Each question is saved right after it is printed: all but the last printed one are in.
    assert len(printed) - 1 <= len(killed_run) < len(printed) + 2
    assert all(q["answers"] or q["no_answer"] for q in killed_run)

    subprocess.run(
        cli("ask", str(paper), "What is dropout?", "--model", str(tiny_model)),
        capture_output=True, check=True, timeout=300,
    )  # fmt: skip
    assert len(history(data_dir)) == len(after) + 1, "the history takes new questions after"


def test_a_kill_during_export_leaves_the_old_file_or_the_whole_new_one(
    tmp_path: Path, tiny_model: Path
) -> None:
    paper = shared_file("corpus", "alexnet.pdf")
    data_dir = Path(os.environ["DESKTOP_QA_DATA_DIR"])
    ask_all(paper, [f"What is shown in figure {n}?" for n in range(30)], tiny_model)
    saved = history(data_dir)
    out = tmp_path / "log.pdf"
    export = cli("export", "--format", "pdf", "-o", str(out), "--document", str(paper))
    subprocess.run(export, check=True, timeout=300)
    whole = out.read_bytes()
    expected = pages_and_highlights(out)
    assert expected[1] > 0
    started = time.monotonic()
    subprocess.run(export, check=True, timeout=300)
    duration = time.monotonic() - started

    for fraction in (0.2, 0.4, 0.6, 0.8, 0.9, 0.95):
        process = subprocess.Popen(export, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert pages_and_highlights(out) == expected  # never a truncated or half-annotated file
        assert abs(out.stat().st_size - len(whole)) < 0.05 * len(whole)
        assert history(data_dir) == saved
