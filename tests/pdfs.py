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


#: Where ``active_pdf`` puts its links on page 1 (PDF points) and what they do.
ACTIVE_LINKS = {
    "page": pymupdf.Rect(72, 100, 300, 116),
    "web": pymupdf.Rect(72, 140, 300, 156),
    "launch": pymupdf.Rect(72, 180, 300, 196),
    "script": pymupdf.Rect(72, 220, 300, 236),
    "other-file": pymupdf.Rect(72, 260, 300, 276),
}
SCRIPT_MARK = "SCRIPT-RAN"


def active_pdf(path: Path) -> Path:
    """A PDF that tries to act: JavaScript on open and in a form field, links of every kind."""
    document = pymupdf.open()
    document.new_page()
    document.new_page().insert_text((72, 500), "The second page, where the internal link lands.")
    first = document[0]
    labels = {
        "page": "Go to the second page",
        "web": "Visit https://example.org/paper",
        "launch": "Run the helper program",
        "script": "Run a script link",
        "other-file": "Open the other report",
    }
    for name, rect in ACTIVE_LINKS.items():
        first.insert_text((rect.x0, rect.y1 - 3), labels[name])
    links = {
        "page": {"kind": pymupdf.LINK_GOTO, "page": 1, "to": pymupdf.Point(72, 480)},
        "web": {"kind": pymupdf.LINK_URI, "uri": "https://example.org/paper"},
        "launch": {"kind": pymupdf.LINK_LAUNCH, "file": "/bin/sh"},
        "script": {"kind": pymupdf.LINK_URI, "uri": "https://example.org/to-be-a-script"},
        "other-file": {"kind": pymupdf.LINK_GOTOR, "file": "other.pdf", "page": 0},
    }
    for name, link in links.items():
        first.insert_link({**link, "from": ACTIVE_LINKS[name]})
    first = document.reload_page(first)
    script = next(link for link in first.get_links() if "to-be-a-script" in link.get("uri", ""))
    document.xref_set_key(
        script["xref"], "A", f"<< /S /JavaScript /JS (app.alert\\('{SCRIPT_MARK}'\\);) >>"
    )
    field = pymupdf.Widget()
    field.field_type = pymupdf.PDF_WIDGET_TYPE_TEXT
    field.field_name = "name"
    field.field_value = "original"
    field.rect = pymupdf.Rect(72, 320, 300, 340)
    field.script_format = f"event.value = '{SCRIPT_MARK}';"
    field.script_calc = f"event.value = '{SCRIPT_MARK}';"
    first.add_widget(field)
    document.xref_set_key(
        document.pdf_catalog(), "OpenAction",
        f"<< /S /JavaScript /JS (this.getField\\('name'\\).value = '{SCRIPT_MARK}';) >>",
    )  # fmt: skip
    document.save(path)
    return path
