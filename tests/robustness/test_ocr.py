"""Scanned pages: read by OCR when Tesseract is installed, named when it is not."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from desktop_qa.core.document import ocr_languages_folder, open_pdf
from desktop_qa.core.errors import NoTextLayerError

SENTENCE = "The old stone bridge was opened in 1842."


def scanned_text_pdf(path: Path) -> Path:
    """A page that is only a picture of printed text, as a scanner makes it."""
    printed = pymupdf.open()
    printed.new_page().insert_text((72, 100), SENTENCE, fontsize=14)
    picture = printed[0].get_pixmap(dpi=200)
    scanned = pymupdf.open()
    page = scanned.new_page()
    page.insert_image(page.rect, pixmap=picture)
    scanned.save(path)
    return path


@pytest.mark.skipif(ocr_languages_folder() is None, reason="Tesseract is not installed")
def test_a_scanned_page_is_read_by_ocr_and_its_words_keep_their_boxes(tmp_path: Path) -> None:
    document = open_pdf(scanned_text_pdf(tmp_path / "scan.pdf"))
    assert document.pages[0].ocr and document.pages[0].has_text
    assert "bridge was opened in 1842" in document.text
    start = document.text.index("1842")
    [fragment] = document.fragments(start, start + 4)
    x0, y0, _, y1 = fragment.box
    assert y1 > 80 and y0 < 110 and x0 > 72, "the box sits where the year is printed"


def test_without_tesseract_the_message_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTOP_QA_OCR", "0")
    with pytest.raises(NoTextLayerError, match="apt install tesseract-ocr"):
        open_pdf(scanned_text_pdf(tmp_path / "scan.pdf"))
