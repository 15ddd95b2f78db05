"""A 2,000-page PDF scrolled end to end: the view and the thumbnails keep a bounded
number of rendered pages, whatever the length."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_qa.gui.pdf_view import CACHE_PAGES, PdfView
from desktop_qa.gui.sidebar import THUMBNAILS_KEPT, Sidebar

PAGES = 2000


@pytest.fixture(scope="module")
def long_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("long") / "long.pdf"
    document = pymupdf.open()
    for number in range(1, PAGES + 1):
        document.new_page().insert_text((72, 300), f"Page {number} tells of castle {number}.")
    document.save(path)
    return path


def shown_view(qtbot: QtBot, pdf: Path) -> PdfView:
    view = PdfView()
    qtbot.addWidget(view)
    view.resize(700, 900)
    view.show()
    view.load(pdf)
    return view


@pytest.mark.timeout(300)
def test_scrolling_2000_pages_end_to_end_keeps_few_pages_rendered(
    qtbot: QtBot, qapp: QApplication, long_pdf: Path
) -> None:
    view = shown_view(qtbot, long_pdf)
    view.set_zoom(0.5)
    most = 0
    seen = set()
    for page in range(1, PAGES + 1, 25):
        view.go_to_page(page)
        view.pages[page - 1].repaint()
        qapp.processEvents()
        seen.update(view.rendered_pages)
        most = max(most, len(view.rendered_pages))
    view.go_to_page(PAGES)
    view.pages[PAGES - 1].repaint()
    assert PAGES - 1 in view.rendered_pages
    assert len(seen) > CACHE_PAGES * 2  # many pages were rendered on the way down...
    assert most <= CACHE_PAGES  # ...but never more than the cache holds at once

    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.resize(200, 900)
    sidebar.show()
    sidebar.show_document(view)
    sidebar.setCurrentWidget(sidebar.thumbnails)
    bar = sidebar.thumbnails.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=10_000)
    bar.setValue(0)  # it opened at the view's page, the last
    most = 0
    seen.clear()
    while True:
        qtbot.waitUntil(lambda: not sidebar._timer.isActive(), timeout=10_000)
        seen.update(sidebar.rendered_thumbnails())
        most = max(most, len(sidebar.rendered_thumbnails()))
        if bar.value() >= bar.maximum():
            break
        bar.setValue(bar.value() + bar.pageStep() * 10)
    assert {0, PAGES - 1} <= seen and len(seen) > THUMBNAILS_KEPT
    assert most <= THUMBNAILS_KEPT


def test_a_spun_wheel_zooms_once_to_the_latest_and_keeps_the_page(
    qtbot: QtBot, qapp: QApplication, long_pdf: Path
) -> None:
    view = shown_view(qtbot, long_pdf)
    view.set_zoom(1.0)
    view.go_to_page(1500)
    zooms: list[float] = []
    view.zoom_changed.connect(zooms.append)
    centre = QPointF(view.viewport().rect().center())
    for _ in range(4):
        spin = QWheelEvent(centre, view.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120),
                           Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier,
                           Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
        QApplication.sendEvent(view.viewport(), spin)
    assert view.zoom == 1.0  # nothing laid out yet: the steps add up first
    qtbot.waitUntil(lambda: bool(zooms), timeout=5_000)
    qapp.processEvents()
    assert zooms == [round(1.2**4, 3)] and view.zoom == round(1.2**4, 3)
    assert view.current_page() == 1500
    width, _ = view._sizes[1499]
    assert view.pages[1499].width() == round(width * view.zoom)
