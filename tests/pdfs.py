"""Small PDFs made on the fly for the cases the shared corpus lacks."""

from __future__ import annotations

from pathlib import Path

import pymupdf


def text_pdf(path: Path, pages: list[str], fontsize: float = 11) -> Path:
    """A PDF with one text block per page, written with the Base-14 Helvetica font."""
    document = pymupdf.open()
    for text in pages:
        page = document.new_page()
        page.insert_textbox(pymupdf.Rect(72, 72, 540, 760), text, fontsize=fontsize)
    document.save(path)
    return path


def encrypted_pdf(path: Path, password: str) -> Path:
    document = pymupdf.open()
    document.new_page().insert_text((72, 72), "A secret about the launch date.")
    document.save(
        path,
        encryption=pymupdf.PDF_ENCRYPT_AES_256,
        user_pw=password,
        owner_pw=password + "-owner",
    )
    return path


def scanned_pdf(path: Path, pages: int = 2) -> Path:
    """Pages that hold only an image, as a scanner would write them."""
    document = pymupdf.open()
    pixmap = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 40, 40), False)
    pixmap.clear_with(200)
    for _ in range(pages):
        document.new_page().insert_image(pymupdf.Rect(72, 72, 300, 300), pixmap=pixmap)
    document.save(path)
    return path
