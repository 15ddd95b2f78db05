"""The document model: reading text and the character-to-box map on real PDFs."""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from desktop_qa.core.document import Document, normalise_line, open_pdf
from desktop_qa.core.errors import (
    DamagedPDFError,
    DocumentNotFoundError,
    EncryptedPDFError,
    NotAPDFError,
    NoTextLayerError,
)
from tests.conftest import shared_file
from tests.pdfs import encrypted_pdf, scanned_pdf, text_pdf


@pytest.fixture(scope="module")
def alexnet() -> Document:
    return open_pdf(shared_file("corpus", "alexnet.pdf"))


def boxes_of(document: Document, start: int, end: int) -> np.ndarray:
    return document.char_box[start:end]


def test_map_has_one_entry_per_character_and_page_ranges_partition_the_text(
    alexnet: Document,
) -> None:
    n = len(alexnet.text)
    assert alexnet.char_box.shape == (n, 4)
    assert alexnet.char_page.shape == alexnet.char_line.shape == (n,)
    assert alexnet.page_count == 9
    previous_end = 0
    for index, page in enumerate(alexnet.pages):
        assert page.char_start >= previous_end
        in_page = slice(page.char_start, page.char_end)
        assert (alexnet.char_page[in_page] == index).all()
        boxed = alexnet.char_line[in_page] >= 0
        boxes = alexnet.char_box[in_page][boxed]
        assert (boxes[:, 0] >= 0).all() and (boxes[:, 2] <= page.width + 1).all()
        assert (boxes[:, 1] >= 0).all() and (boxes[:, 3] <= page.height + 1).all()
        assert alexnet.page_at(page.char_start) == page.number
        assert alexnet.page_at(page.char_end - 1) == page.number
        previous_end = page.char_end


def test_every_boxed_character_reads_back_from_its_box(alexnet: Document) -> None:
    pdf = pymupdf.open(alexnet.path)
    rng = np.random.default_rng(1)
    boxed = np.nonzero(alexnet.char_line >= 0)[0]
    checked = 0
    for index in rng.choice(boxed, size=300, replace=False):
        char = alexnet.text[index]
        if not char.isalnum():
            continue
        page = pdf[int(alexnet.char_page[index])]
        clip = pymupdf.Rect(*alexnet.char_box[index].tolist()).intersect(page.rect)
        read_back = "".join(w[4] for w in page.get_text("words", clip=clip))
        assert char in unicodedata.normalize("NFKC", read_back)
        checked += 1
    assert checked > 150


def test_ligatures_expand_and_both_letters_keep_the_glyph_box() -> None:
    document = open_pdf(shared_file("corpus", "odd", "text-find-ligatures.pdf"))
    assert document.text.count("flag") == 2
    assert "\ufb02" not in document.text
    raw = pymupdf.open(document.path)[0].get_text("rawdict", flags=pymupdf.TEXT_PRESERVE_LIGATURES)
    chars = [
        c for b in raw["blocks"] for line in b["lines"] for s in line["spans"] for c in s["chars"]
    ]
    glyphs = [c["bbox"] for c in chars if c["c"] == "\ufb02"]
    assert glyphs, "the PDF draws an fl ligature glyph"
    start = document.text.index("flag")
    f_box, l_box = boxes_of(document, start, start + 2)
    assert np.allclose(f_box, l_box)
    assert np.allclose(f_box, glyphs[0], atol=0.01)
    assert f_box[2] - f_box[0] > 1.0


def test_alexnet_ligatures_are_expanded(alexnet: Document) -> None:
    assert "\ufb01" not in alexnet.text and "\ufb02" not in alexnet.text
    assert "ImageNet Classification with Deep Convolutional" in alexnet.text
    assert "overfitting" in alexnet.text


def test_words_hyphenated_at_line_end_are_joined_and_keep_both_boxes(alexnet: Document) -> None:
    # Page 1 prints "To im-" at the end of one line and "prove" at the start of the next.
    assert "To improve their performance" in alexnet.text
    start = alexnet.text.index("improve their performance")
    fragments = alexnet.fragments(start, start + len("improve"))
    assert len(fragments) == 2
    first, second = fragments
    assert first.page == second.page == 1
    assert second.box[1] > first.box[3] - 1  # the second half is on the next line
    assert second.box[0] < first.box[0]  # at its start, left of where "im" was


