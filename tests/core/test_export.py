"""Exports read back: CSV with csv, JSON with json, Markdown by eye, the PDF with pymupdf."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import unicodedata
from pathlib import Path

import pymupdf
import pytest

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.errors import DocumentError, InputError
from desktop_qa.core.export import BEST_COLOUR, CORRECT_COLOUR, export, spreadsheet_safe
from desktop_qa.core.history import HistoryStore, StoredQuestion
from desktop_qa.core.model import load_model_info
from tests.conftest import shared_file
from tests.history_helpers import document, result
from tests.oracle import OracleLogits, calibrated_copy, token_span

GOLD = {
    "How many parameters does the network have?": "60 million parameters",
    "What regularization method was used?": "dropout",
    "How many kernels does the third layer have?": "384 kernels",
}


@pytest.fixture
def alexnet_history(tiny_model: Path, tmp_path: Path) -> tuple[list[StoredQuestion], Path]:
    """Real answers with real boxes on a copy of alexnet.pdf, stored in a history."""
    pdf = shutil.copy(shared_file("corpus", "alexnet.pdf"), tmp_path / "alexnet.pdf")
    oracle = OracleLogits(None)
    model = calibrated_copy(tiny_model, tmp_path / "calibrated", threshold=0.5)
    assistant = Assistant(load_model_info(model), ReaderSettings(top_k=2), oracle)
    opened = assistant.open(pdf)
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        for question, answer in GOLD.items():
            start = opened.document.text.index(answer)
            oracle.span = token_span(opened.tokens, start, start + len(answer))
            store.record(opened.document, assistant.ask(opened, question), "oracle", "1", "cpu")
        return store.questions(), Path(pdf)


def test_csv_has_a_header_and_one_row_per_answer(
    alexnet_history: tuple[list[StoredQuestion], Path], tmp_path: Path
) -> None:
    questions, _ = alexnet_history
    out = export(questions, "csv", tmp_path / "log.csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"), newline="")))
    assert len(rows) == sum(len(q.answers) for q in questions) == 6
    best = {r["question"]: r["answer"] for r in rows if r["rank"] == "1"}
    assert best == GOLD
    assert all(r["document_title"].startswith("ImageNet") for r in rows)
    confidences = [float(r["confidence"]) for r in rows]
    assert all(0 <= c <= 1 for c in confidences)
    assert min(float(r["confidence"]) for r in rows if r["rank"] == "1") > 0.9


def test_csv_cells_cannot_become_spreadsheet_formulas(tmp_path: Path) -> None:
    text = "=HYPERLINK(x) and +1 and -2 and @SUM(y)"
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.record(document(text, "=evil"), result("=1+1", ["-2", "+1"], text), "m", "1", "c")
        questions = store.questions()
    out = export(questions, "csv", tmp_path / "x.csv")
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8"), newline="")))
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert "'=1+1" in cells and "'-2" in cells and "'+1" in cells and "'=evil" in cells
    assert spreadsheet_safe("plain") == "plain" and spreadsheet_safe(None) == ""


def test_json_has_a_versioned_stable_schema(
    alexnet_history: tuple[list[StoredQuestion], Path], tmp_path: Path
) -> None:
    questions, pdf = alexnet_history
    payload = json.loads(export(questions, "json", tmp_path / "log.json").read_text("utf-8"))
    assert payload["format"] == "desktop-qa-history" and payload["version"] == 1
    assert {q["question"] for q in payload["questions"]} == set(GOLD)
    first = payload["questions"][0]
    assert first["document"]["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    answer = first["answers"][0]
    assert set(answer) >= {"rank", "text", "score", "page", "char_start", "char_end", "boxes"}
    assert answer["confidence"] > 0.9 > first["answers"][1]["confidence"]
    assert len(answer["boxes"]) == len(answer["box_pages"]) >= 1


def test_markdown_lists_every_question_with_pages(
    alexnet_history: tuple[list[StoredQuestion], Path], tmp_path: Path
) -> None:
    questions, _ = alexnet_history
    text = export(questions, "md", tmp_path / "log.md").read_text("utf-8")
    assert text.startswith("# desktop-qa Q&A log")
    assert "## ImageNet Classification" in text
    for question, answer in GOLD.items():
        assert f"### {question}" in text
        assert f"**{answer}**" in text
    assert "(page 1, likely right, 99%)" in text and "(page 5," in text


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def highlights(pdf: Path) -> list[tuple[str, int, str, tuple[float, ...]]]:
    """desktop-qa's highlights: the words under each, its page, its note and colour."""
    found = []
    with pymupdf.open(pdf) as annotated:
        for page in annotated:
            for annot in page.annots():
                if annot.info["title"] != "desktop-qa":
                    continue  # the paper's own annotations
                assert annot.type[1] == "Highlight"
                quads = annot.vertices
                words = "".join(
                    page.get_textbox(pymupdf.Quad(quads[i : i + 4]).rect)
                    for i in range(0, len(quads), 4)
                )
                colour = tuple(round(c, 2) for c in annot.colors["stroke"])
                found.append((squash(words), page.number + 1, annot.info["content"], colour))
    return found


