"""Answers drawn as cards: the answer in bold inside its sentence, where it is, and
how sure the model is in words and a bar; each rank in its own highlight colour.

The colour stripe at a card's left edge, with its rank, is the legend of the
highlights on the page: the page draws every answer in its rank's colour.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

RANK_COLOURS = (
    QColor(255, 196, 0),
    QColor(70, 160, 255),
    QColor(80, 200, 110),
    QColor(240, 100, 180),
    QColor(170, 120, 255),
)
OTHER_RANKS = QColor(160, 160, 160)
CARD_ROLE = Qt.ItemDataRole.UserRole + 10  # the card's rich text
CONFIDENCE_ROLE = Qt.ItemDataRole.UserRole + 11  # float in [0, 1] or None
RANK_ROLE = Qt.ItemDataRole.UserRole + 12  # 1-based
GUESS_ROLE = Qt.ItemDataRole.UserRole + 13  # True for the unsure guesses under "not found"
STRIPE = 20
PADDING = 6
BAR_WIDTH, BAR_HEIGHT = 90, 6

AnyIndex = QModelIndex | QPersistentModelIndex


def rank_colour(rank: int) -> QColor:
    """The highlight colour of the answer ranked ``rank`` (1-based)."""
    return RANK_COLOURS[rank - 1] if 1 <= rank <= len(RANK_COLOURS) else OTHER_RANKS


def card_html(marked: str, answer: str, facts: str, note: str) -> str:
    """The card's text: ``marked`` is the sentence with the answer in brackets (as
    snippets are kept); the answer shows in bold, the facts and note below it."""
    left, bracket, rest = marked.partition(f"[{answer}]")
    if bracket:
        sentence = f"{html.escape(left)}<b>{html.escape(answer)}</b>{html.escape(rest)}"
    else:  # a stored snippet without the answer in it: the answer alone, then the text
        sentence = f"<b>{html.escape(answer)}</b>" + (
            f" — {html.escape(marked)}" if marked and marked != answer else ""
        )
    lines = [sentence, f"<small>{html.escape(facts)}</small>"]
    if note:
        lines.append(f"<small><i>{html.escape(note)}</i></small>")
    return "<br>".join(lines)


class AnswerCardDelegate(QStyledItemDelegate):
    """Paints an answer list item as a card (and sizes it to its wrapped text)."""

    def _document(self, option: QStyleOptionViewItem, index: AnyIndex) -> QTextDocument:
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setHtml(str(index.data(CARD_ROLE) or ""))
        width = option.rect.width() or 300
        document.setTextWidth(max(80, width - STRIPE - 2 * PADDING))
        return document

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:  # noqa: N802
        document = self._document(option, index)
        height = document.size().height() + 2 * PADDING + BAR_HEIGHT + 4
        return QSize(int(document.idealWidth()) + STRIPE + 2 * PADDING, int(height))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        rect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        background = palette.color(QPalette.ColorRole.Base)
        if selected:
            background = palette.color(QPalette.ColorRole.Highlight)
            background.setAlpha(60)
        painter.fillRect(rect, background)
        rank = int(index.data(RANK_ROLE) or 0)
        stripe = QRectF(rect.left(), rect.top() + 2, STRIPE - 4, rect.height() - 4)
        painter.fillRect(stripe, rank_colour(rank))
        painter.setPen(QColor(20, 20, 20))
        painter.drawText(stripe, Qt.AlignmentFlag.AlignCenter, str(rank))
        if selected:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRect(QRectF(rect).adjusted(0.5, 0.5, -1, -1))
        document = self._document(option, index)
        painter.translate(rect.left() + STRIPE + PADDING, rect.top() + PADDING)
        context = QAbstractTextDocumentLayout.PaintContext()
        unsure = bool(index.data(GUESS_ROLE))
        text_role = QPalette.ColorRole.PlaceholderText if unsure else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, palette.color(text_role))
        document.documentLayout().draw(painter, context)
        confidence = index.data(CONFIDENCE_ROLE)
        if isinstance(confidence, float):
            top = document.size().height() + 2
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Mid))
            painter.drawRoundedRect(QRectF(0, top, BAR_WIDTH, BAR_HEIGHT), 3, 3)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(QRectF(0, top, BAR_WIDTH * confidence, BAR_HEIGHT), 3, 3)
        painter.restore()