def test_two_column_pages_are_read_column_by_column() -> None:
    document = open_pdf(shared_file("corpus", "library", "paper10.pdf"))
    page = document.pages[1]
    indices = np.arange(page.char_start, page.char_end)
    indices = indices[document.char_line[indices] >= 0]
    line_starts = indices[np.r_[True, np.diff(document.char_line[indices]) != 0]]
    on_right = document.char_box[line_starts, 0] > page.width / 2
    switches = int(np.abs(np.diff(on_right.astype(int))).sum())
    assert on_right.sum() > 20 and (~on_right).sum() > 20
    assert switches <= 2, "reading order must go down one column, then the other"


def test_page_numbers_are_left_out(alexnet: Document) -> None:
    pdf = pymupdf.open(alexnet.path)
    for index, page in enumerate(alexnet.pages):
        number_blocks = [
            b for b in pdf[index].get_text("blocks") if b[4].strip() == str(page.number)
        ]
        assert number_blocks, "alexnet prints its page numbers"
        x0, y0, x1, _ = number_blocks[0][:4]
        on_page = alexnet.char_page == index
        boxes = alexnet.char_box[on_page & (alexnet.char_line >= 0)]
        inside = (boxes[:, 0] >= x0 - 0.5) & (boxes[:, 2] <= x1 + 0.5) & (boxes[:, 1] >= y0 - 0.5)
        assert not inside.any(), f"page number of page {page.number} is in the text"


def test_running_headers_repeated_on_every_page_are_left_out(tmp_path: Path) -> None:
    document = pymupdf.open()
    for number in range(1, 5):
        page = document.new_page()
        page.insert_text((72, 40), "Journal of Stand-in Results, Vol. 3")
        page.insert_text((72, 120), f"Body text of page {number} about subject {number * 7}.")
        page.insert_text((300, 780), f"Page {number} of 4")
    path = tmp_path / "running.pdf"
    document.save(path)
    opened = open_pdf(path)
    assert "Journal" not in opened.text
    assert "of 4" not in opened.text
    assert "Body text of page 3 about subject 21." in opened.text


def test_spacing_accent_over_a_letter_becomes_one_accented_letter() -> None:
    chars = [
        ("G", (10.0, 0.0, 17.0, 10.0)),
        ("\u00a8", (18.0, 0.0, 22.0, 10.0)),
        ("o", (17.0, 0.0, 23.0, 10.0)),
        ("d", (23.0, 0.0, 29.0, 10.0)),
        ("e", (29.0, 0.0, 34.0, 10.0)),
        ("l", (34.0, 0.0, 37.0, 10.0)),
    ]
    out = normalise_line(chars)
    assert "".join(c for c, _ in out) == "Gödel"
    assert out[1][1] == (17.0, 0.0, 23.0, 10.0)


def test_combining_marks_compose_and_keep_a_box_per_character() -> None:
    chars = [
        ("e", (0.0, 0.0, 5.0, 10.0)),
        ("\u0301", (1.0, -2.0, 4.0, 3.0)),
        ("x", (5.0, 0, 9, 10)),
    ]
    out = normalise_line(chars)
    assert [c for c, _ in out] == ["é", "x"]
    assert out[0][1] == (0.0, -2.0, 5.0, 10.0)


def test_math_letters_fold_invisible_characters_drop_and_spaces_collapse() -> None:
    box = (0.0, 0.0, 5.0, 10.0)
    chars = [(c, box) for c in "\U0001d441\u200b=\u00a0\u00a0\ufe01x\u2009 "]
    out = normalise_line([(c, (i * 5.0, 0.0, i * 5.0 + 5, 10.0)) for i, (c, _) in enumerate(chars)])
    assert "".join(c for c, _ in out) == "N= x"
    assert all(not math.isnan(b[0]) for _, b in out)


