"""A continuous-scrolling PDF viewer with answer highlights, rendered by pymupdf.

Only pages that are painted get rendered, and rendered pages are cached
(least recently used first out), so a 300-page document shows its first page
at once. Links act only when clicked: a link inside the document scrolls to
its target, a web address is handed to the window (which asks before opening
it), and anything else (launching a file or program, another PDF, a script)
is never run. pymupdf runs no PDF JavaScript.

Boxes are in PDF points (pymupdf page coordinates), the same ones the core
returns, scaled by the zoom.

Jumps (a followed link, an outline entry, a thumbnail, an answer) remember
where the view was, so ``back`` and ``forward`` walk them as in a browser. Dark
pages invert text and background but keep each image in its own colours;
only what is shown changes, never the document.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pymupdf
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

Box = tuple[float, float, float, float]
PAGE_GAP = 12
CACHE_PAGES = 24
MIN_ZOOM, MAX_ZOOM = 0.25, 5.0
HIGHLIGHT = QColor(255, 196, 0)
EMPHASIS_MS = 900  # how long a newly chosen answer's highlight stands out
SEARCH_HIT = QColor(60, 140, 255, 60)
CURRENT_HIT = QColor(60, 140, 255, 140)
SELECTION = QColor(40, 110, 220, 50)
MAX_JUMPS = 100
CLICK_SLOP = 4  # pixels a press may move and still be a click (on a link)
WEB_SCHEMES = ("http://", "https://", "mailto:")


def internal_page(link: dict[str, Any]) -> int | None:
    """The 0-based page a link inside the document leads to, or None for other links."""
    inside = link.get("kind") in (pymupdf.LINK_GOTO, pymupdf.LINK_NAMED)
    return int(link["page"]) if inside and link.get("page", -1) >= 0 else None


def link_target(link: dict[str, Any]) -> str:
    """What a pymupdf link points to, in words, for a tooltip or a refusal."""
    kind = link.get("kind")
    page = internal_page(link)
    if page is not None:
        return f"page {page + 1}"
    if kind == pymupdf.LINK_URI:
        return str(link.get("uri", ""))
    if kind == pymupdf.LINK_LAUNCH:
        return f"starts {link.get('file') or link.get('uri') or 'a program'}"
    if kind == pymupdf.LINK_GOTOR:
        return f"opens another file: {link.get('file', '?')}"
    return "an action desktop-qa does not run"


class PasswordNeededError(Exception):
    """The PDF is encrypted and no (right) password was given."""


class PageWidget(QWidget):
    """One page: paints its rendered image and the highlights on it."""

    def __init__(self, view: PdfView, index: int, size: QSize) -> None:
        super().__init__()
        self.view = view
        self.index = index
        self._anchor: QPointF | None = None
        self.setFixedSize(size)
        self.setCursor(Qt.CursorShape.IBeamCursor)
        self.setMouseTracking(True)  # to show the pointing hand over links

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        paper = Qt.GlobalColor.black if self.view.dark_pages else Qt.GlobalColor.white
        painter.fillRect(self.rect(), paper)
        painter.drawPixmap(self.rect(), self.view.pixmap(self.index))
        zoom = self.view.zoom

        def scaled(box: Box) -> QRectF:
            x0, y0, x1, y1 = box
            return QRectF(x0 * zoom, y0 * zoom, (x1 - x0) * zoom, (y1 - y0) * zoom)

        for box, current in self.view.search_hits_on(self.index):
            painter.fillRect(scaled(box), CURRENT_HIT if current else SEARCH_HIT)
        colour = self.view.highlight_colour
        for box in self.view.context_on(self.index):  # the answer's sentence, lightly
            painter.fillRect(scaled(box), _with_alpha(colour, 45))
        for other, box in self.view.other_answers_on(self.index):
            painter.fillRect(scaled(box), _with_alpha(other, 70))
        emphasised = self.view.is_emphasised()
        for box in self.view.highlights_on(self.index):
            painter.fillRect(scaled(box), _with_alpha(colour, 120))
            edge = QPen(colour.darker(140 if emphasised else 115), 3 if emphasised else 1)
            painter.setPen(edge)
            painter.drawRect(scaled(box).adjusted(-1, -1, 1, 1) if emphasised else scaled(box))
        selection = self.view.selection
        if selection is not None and selection[0] == self.index:
            painter.fillRect(scaled(selection[1]), SELECTION)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            self._anchor = event.position()
            self.view.select(self.index, None)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._anchor is None:
            link = self.view.link_at(self.index, event.position())
            hand = Qt.CursorShape.PointingHandCursor if link else Qt.CursorShape.IBeamCursor
            self.setCursor(hand)
            self.setToolTip(link_target(link) if link else "")
            return
        zoom = self.view.zoom
        a, b = self._anchor, event.position()
        box = (min(a.x(), b.x()) / zoom, min(a.y(), b.y()) / zoom,
               max(a.x(), b.x()) / zoom, max(a.y(), b.y()) / zoom)  # fmt: skip
        self.view.select(self.index, box)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        anchor, self._anchor = self._anchor, None
        if anchor is None or event.button() != Qt.MouseButton.LeftButton:
            return
        moved = (event.position() - anchor).manhattanLength()
        link = self.view.link_at(self.index, event.position())
        if link is not None and moved <= CLICK_SLOP:
            self.view.select(self.index, None)
            self.view.follow(link)


class PdfView(QScrollArea):
    """Pages one under the other; zoom, page navigation and highlighted boxes."""

    page_changed = Signal(int)  # the 1-based page at the top of the view
    jumped = Signal()  # a jump was made or walked back or forward
    zoom_changed = Signal(float)
    web_link_clicked = Signal(str)  # a web address the user clicked; the window asks first
    link_refused = Signal(str)  # a clicked link desktop-qa never follows, in words

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(False)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.pdf: pymupdf.Document | None = None
        self.zoom = 1.0
        self.pages: list[PageWidget] = []
        self._sizes: list[tuple[float, float]] = []
        self._cache: OrderedDict[tuple[int, float, float], QPixmap] = OrderedDict()
        self._highlights: dict[int, list[Box]] = {}
        self._others: dict[int, list[tuple[QColor, Box]]] = {}
        self._context: dict[int, list[Box]] = {}
        self.highlight_colour = HIGHLIGHT
        self._emphasis_ends = 0.0
        self._wanted_zoom: float | None = None
        self._zoom_timer = QTimer(self)
        self._zoom_timer.setSingleShot(True)
        self._zoom_timer.setInterval(0)
        self._zoom_timer.timeout.connect(self._apply_wanted_zoom)
        self._hits: dict[int, list[tuple[Box, bool]]] = {}
        self._links: dict[int, list[dict[str, Any]]] = {}
        self.selection: tuple[int, Box] | None = None
        self.dark_pages = False
        self._back: list[tuple[int, float]] = []
        self._forward: list[tuple[int, float]] = []
        self._last_page = 0
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    # --- documents -----------------------------------------------------------------

    def load(self, path: Path, password: str | None = None) -> None:
        """Show a PDF; only its page sizes are read now, pages render when seen.

        Raises:
            PasswordNeededError: for an encrypted PDF without its right password.
            pymupdf's own errors when the file cannot be opened.
        """
        pdf = pymupdf.open(path)
        if pdf.needs_pass and (password is None or not pdf.authenticate(password)):
            pdf.close()
            raise PasswordNeededError(str(path))
        self.close_document()
        self.pdf = pdf
        self._sizes = [
            (r.width, r.height) for r in (pdf.page_cropbox(i) for i in range(pdf.page_count))
        ]
        self._layout_pages()
        self._last_page = 0
        self._back, self._forward = [], []
        self.go_to_page(1)

    def close_document(self) -> None:
        if self.pdf is not None:
            self.pdf.close()
        self.pdf = None
        self._sizes = []
        self._cache.clear()
        self._highlights, self._others, self._context = {}, {}, {}
        self._hits = {}
        self._links = {}
        self.selection = None
        self._layout_pages()

    @property
    def page_count(self) -> int:
        return len(self._sizes)

    def _layout_pages(self) -> None:
        container = QWidget()
        layout = QVBoxLayout(container)
        layout.setSpacing(PAGE_GAP)
        layout.setContentsMargins(PAGE_GAP, PAGE_GAP, PAGE_GAP, PAGE_GAP)
        self.pages = []
        for index, (width, height) in enumerate(self._sizes):
            page = PageWidget(
                self, index, QSize(round(width * self.zoom), round(height * self.zoom))
            )
            layout.addWidget(page, alignment=Qt.AlignmentFlag.AlignHCenter)
            self.pages.append(page)
        container.adjustSize()
        self.setWidget(container)

    # --- rendering -----------------------------------------------------------------

    def pixmap(self, index: int) -> QPixmap:
        """The page rendered at the current zoom and the screen's pixel ratio (cached)."""
        key = (index, self.zoom, self.devicePixelRatioF())
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        assert self.pdf is not None
        scale = self.zoom * self.devicePixelRatioF()
        rendered = self.render_page(index, scale)
        image = QImage(
            rendered.samples, rendered.width, rendered.height, rendered.stride,
            QImage.Format.Format_RGB888,
        ).copy()  # fmt: skip
        image.setDevicePixelRatio(self.devicePixelRatioF())
        pixmap = QPixmap.fromImage(image)
        self._cache[key] = pixmap
        while len(self._cache) > CACHE_PAGES:
            self._cache.popitem(last=False)
        return pixmap

    def render_page(self, index: int, scale: float) -> pymupdf.Pixmap:
        """Page ``index`` at ``scale`` pixels per point, dark when pages are dark."""
        assert self.pdf is not None
        page = self.pdf[index]
        matrix = pymupdf.Matrix(scale, scale)
        rendered = page.get_pixmap(matrix=matrix, alpha=False)
        if self.dark_pages:
            rendered.invert_irect(rendered.irect)
            for image in _image_boxes(page):  # inverted twice: their own colours again
                area = (pymupdf.Rect(image) * matrix).irect & rendered.irect
                if not area.is_empty:
                    rendered.invert_irect(area)
        return rendered

    def set_dark_pages(self, dark: bool) -> None:
        """Show pages dark (text and background inverted, images kept) or as printed."""
        if dark != self.dark_pages:
            self.dark_pages = dark
            self._cache.clear()
            for widget in self.pages:
                widget.update()

    @property
    def rendered_pages(self) -> list[int]:
        """Pages rendered so far and still cached (for tests and diagnostics)."""
        return sorted({index for index, _, _ in self._cache})

    # --- highlights ----------------------------------------------------------------

    def set_highlights(
        self,
        boxes: Sequence[tuple[int, Box]],
        colour: QColor = HIGHLIGHT,
        others: Sequence[tuple[QColor, Sequence[tuple[int, Box]]]] = (),
        context: Sequence[tuple[int, Box]] = (),
    ) -> None:
        """Draw the chosen answer's (1-based page, box) highlights strongly in ``colour``,
        its sentence ``context`` lightly, and the ``others`` answers faintly in their own
        colours, replacing what was drawn before."""
        self.highlight_colour = colour
        self._highlights, self._others, self._context = {}, {}, {}
        for page, box in boxes:
            self._highlights.setdefault(page - 1, []).append(box)
        for page, box in context:
            self._context.setdefault(page - 1, []).append(box)
        for other_colour, other_boxes in others:
            for page, box in other_boxes:
                self._others.setdefault(page - 1, []).append((other_colour, box))
        for widget in self.pages:
            widget.update()

    def highlights_on(self, index: int) -> list[Box]:
        return self._highlights.get(index, [])

    def other_answers_on(self, index: int) -> list[tuple[QColor, Box]]:
        return self._others.get(index, [])

    def context_on(self, index: int) -> list[Box]:
        return self._context.get(index, [])

    def emphasise(self) -> None:
        """Make the chosen answer's highlight stand out for a moment."""
        self._emphasis_ends = time.monotonic() + EMPHASIS_MS / 1000
        for index in self._highlights:
            self.pages[index].update()
        QTimer.singleShot(EMPHASIS_MS + 20, self._emphasis_over)

    def is_emphasised(self) -> bool:
        return time.monotonic() < self._emphasis_ends

    def _emphasis_over(self) -> None:
        for index in self._highlights:
            if index < len(self.pages):
                self.pages[index].update()

    def set_search_hits(self, hits: list[list[tuple[int, Box]]], current: int) -> None:
        """Mark search hits (each a list of (1-based page, box)); ``current`` stands out."""
        self._hits = {}
        for number, hit in enumerate(hits):
            for page, box in hit:
                self._hits.setdefault(page - 1, []).append((box, number == current))
        for widget in self.pages:
            widget.update()

    def search_hits_on(self, index: int) -> list[tuple[Box, bool]]:
        return self._hits.get(index, [])

    # --- links ---------------------------------------------------------------------

    def links_on(self, index: int) -> list[dict[str, Any]]:
        """The page's links as pymupdf lists them (read once, when first needed)."""
        if index not in self._links:
            try:
                self._links[index] = [] if self.pdf is None else self.pdf[index].get_links()
            except (RuntimeError, ValueError):  # a damaged annotation list: no links
                self._links[index] = []
        return self._links[index]

    def link_at(self, index: int, position: QPointF) -> dict[str, Any] | None:
        """The link under a point of a page widget (pixels), if any."""
        point = pymupdf.Point(position.x() / self.zoom, position.y() / self.zoom)
        for link in self.links_on(index):
            if point in link["from"]:
                return link
        return None

    def follow(self, link: dict[str, Any]) -> None:
        """Act on a clicked link: jump inside the document, or hand a web address on."""
        kind = link.get("kind")
        page = internal_page(link)
        if page is not None:
            target = link.get("to")
            y = target.y if isinstance(target, pymupdf.Point) and target.y > 0 else None
            self.jump(page + 1, y)
        elif kind == pymupdf.LINK_URI and str(link.get("uri", "")).lower().startswith(WEB_SCHEMES):
            self.web_link_clicked.emit(str(link["uri"]))
        else:
            self.link_refused.emit(link_target(link))

    # --- selection -----------------------------------------------------------------

    def select(self, index: int, box: Box | None) -> None:
        """Select a rectangle (PDF points) of a page, or clear the selection."""
        previous = self.selection
        self.selection = None if box is None else (index, box)
        for changed in {index, previous[0] if previous else index}:
            if 0 <= changed < len(self.pages):
                self.pages[changed].update()

    def selected_text(self) -> str:
        """The text inside the selection, as pymupdf reads it."""
        if self.selection is None or self.pdf is None:
            return ""
        index, box = self.selection
        text: str = self.pdf[index].get_textbox(pymupdf.Rect(box))
        return text.strip()

    def copy_selection(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    # --- navigation and zoom -------------------------------------------------------

    def go_to_page(self, number: int, y: float | None = None) -> None:
        """Scroll so page ``number`` (1-based) is at the top, or point ``y`` of it is near it."""
        if not self.pages:
            return
        page = self.pages[max(1, min(number, len(self.pages))) - 1]
        offset = 0 if y is None else max(0, round(y * self.zoom) - self.viewport().height() // 3)
        self.verticalScrollBar().setValue(page.y() + offset - (PAGE_GAP if y is None else 0))

    def jump(self, number: int, y: float | None = None) -> None:
        """``go_to_page`` that ``back`` returns from."""
        if self.pages:
            self._back = [*self._back, self.position()][-MAX_JUMPS:]
            self._forward = []
        self.go_to_page(number, y)
        self.jumped.emit()

    def back(self) -> None:
        """Return to where the view was before the last jump."""
        if self._back and self.pages:
            self._forward.append(self.position())
            self._restore(self._back.pop())

    def forward(self) -> None:
        """Go again to where ``back`` came from."""
        if self._forward and self.pages:
            self._back.append(self.position())
            self._restore(self._forward.pop())

    def can_go_back(self) -> bool:
        return bool(self._back)

    def can_go_forward(self) -> bool:
        return bool(self._forward)

    def position(self) -> tuple[int, float]:
        """Where the view is: the 1-based page at its top edge and how far down that page
        the edge is, in points (so a position survives zooming)."""
        top = self.verticalScrollBar().value()
        page = next((p for p in self.pages if p.y() + p.height() + PAGE_GAP > top), self.pages[-1])
        return page.index + 1, (top - page.y()) / self.zoom

    def _restore(self, position: tuple[int, float]) -> None:
        number, offset = position
        page = self.pages[max(1, min(number, len(self.pages))) - 1]
        self.verticalScrollBar().setValue(page.y() + round(offset * self.zoom))
        self.jumped.emit()

    def current_page(self) -> int:
        """The 1-based page at the top of the view."""
        top = self.verticalScrollBar().value() + self.viewport().height() // 4
        for page in self.pages:
            if page.y() + page.height() + PAGE_GAP > top:
                return page.index + 1
        return len(self.pages)

    def set_zoom(self, zoom: float) -> None:
        zoom = round(max(MIN_ZOOM, min(MAX_ZOOM, zoom)), 3)
        if zoom == self.zoom or not self.pages:
            self.zoom = zoom
            return
        position = self.position()
        self.zoom = zoom
        self._cache.clear()
        for page, (width, height) in zip(self.pages, self._sizes, strict=True):
            page.setFixedSize(QSize(round(width * zoom), round(height * zoom)))
        container = self.widget()
        layout = container.layout() if container is not None else None
        if container is not None and layout is not None:
            layout.activate()  # the pages' new places, before the position is restored
            container.adjustSize()
        self._restore(position)
        self.zoom_changed.emit(zoom)

    def _apply_wanted_zoom(self) -> None:
        wanted, self._wanted_zoom = self._wanted_zoom, None
        if wanted is not None:
            self.set_zoom(wanted)

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * 1.2)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / 1.2)

    def fit_width(self) -> None:
        if self._sizes:
            widest = max(width for width, _ in self._sizes)
            self.set_zoom((self.viewport().width() - 2 * PAGE_GAP - 4) / widest)

    def fit_page(self) -> None:
        if self._sizes:
            width, height = self._sizes[self.current_page() - 1]
            viewport = self.viewport()
            self.set_zoom(min((viewport.width() - 2 * PAGE_GAP) / width,
                              (viewport.height() - 2 * PAGE_GAP) / height))  # fmt: skip

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            # a spun wheel sends many steps: they add up, and one zoom applies the latest
            factor = 1.2 if event.angleDelta().y() > 0 else 1 / 1.2
            self._wanted_zoom = (self._wanted_zoom or self.zoom) * factor
            self._zoom_timer.start()
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
        elif key == Qt.Key.Key_Home:
            self.go_to_page(1)
        elif key == Qt.Key.Key_End:
            self.go_to_page(self.page_count)
        elif key == Qt.Key.Key_PageDown:
            self.go_to_page(self.current_page() + 1)
        elif key == Qt.Key.Key_PageUp:
            self.go_to_page(self.current_page() - 1)
        else:
            super().keyPressEvent(event)

    def _scrolled(self) -> None:
        page = self.current_page()
        if page != self._last_page:
            self._last_page = page
            self.page_changed.emit(page)


def _image_boxes(page: pymupdf.Page) -> list[Box]:
    """Where the page draws images (points); a page whose list cannot be read has none."""
    try:
        return [tuple(info["bbox"]) for info in page.get_image_info()]
    except (RuntimeError, ValueError):
        return []


def _with_alpha(colour: QColor, alpha: int) -> QColor:
    faded = QColor(colour)
    faded.setAlpha(alpha)
    return faded
