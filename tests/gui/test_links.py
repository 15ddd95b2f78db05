"""PDF links act only when clicked, web links only after asking, and nothing else ever runs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop_qa.gui.main_window import MainWindow
from tests.gui.test_main_window import make_window, open_and_wait
from tests.pdfs import ACTIVE_LINKS, SCRIPT_MARK, active_pdf


class OpenedUrls(QObject):
    """Stands where the desktop's browser and file opener would: records what reaches them."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened_urls() -> Iterator[OpenedUrls]:
    recorder = OpenedUrls()
    schemes = ("http", "https", "file", "mailto", "javascript")
    for scheme in schemes:
        QDesktopServices.setUrlHandler(scheme, recorder, "open")  # type: ignore[arg-type]
    yield recorder
    for scheme in schemes:
        QDesktopServices.unsetUrlHandler(scheme)


def click(qtbot: QtBot, main: MainWindow, link: str) -> None:
    """Click the middle of one of ``active_pdf``'s links on page 1."""
    main.view.go_to_page(1)
    centre = ACTIVE_LINKS[link].tl + (ACTIVE_LINKS[link].br - ACTIVE_LINKS[link].tl) * 0.5
    zoom = main.view.zoom
    position = QPoint(round(centre.x * zoom), round(centre.y * zoom))
    qtbot.mouseClick(main.view.pages[0], Qt.MouseButton.LeftButton, pos=position)


def test_no_script_runs_and_links_act_only_as_the_user_chooses(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path, opened_urls: OpenedUrls
) -> None:
    pdf = active_pdf(tmp_path / "active.pdf")
    before = hashlib.sha256(pdf.read_bytes()).hexdigest()
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    open_and_wait(qtbot, main, pdf)
    qtbot.waitUntil(lambda: 0 in main.view.rendered_pages, timeout=10_000)
    assert main.view.pdf is not None
    assert main.view.pdf[0].first_widget.field_value == "original"  # no script set it
    assert main.opened is not None and SCRIPT_MARK not in main.opened.document.text
    assert opened_urls.urls == [], "opening a PDF follows nothing"

    click(qtbot, main, "launch")
    assert "not followed" in main.statusBar().currentMessage()
    click(qtbot, main, "other-file")
    assert "other.pdf" in main.statusBar().currentMessage()
    click(qtbot, main, "script")  # pymupdf does not even list JavaScript links
    assert opened_urls.urls == []
    assert main.findChild(QMessageBox, "link-dialog") is None

    click(qtbot, main, "web")
    dialog = main.findChild(QMessageBox, "link-dialog")
    assert dialog is not None and "https://example.org/paper" in dialog.text()
    assert opened_urls.urls == [], "a web link waits for the user's yes"
    dialog.button(QMessageBox.StandardButton.Cancel).click()
    assert opened_urls.urls == []
    dialog.deleteLater()
    qtbot.waitUntil(lambda: main.findChild(QMessageBox, "link-dialog") is None)
    click(qtbot, main, "web")
    dialog = main.findChild(QMessageBox, "link-dialog")
    assert dialog is not None
    dialog.button(QMessageBox.StandardButton.Open).click()
    assert opened_urls.urls == ["https://example.org/paper"]

    click(qtbot, main, "page")
    assert main.view.current_page() == 2
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == before, "the file is never written"
    main.close()