def test_annotated_pdf_highlights_best_answers_and_those_marked_correct_only(
    alexnet_history: tuple[list[StoredQuestion], Path], tmp_path: Path
) -> None:
    questions, pdf = alexnet_history
    wrong_best, right_second = questions[0].answers[0], questions[1].answers[1]
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.mark(wrong_best.id, False)
        store.mark(right_second.id, True)
        questions = store.questions()
    before = pdf.read_bytes()
    out = export(questions, "pdf", tmp_path / "annotated.pdf")
    assert pdf.read_bytes() == before
    expected = {
        (a.text, a.page, q.text, BEST_COLOUR if a.rank == 1 else CORRECT_COLOUR)
        for q in questions
        for a in q.answers
        if (a.rank == 1 and a.id != wrong_best.id) or a.id == right_second.id
    }
    assert len(expected) == len(questions)  # one best left out, one second added
    found = highlights(out)
    assert len({content for _, _, content, _ in found}) == len(expected)
    for text, page, question, colour in expected:
        parts = [
            f for f in found if f[2].startswith(f"Q: {question}\nA (") and f"): {text} (" in f[2]
        ]
        assert parts, f"no highlight for {text!r}"
        assert parts[0][1] == page, "the highlight starts on the answer's page"
        assert parts[0][3] == tuple(round(c, 2) for c in colour)
        # an answer running onto the next page gets one highlight per page
        assert "".join(words for words, _, _, _ in parts) == squash(text)


def test_pdf_export_needs_one_document_that_is_still_the_same(
    alexnet_history: tuple[list[StoredQuestion], Path], tmp_path: Path
) -> None:
    questions, pdf = alexnet_history
    with pytest.raises(InputError, match="overwrite the original"):
        export(questions, "pdf", pdf)
    moved = pdf.rename(tmp_path / "renamed.pdf")
    with pytest.raises(DocumentError, match="--document"):
        export(questions, "pdf", tmp_path / "a.pdf")
    assert export(questions, "pdf", tmp_path / "a.pdf", moved).is_file()
    other = tmp_path / "other.pdf"
    other.write_bytes(moved.read_bytes() + b"\n% changed")
    with pytest.raises(DocumentError, match="changed"):
        export(questions, "pdf", tmp_path / "b.pdf", other)
    mixed = [*questions, _other_document_question(tmp_path)]
    with pytest.raises(InputError, match="several documents"):
        export(mixed, "pdf", tmp_path / "c.pdf", moved)
    with pytest.raises(InputError, match="give a folder"):
        export(mixed, "pdf", tmp_path / "c.pdf")


def _other_document_question(tmp_path: Path) -> StoredQuestion:
    with HistoryStore(tmp_path / "other.sqlite3") as store:
        store.record(document(), result("Who?", ["Rollo"]), "m", "1", "cpu")
        return store.questions()[0]


def test_nothing_to_export_is_said_plainly(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nothing to export"):
        export([], "csv", tmp_path / "x.csv")