def test_missing_word_space_is_inserted_from_the_gap() -> None:
    chars = [
        ("o", (0.0, 0.0, 5.0, 9.0)),
        ("\ufb00", (5.0, 0.0, 11.0, 9.0)),
        ("m", (14.4, 0.0, 22.0, 9.0)),
    ]
    assert "".join(c for c, _ in normalise_line(chars)) == "off m"


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DocumentNotFoundError, match="does not exist"):
        open_pdf(tmp_path / "nowhere.pdf")
    with pytest.raises(DocumentNotFoundError, match="folder"):
        open_pdf(tmp_path)


def test_non_pdf_and_empty_files_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.pdf"
    text.write_text("just some notes, not a PDF\n")
    with pytest.raises(NotAPDFError, match="not a PDF"):
        open_pdf(text)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(NotAPDFError, match="empty"):
        open_pdf(empty)


def test_damaged_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "damaged.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    with pytest.raises(DamagedPDFError):
        open_pdf(path)


def test_encrypted_pdf_needs_the_right_password(tmp_path: Path) -> None:
    path = encrypted_pdf(tmp_path / "secret.pdf", "sesame")
    with pytest.raises(EncryptedPDFError, match="password-protected"):
        open_pdf(path)
    with pytest.raises(EncryptedPDFError, match="wrong password"):
        open_pdf(path, password="guess")
    assert "launch date" in open_pdf(path, password="sesame").text


def test_scanned_pdf_without_text_layer_is_named(tmp_path: Path) -> None:
    with pytest.raises(NoTextLayerError, match="2 of 2 pages are images only"):
        open_pdf(scanned_pdf(tmp_path / "scan.pdf"))


def test_text_pdf_made_here_round_trips(tmp_path: Path) -> None:
    path = text_pdf(tmp_path / "two.pdf", ["The first page says alpha.", "The second says beta."])
    document = open_pdf(path)
    assert document.page_count == 2
    first, second = document.pages
    assert document.text[first.char_start : first.char_end] == "The first page says alpha."
    assert document.text[second.char_start : second.char_end] == "The second says beta."
    assert re.fullmatch(r"[0-9a-f]{64}", document.sha256)


def test_plain_text_document_has_no_boxes() -> None:
    document = Document.from_text("Normans came from Normandy.")
    assert document.page_count == 1
    assert document.fragments(0, 7) == []
    assert document.page_at(10) == 1


def test_a_paper_without_a_declared_title_is_named_by_its_first_page_heading() -> None:
    titles = {
        ("corpus", "flashattn.pdf"):
            "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
        ("corpus", "library", "paper10.pdf"):
            "GENERATIVE PRE-TRAINING FOR SPEECH WITH AUTOREGRESSIVE PREDICTIVE CODING",
        ("corpus", "library", "paper14.pdf"):
            "AN IMAGE IS WORTH 16X16 WORDS: TRANSFORMERS FOR IMAGE RECOGNITION AT SCALE",
        ("corpus", "alexnet.pdf"):
            "ImageNet Classification with Deep Convolutional Neural Networks",
    }  # fmt: skip
    for parts, title in titles.items():
        assert open_pdf(shared_file(*parts)).title == title


def test_a_tool_made_title_gives_way_to_the_heading_and_no_heading_to_the_file_name(
    tmp_path: Path,
) -> None:
    made = pymupdf.open()
    page = made.new_page()
    page.insert_text((72, 100), "Castles of the North", fontsize=20)
    page.insert_text((72, 140), "The castle was built in 1066 by the duke.", fontsize=10)
    page.insert_text((72, 160), "It stood for three hundred years.", fontsize=10)
    made.set_metadata({"title": "Microsoft Word - castles.docx"})
    made.save(tmp_path / "castles.pdf")
    assert open_pdf(tmp_path / "castles.pdf").title == "Castles of the North"

    plain = pymupdf.open()
    plain.new_page().insert_text((72, 100), "The castle was built in 1066.", fontsize=10)
    plain.save(tmp_path / "notes-2024.pdf")
    assert open_pdf(tmp_path / "notes-2024.pdf").title == "notes-2024"
