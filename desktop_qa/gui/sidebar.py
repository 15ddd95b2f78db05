"""The sidebar: the shown document's outline (its table of contents) and page thumbnails.

Clicking an entry or a thumbnail asks for a jump; the outline and the
thumbnails follow the page the view is on. Thumbnails render lazily on the
GUI thread, one per turn of the event loop and only those in sight, so a long
document never blocks the window; at most ``THUMBNAILS_KEPT`` stay rendered.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pymupdf
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QListWidget,
    QListWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from desktop_qa.gui.pdf_view import PdfView

THUMB_WIDTH = 110
THUMB_HEIGHT = 150
THUMBNAILS_KEPT = 150
PAGE_ROLE = Qt.ItemDataRole.UserRole
Y_ROLE = Qt.ItemDataRole.UserRole + 1


def outline_entries(pdf: pymupdf.Document) -> list[tuple[int, str, int, float | None]]:
    """The PDF's table of contents as (level, title, 1-based page, y in points or None);
    entries that lead nowhere in the document are left out."""
    try:
        toc = pdf.get_toc(simple=False)
    except (RuntimeError, ValueError):  # a damaged outline: none
        return []
    entries = []
    for level, title, page, *rest in toc:
        if not 1 <= page <= pdf.page_count:
            continue
        destination: dict[str, Any] = rest[0] if rest and isinstance(rest[0], dict) else {}
        point = destination.get("to")
        y = float(point.y) if isinstance(point, pymupdf.Point) and point.y > 0 else None
        entries.append((int(level), " ".join(str(title).split()), int(page), y))
    return entries


class Sidebar(QTabWidget):
    """Contents and Pages of the document a view shows."""

    page_chosen = Signal(int, object)  # 1-based page, y in points or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outline = QTreeWidget()
        self.outline.setHeaderHidden(True)
        self.outline.setAccessibleName("Contents")
        self.outline.setAccessibleDescription("The document's table of contents; Enter jumps")
        self.thumbnails = QListWidget()
        self.thumbnails.setViewMode(QListView.ViewMode.IconMode)
        self.thumbnails.setFlow(QListView.Flow.TopToBottom)
        self.thumbnails.setWrapping(False)
        self.thumbnails.setMovement(QListView.Movement.Static)
        self.thumbnails.setIconSize(QSize(THUMB_WIDTH, THUMB_HEIGHT))
        self.thumbnails.setUniformItemSizes(True)
        self.thumbnails.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.thumbnails.setAccessibleName("Page thumbnails")
        self.addTab(self.outline, "Contents")
        self.addTab(self.thumbnails, "Pages")
        self.view: PdfView | None = None
        self._rendered: OrderedDict[int, None] = OrderedDict()
        self._placeholder = QIcon()
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._render_next)
        self.outline.itemActivated.connect(self._outline_chosen)
        self.outline.itemClicked.connect(self._outline_chosen)
        self.thumbnails.itemClicked.connect(self._thumbnail_chosen)
        self.thumbnails.itemActivated.connect(self._thumbnail_chosen)
        self.thumbnails.verticalScrollBar().valueChanged.connect(self._start)
        self.currentChanged.connect(self._start)

    def show_document(self, view: PdfView | None) -> None:
        """Fill the outline and thumbnails from the view's open PDF (or empty them)."""
        self.view = view
        self._timer.stop()
        self._rendered.clear()
        self.outline.clear()
        self.thumbnails.clear()
        pdf = view.pdf if view is not None else None
        if pdf is None:
            return
        parents: list[QTreeWidgetItem] = []
        for level, title, page, y in outline_entries(pdf):
            del parents[max(0, level - 1) :]
            item = QTreeWidgetItem(parents[-1] if parents else self.outline, [title])
            item.setData(0, PAGE_ROLE, page)
            item.setData(0, Y_ROLE, y)
            item.setToolTip(0, f"{title} (page {page})")
            parents.append(item)
        self.outline.expandToDepth(0)
        if not self.outline.topLevelItemCount():
            QTreeWidgetItem(self.outline, ["This document has no table of contents."]).setFlags(
                Qt.ItemFlag.NoItemFlags
            )
        blank = QPixmap(THUMB_WIDTH, THUMB_HEIGHT)
        blank.fill(QColor(128, 128, 128, 60))
        self._placeholder = QIcon(blank)
        for index in range(pdf.page_count):
            thumbnail = QListWidgetItem(self._placeholder, str(index + 1))
            thumbnail.setData(PAGE_ROLE, index + 1)
            thumbnail.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.thumbnails.addItem(thumbnail)
        self.follow_page(view.current_page() if view is not None else 1)
        self._start()

    def refresh(self) -> None:
        """Render the thumbnails again (after the page colours changed)."""
        for index in self._rendered:
            item = self.thumbnails.item(index)
            if item is not None:
                item.setIcon(self._placeholder)
        self._rendered.clear()
        self._start()

    def follow_page(self, page: int) -> None:
        """Mark the page in the thumbnails and the outline entry it falls under."""
        item = self.thumbnails.item(page - 1)
        if item is not None:
            self.thumbnails.blockSignals(True)
            self.thumbnails.setCurrentItem(item)
            self.thumbnails.blockSignals(False)
            self.thumbnails.scrollToItem(item)
        under = None
        walk = _children(self.outline.invisibleRootItem())
        while walk:
            entry = walk.pop(0)
            entry_page = entry.data(0, PAGE_ROLE)
            if isinstance(entry_page, int) and entry_page <= page:
                under = entry
                walk = _children(entry) + walk
        self.outline.blockSignals(True)
        self.outline.setCurrentItem(under) if under is not None else self.outline.clearSelection()
        self.outline.blockSignals(False)

    def rendered_thumbnails(self) -> list[int]:
        """0-based pages whose thumbnails are rendered now (for tests and diagnostics)."""
        return sorted(self._rendered)

    # --- choosing --------------------------------------------------------------------

    def _outline_chosen(self, item: QTreeWidgetItem) -> None:
        page = item.data(0, PAGE_ROLE)
        if isinstance(page, int):
            self.page_chosen.emit(page, item.data(0, Y_ROLE))

    def _thumbnail_chosen(self, item: QListWidgetItem) -> None:
        self.page_chosen.emit(int(item.data(PAGE_ROLE)), None)

    # --- lazy thumbnails -------------------------------------------------------------

    def _start(self) -> None:
        if self.view is not None and self.view.pdf is not None:
            self._timer.start()

    def _in_sight(self) -> list[int]:
        area = self.thumbnails.viewport().rect()
        low, high = 0, self.thumbnails.count()  # the first row whose bottom is in sight
        while low < high:
            middle = (low + high) // 2
            if self.thumbnails.visualItemRect(self.thumbnails.item(middle)).bottom() < area.top():
                low = middle + 1
            else:
                high = middle
        row = low
        seen = []
        while row < self.thumbnails.count():
            rect = self.thumbnails.visualItemRect(self.thumbnails.item(row))
            if rect.top() > area.bottom():
                break
            if rect.intersects(area):
                seen.append(row)
            row += 1
        return seen

    def _render_next(self) -> None:
        """Render one thumbnail in sight that is not yet; stop when none is left."""
        view = self.view
        if view is None or view.pdf is None or self.currentWidget() is not self.thumbnails:
            self._timer.stop()
            return
        missing = [row for row in self._in_sight() if row not in self._rendered]
        if not missing:
            self._timer.stop()
            return
        row = missing[0]
        width = view.pdf[row].rect.width or 1
        ratio = self.devicePixelRatioF()
        rendered = view.render_page(row, THUMB_WIDTH * ratio / width)
        image = QImage(
            rendered.samples, rendered.width, rendered.height, rendered.stride,
            QImage.Format.Format_RGB888,
        ).copy()  # fmt: skip
        image.setDevicePixelRatio(ratio)
        self.thumbnails.item(row).setIcon(QIcon(QPixmap.fromImage(image)))
        self._rendered[row] = None
        while len(self._rendered) > THUMBNAILS_KEPT:
            oldest, _ = self._rendered.popitem(last=False)
            self.thumbnails.item(oldest).setIcon(self._placeholder)


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [child for i in range(item.childCount()) if (child := item.child(i)) is not None]
