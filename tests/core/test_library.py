"""Saved libraries on real PDFs: incremental add, remove, sync, crash safety, two writers."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
import pytest

from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.indexing import WindowSpec, add, sync
from desktop_qa.core.library import DUPLICATE, FAILED, INDEXED, Library, LibraryError
from tests.conftest import shared_file
from tests.pdfs import text_pdf

TOPICS = ("castle", "harbour", "bridge", "abbey", "market", "tower", "mill", "chapel")


def town_pdf(path: Path, number: int, pages: int = 3) -> Path:
    """A made-up town history: distinct text (so distinct bytes) for each ``number``."""
    texts = [
        f"The {TOPICS[(number + p) % len(TOPICS)]} of town {number} was built in "
        f"{1100 + 7 * number + p} by guild {number * 3 + p}. " * 12
        for p in range(pages)
    ]
    return text_pdf(path, texts)


@pytest.fixture
def spec(tiny_model: Path) -> WindowSpec:
    return WindowSpec(tiny_model / "tokenizer.json", ReaderSettings(max_seq_len=128, stride=32))


def counts(library: Library) -> tuple[int, int, int]:
    """Indexed documents, windows, and documents of any state."""
    connection = library.connection
    indexed = connection.execute(
        "SELECT count(*) FROM documents WHERE status = ?", (INDEXED,)
    ).fetchone()[0]
    windows = connection.execute("SELECT count(*) FROM windows").fetchone()[0]
    everything = connection.execute("SELECT count(*) FROM documents").fetchone()[0]
    return indexed, windows, everything


def test_add_indexes_only_what_is_new_and_records_broken_files(
    tmp_path: Path, spec: WindowSpec
) -> None:
    folder = tmp_path / "papers"
    (folder / "sub").mkdir(parents=True)
    for n in range(3):
        town_pdf(folder / f"town{n}.pdf", n)
    town_pdf(folder / "sub" / "deep.pdf", 9)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n garbage, no objects")
    with Library("work", tmp_path / "libs") as library:
        first = add(library, [folder], spec, workers=2)
        assert (first.indexed, first.failed) == (4, 1)
        assert library.documents(FAILED)[0].reason
        town_pdf(folder / "town3.pdf", 3)
        second = add(library, [folder], spec)
        assert (second.indexed, second.unchanged, second.failed) == (1, 5, 0)
        assert counts(library)[0] == 5
        hits = library.search("What was built in 1121?", 5)  # town 3, page 1
        assert library.document(hits[0].document_id).path.name == "town3.pdf"
        assert library.check() == "ok"


def test_sync_picks_up_changed_moved_and_deleted_files(tmp_path: Path, spec: WindowSpec) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    for n in range(4):
        town_pdf(folder / f"town{n}.pdf", n)
    with Library("work", tmp_path / "libs") as library:
        add(library, [folder], spec)
        windows_before = counts(library)[1]
        town_pdf(folder / "town0.pdf", 20, pages=5)  # changed: new text, more pages
        (folder / "moved").mkdir()
        (folder / "town1.pdf").rename(folder / "moved" / "renamed.pdf")
        (folder / "town2.pdf").unlink()
        town_pdf(folder / "town9.pdf", 9)
        report = sync(library, spec)
        assert (report.indexed, report.moved, report.removed, report.unchanged) == (2, 1, 1, 1)
        paths = {d.path.relative_to(folder).as_posix() for d in library.documents()}
        assert paths == {"town0.pdf", "moved/renamed.pdf", "town3.pdf", "town9.pdf"}
        assert counts(library)[1] > windows_before - 10  # town0 grew, town2 went
        assert library.search("guild 60", 3)  # town 20's text, now in town0.pdf
        assert library.check() == "ok"


def test_the_same_file_twice_is_one_document_and_removal_keeps_the_files(
    tmp_path: Path, spec: WindowSpec
) -> None:
    first = town_pdf(tmp_path / "a.pdf", 1)
    shutil.copy(first, tmp_path / "copy.pdf")
    with Library("work", tmp_path / "libs") as library:
        report = add(library, [first, tmp_path / "copy.pdf"], spec)
        assert (report.indexed, report.duplicates) == (1, 1)
        assert library.documents(DUPLICATE)[0].reason == f"the same file as {first}"
        assert library.remove([first]) == 1 and first.exists()
        assert library.remove_all() == 1
        assert counts(library) == (0, 0, 0) and library.check() == "ok"
        assert not library.search("town 1", 5)


def test_a_library_of_other_windows_is_indexed_anew(tmp_path: Path, spec: WindowSpec) -> None:
    town_pdf(tmp_path / "a.pdf", 1)
    with Library("work", tmp_path / "libs") as library:
        add(library, [tmp_path], spec)
        wider = WindowSpec(spec.tokenizer_path, ReaderSettings(max_seq_len=128, stride=48))
        report = sync(library, wider)
        assert report.indexed == 1 and library.windows_key() == wider.key()
        assert library.check() == "ok"


def test_names_are_checked_and_unknown_libraries_reported(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="not a library name"):
        Library("../escape", tmp_path)
    with pytest.raises(LibraryError, match="no library named 'absent'"):
        Library.existing("absent", tmp_path)


def library_add(folder: Path, model: Path, data: Path, name: str = "main") -> subprocess.Popen[str]:
    env = {**os.environ, "DESKTOP_QA_DATA_DIR": str(data)}
    return subprocess.Popen(
        [sys.executable, "-m", "desktop_qa", "library", "add", str(folder), "--library", name,
         "--model", str(model), "--workers", "1", "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_kill_9_while_indexing_loses_nothing_indexed_and_sync_finishes(
    tmp_path: Path, tiny_model: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    total = 60
    for n in range(total):
        town_pdf(folder / f"town{n:02d}.pdf", n, pages=6)
    data = tmp_path / "data"
    database = data / "libraries" / "main.sqlite3"
    process = library_add(folder, tiny_model, data)
    indexed_at_kill = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(database, timeout=5) as reading:
                indexed_at_kill = reading.execute("SELECT count(*) FROM documents").fetchone()[0]
        except sqlite3.OperationalError:
            pass
        if indexed_at_kill >= 3:
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    process.communicate(timeout=30)  # also closes its pipes
    assert process.returncode == -signal.SIGKILL, "indexing ended before it could be killed"
    with Library("main", data / "libraries") as library:
        indexed, _, everything = counts(library)
        assert 3 <= everything < total and indexed == everything  # none half written
        assert library.check() == "ok"
        settings = ReaderSettings()
        from desktop_qa.core.assistant import settings_for
        from desktop_qa.core.model import load_model_info

        spec = WindowSpec(
            tiny_model / "tokenizer.json", settings_for(load_model_info(tiny_model), settings)
        )
        report = sync(library, spec)
        assert report.indexed == total - everything and report.unchanged == everything
        assert counts(library)[0] == counts(library)[2] == total
        fts_rows = library.connection.execute(
            "SELECT count(*) FROM windows_fts WHERE windows_fts MATCH 'town'"
        ).fetchone()[0]
        assert fts_rows == counts(library)[1] and library.check() == "ok"


def test_two_indexers_of_one_library_neither_corrupt_nor_duplicate(
    tmp_path: Path, tiny_model: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(24):
        town_pdf(folder / f"town{n:02d}.pdf", n)
    data = tmp_path / "data"
    runs = [library_add(folder, tiny_model, data) for _ in range(2)]
    for run in runs:
        _, err = run.communicate(timeout=240)
        assert run.returncode == 0, err
    with Library("main", data / "libraries") as library:
        indexed, windows, everything = counts(library)
        assert indexed == everything == 24 and library.check() == "ok"
        distinct = library.connection.execute(
            "SELECT count(DISTINCT document_id || '/' || number) FROM windows"
        ).fetchone()[0]
        assert distinct == windows


def test_the_shared_papers_index_and_answer_by_title_through_the_cli(
    tmp_path: Path, tiny_model: Path
) -> None:
    papers = shared_file("corpus", "library")
    data = tmp_path / "data"
    env = {**os.environ, "DESKTOP_QA_DATA_DIR": str(data)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "desktop_qa", *args],
            env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip

    selection = sorted(papers.glob("*.pdf"))[:4]
    for paper in selection:
        shutil.copy(paper, tmp_path / paper.name)
    added = cli("library", "add", *map(str, (tmp_path / p.name for p in selection)),
                "--library", "papers", "--model", str(tiny_model), "--json")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["indexed"] == 4 and "indexed 4 of 4" in added.stderr
    listed = json.loads(cli("library", "list", "--library", "papers", "--json").stdout)
    assert {d["status"] for d in listed["documents"]} == {"indexed"}
    assert all(d["pages"] > 0 and d["title"] for d in listed["documents"])
    asked = cli("ask", "--library", "papers", "What is proposed?", "--model", str(tiny_model),
                "--json")  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    payload = json.loads(asked.stdout)
    titles = {d["title"] for d in listed["documents"]}
    assert payload["library"] == "papers" and payload["answers"]
    for answer in payload["answers"]:  # a stand-in's answers: only what must hold for any
        assert answer["document_title"] in titles and answer["page"] >= 1
    history = json.loads(cli("history", "--library", "papers", "--json").stdout)["questions"]
    assert [q["question"] for q in history] == ["What is proposed?"]
    assert [a["document"]["title"] for a in history[0]["answers"]] == [
        a["document_title"] for a in payload["answers"]
    ]
    questions = tmp_path / "questions.txt"
    questions.write_text("What is proposed?\nWhich dataset is used?\n")
    batch = cli("ask", "--library", "papers", "--questions", str(questions), "--csv",
                str(tmp_path / "rows.csv"), "--model", str(tiny_model))  # fmt: skip
    assert batch.returncode == 0, batch.stderr
    with (tmp_path / "rows.csv").open(newline="") as stream:
        table = list(csv.DictReader(stream))
    assert {r["question"] for r in table} == {"What is proposed?", "Which dataset is used?"}
    for row in table:  # a cell a spreadsheet would run as a formula gets a leading '
        assert row["document"] in titles
        assert " ".join(row["answer"].removeprefix("'").split()) in row["snippet"]
    names = json.loads(cli("library", "libraries", "--json").stdout)["libraries"]
    assert [(n["name"], n["indexed"]) for n in names] == [("papers", 4)]


def test_library_questions_are_recorded_and_exported_per_document(
    tmp_path: Path, spec: WindowSpec, tiny_model: Path
) -> None:
    from desktop_qa.core.assistant import Assistant, ask_saved_library
    from desktop_qa.core.chunking import QATokenizer
    from desktop_qa.core.export import export
    from desktop_qa.core.history import HistoryStore
    from desktop_qa.core.model import file_sha256, load_model_info
    from tests.oracle import PhraseOracle, calibrated_copy

    folder = tmp_path / "papers"
    folder.mkdir()
    for n in range(4):
        town_pdf(folder / f"town{n}.pdf", n)
    tokenizer = QATokenizer.from_file(spec.tokenizer_path)
    years = {"town1.pdf": "1107", "town3.pdf": "1122"}  # town 1 page 1, town 3 page 2
    oracle = PhraseOracle(*(tuple(tokenizer.encode_text(y)[0].tolist()) for y in years.values()))
    model = load_model_info(calibrated_copy(tiny_model, tmp_path / "calibrated", 0.5))
    assistant = Assistant(model, spec.settings, oracle)
    with Library("work", tmp_path / "libs") as library, HistoryStore(tmp_path / "h.db") as store:
        add(library, [folder], spec)
        for year in years.values():
            result = ask_saved_library(assistant, library, f"What was built in {year}?")
            assert result.answers[0].answer.text == year
            store.record_library("work", result, model.name, model.version, "cpu")
        asked = store.questions(library="work")
        assert [q.library for q in asked] == ["work", "work"]
        best = {q.answers[0].text: Path(q.answers[0].document_path).name for q in asked}
        assert best == {year: name for name, year in years.items()}
        town3 = file_sha256(folder / "town3.pdf")
        assert [q.text for q in store.questions(document_sha256=town3)] == [
            "What was built in 1122?"
        ]
    rows = list(csv.DictReader(io.StringIO((export(asked, "csv", tmp_path / "l.csv")).read_text())))
    assert {(r["answer"], Path(r["document_path"]).name) for r in rows if r["rank"] == "1"} == {
        (year, name) for name, year in years.items()
    }
    assert {r["library"] for r in rows} == {"work"}
    payload = json.loads(export(asked, "json", tmp_path / "l.json").read_text())
    assert payload["questions"][0]["document"] is None
    assert payload["questions"][0]["answers"][0]["document"]["sha256"]
    copies = export(asked, "pdf", tmp_path / "annotated")
    made = sorted(p.name for p in copies.iterdir())
    assert made == ["town1.annotated.pdf", "town3.annotated.pdf"]
    for name, year in years.items():
        with pymupdf.open(copies / name.replace(".pdf", ".annotated.pdf")) as pdf:
            notes = [a.info["content"] for page in pdf for a in page.annots()]
        assert len(notes) == 1 and f"): {year} (" in notes[0]
