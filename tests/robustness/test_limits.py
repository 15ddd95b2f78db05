"""Very long documents, very long pages and questions, empty pages, non-Latin scripts."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.document import open_pdf
from desktop_qa.core.errors import CancelledError, SlowDocumentError
from desktop_qa.core.model import load_model_info


@pytest.fixture(scope="module")
def assistant(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    cache = DocumentCache(tmp_path_factory.mktemp("cache"))
    return Assistant(load_model_info(tiny_model), cache=cache)


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "long.pdf"
    document = pymupdf.open()
    for number in range(1, 2001):
        page = document.new_page()
        if number % 500 != 0:  # every 500th page is empty
            page.insert_text((72, 300), f"Page {number} tells of castle {number * 7}.")
    document.save(path)
    return path


def test_a_2000_page_pdf_opens_page_by_page_and_can_be_cancelled(
    assistant: Assistant, long_pdf: Path
) -> None:
    seen: list[int] = []

    def stop_at_100() -> bool:
        return len(seen) >= 100

    with pytest.raises(CancelledError):
        open_pdf(long_pdf, progress=lambda done, total: seen.append(done), cancelled=stop_at_100)
    assert len(seen) == 100

    opened = assistant.open(long_pdf)
    document = opened.document
    assert document.page_count == 2000
    assert not document.pages[499].has_text and document.pages[500].has_text
    start = document.text.index("castle 7007")
    assert document.page_at(start) == 1001
    result = assistant.ask(opened, "Which page tells of castle 7007?")
    assert result.windows_total == len(opened.windows) > 50
    assert all(1 <= a.page <= 2000 for a in result.answers)


def test_a_page_with_100k_characters(assistant: Assistant, tmp_path: Path) -> None:
    document = pymupdf.open()
    page = document.new_page(width=2000, height=4000)
    line = "word " * 100
    for row in range(200):
        page.insert_text((5, 10 + row * 19.5), line, fontsize=3)
    path = tmp_path / "dense.pdf"
    document.save(path)
    opened = assistant.open(path)
    assert len(opened.document.text) >= 99_000
    assert assistant.ask(opened, "Which word?").answers


def test_non_latin_scripts_keep_their_text_and_boxes(assistant: Assistant, tmp_path: Path) -> None:
    document = pymupdf.open()
    page = document.new_page()
    page.insert_text((72, 200), "Москва — столица России.", fontname="china-s")
    page.insert_text((72, 230), "北京是中国的首都。", fontname="china-s")
    path = tmp_path / "scripts.pdf"
    document.save(path)
    opened = assistant.open(path)
    text = opened.document.text
    for expected in ("столица России", "北京是中国的首都"):
        assert expected in text
        start = text.index(expected)
        fragments = opened.document.fragments(start, start + len(expected))
        assert fragments and all(f.page == 1 for f in fragments)
    assert assistant.ask(opened, "Что является столицей России?").answers


def test_an_extremely_long_question_is_cut_with_a_warning(
    assistant: Assistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    document = pymupdf.open()
    document.new_page().insert_text((72, 200), "The bridge opened in 1842.")
    path = tmp_path / "bridge.pdf"
    document.save(path)
    opened = assistant.open(path)
    with caplog.at_level(logging.WARNING):
        result = assistant.ask(opened, "When did the bridge open? " * 2000)
    assert result.question_truncated and result.answers
    assert "only its first 64" in caplog.text


def test_a_document_over_its_time_budget_is_given_up_with_its_own_error(
    long_pdf: Path, tmp_path: Path
) -> None:
    with pytest.raises(SlowDocumentError, match=r"gave up at page \d+ of 2000"):
        open_pdf(long_pdf, budget_s=0.2)
    completed = subprocess.run(
        [sys.executable, "-m", "desktop_qa", "ask", str(long_pdf), "Which castle?",
         "--open-timeout", "0.2", "--no-history"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode == SlowDocumentError.exit_code == 16
    assert completed.stderr.count("\n") == 1 and "--open-timeout" in completed.stderr
    assert open_pdf(long_pdf, budget_s=0).page_count == 2000  # 0: no limit
