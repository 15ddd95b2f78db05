"""Batch questions into a CSV from the command line: read back, resumed, interrupted."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from desktop_qa.core import errors
from desktop_qa.core.batch import COLUMNS
from tests.core.test_library import town_pdf


def ask(*args: str | Path, data: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DESKTOP_QA_DATA_DIR": str(data)}
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_qa", "ask", *map(str, args)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.DictReader(stream)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        return list(reader)


def test_a_batch_csv_is_read_back_resumed_and_redone_when_the_document_changes(
    tmp_path: Path, tiny_model: Path
) -> None:
    pdf = town_pdf(tmp_path / "town.pdf", 4)
    questions = tmp_path / "questions.txt"
    asked = ["What was built in 1128?", "=HYPERLINK(1)", "Who built the mill?"]
    questions.write_text("\n".join(asked[:2]) + "\n")
    out = tmp_path / "answers.csv"
    common = ("--questions", questions, "--csv", out, "--model", tiny_model, "--top-k", "2")
    first = ask(pdf, *common, data=tmp_path / "data")
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    written = rows(out)
    assert [r["question"] for r in written if r["rank"] == "1"] == ["What was built in 1128?",
                                                                    "'=HYPERLINK(1)"]  # fmt: skip
    for row in written:  # a stand-in's answers: only what must hold for any
        assert " ".join(row["answer"].removeprefix("'").split()) in row["snippet"]
        assert row["document_path"] == str(pdf)
        assert 0 <= float(row["confidence"] or 0) <= 1 and row["page"] in {"1", "2", "3"}
    questions.write_text("\n".join(asked) + "\n")
    second = ask(pdf, *common, data=tmp_path / "data")
    _, err = second.communicate(timeout=120)
    assert "2 questions are answered" in err
    again = rows(out)
    assert again[: len(written)] == written
    assert {r["question"] for r in again[len(written) :]} == {"Who built the mill?"}
    town_pdf(pdf, 5)  # new text: a new state, every question asked again
    third = ask(pdf, *common, data=tmp_path / "data")
    _, err = third.communicate(timeout=120)
    assert "answered 3 questions" in err
    assert len({r["state"] for r in rows(out)}) == 2


def test_ctrl_c_keeps_the_questions_answered_and_a_rerun_answers_the_rest(
    tmp_path: Path, tiny_model: Path
) -> None:
    pdf = town_pdf(tmp_path / "town.pdf", 4, pages=8)
    total = 300
    questions = tmp_path / "questions.txt"
    questions.write_text("".join(f"What was built in year {1100 + n}?\n" for n in range(total)))
    out = tmp_path / "answers.csv"
    common = ("--questions", questions, "--csv", out, "--model", tiny_model, "--no-history")
    running = ask(pdf, *common, data=tmp_path / "data")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and running.poll() is None:
        if out.exists() and len(out.read_text().splitlines()) > 20:
            running.send_signal(signal.SIGINT)
            break
        time.sleep(0.05)
    _, err = running.communicate(timeout=60)
    assert running.returncode == errors.CancelledError.exit_code, err
    assert "run the same command again" in err and "Traceback" not in err
    kept = {r["question"] for r in rows(out)}
    assert 0 < len(kept) < total
    rest = ask(pdf, *common, data=tmp_path / "data")
    _, err = rest.communicate(timeout=300)
    assert rest.returncode == 0, err
    final = rows(out)
    assert {r["question"] for r in final} == {f"What was built in year {1100 + n}?"
                                              for n in range(total)}  # fmt: skip
    answered_twice = [q for q in kept if sum(r["question"] == q and r["rank"] in {"", "1"}
                                             for r in final) > 1]  # fmt: skip
    assert answered_twice == []
