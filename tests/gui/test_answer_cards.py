"""Answers one can check at a glance: cards with the answer bold in its sentence, a
highlight colour per rank, Up/Down through them, a citation to copy; accessible
controls and the system's font size.

The stand-in model's answers are nonsense: these tests check how answers are
shown, never what they say.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QStyleOptionViewItem,
    QTableView,
    QTreeWidget,
)
from pytestqt.qtbot import QtBot

from desktop_qa.gui.answer_cards import CARD_ROLE, rank_colour
from desktop_qa.gui.main_window import MainWindow
from tests.conftest import shared_file
from tests.gui.test_main_window import ask, front, make_window, open_and_wait

QUESTION = "What does the network use to reduce overfitting?"


@pytest.fixture
def answered(qtbot: QtBot, tmp_path: Path, tiny_model: Path) -> Iterator[MainWindow]:
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    ask(qtbot, main, QUESTION)
    assert main.ask_panel.answers.count() >= 3
    yield main
    main.close()


def test_a_card_shows_the_answer_bold_inside_its_sentence(answered: MainWindow) -> None:
    main = answered
    text = " ".join(front(main).opened.document.text.split())  # type: ignore[union-attr]
    for row, answer in enumerate(main.ask_panel.shown()):
        card = main.ask_panel.answers.item(row).data(CARD_ROLE)
        assert f"<b>{html.escape(answer.text)}</b>" in card
        sentence = answer.snippet.strip("…").replace(f"[{answer.text}]", answer.text)
        assert sentence in text and len(sentence) > len(answer.text)
        assert answer.context_boxes  # the sentence is drawn lightly on the page too
        covered = {page for page, _ in answer.context_boxes}
        assert {page for page, _ in answer.boxes} <= covered


def test_up_and_down_move_the_highlight_in_each_ranks_colour(
    qtbot: QtBot, answered: MainWindow
) -> None:
    main = answered
    shown = main.ask_panel.shown()
    main.focus_question()
    for row in (1, 2, 1, 0):
        key = Qt.Key.Key_Down if row > main.ask_panel.answers.currentRow() else Qt.Key.Key_Up
        qtbot.keyClick(main.ask_panel.question, key)
        assert main.ask_panel.answers.currentRow() == row
        answer = shown[row]
        page, box = answer.boxes[0]
        assert box in main.view.highlights_on(page - 1)
        assert main.view.highlight_colour == rank_colour(row + 1)
        assert main.view.is_emphasised()
        assert main.view.current_page() == page or page - 1 <= main.view.current_page() <= page
        for other_rank, other in enumerate(shown, 1):
            if other is answer:
                continue
            other_page, other_box = other.boxes[0]
            assert (rank_colour(other_rank), other_box) in main.view.other_answers_on(
                other_page - 1
            )
    qtbot.waitUntil(lambda: not main.view.is_emphasised(), timeout=3_000)
    assert len({rank_colour(rank).name() for rank in range(1, 6)}) == 5


def test_ctrl_shift_c_copies_the_answer_with_its_citation(
    qtbot: QtBot, answered: MainWindow
) -> None:
    main = answered
    main.ask_panel.answers.setCurrentRow(1)
    answer = main.ask_panel.shown()[1]
    QGuiApplication.clipboard().clear()
    control_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(main.view, Qt.Key.Key_C, control_shift)
    title = "ImageNet Classification with Deep Convolutional Neural Networks"
    assert QGuiApplication.clipboard().text() == f"“{answer.text}” — {title}, p. {answer.page}"


def test_every_control_has_an_accessible_name(answered: MainWindow) -> None:
    main = answered
    main.library_dock.show()
    kinds = (QLineEdit, QListWidget, QTreeWidget, QComboBox, QTableView, QSpinBox)
    controls = [
        widget
        for kind in kinds
        for widget in main.findChildren(kind)
        if not isinstance(widget.parent(), (QComboBox, QSpinBox))  # their inner line edit
    ]
    assert len(controls) >= 10  # the welcome page's, the tab's, the sidebar's, the library's
    unnamed = [f"{type(w).__name__} {w.accessibleDescription()}" for w in controls
               if not w.accessibleName()]  # fmt: skip
    assert unnamed == []


def test_cards_follow_the_font_size(qapp: QApplication, answered: MainWindow) -> None:
    main = answered
    answers = main.ask_panel.answers
    delegate = answers.itemDelegate()

    def height() -> int:
        option = QStyleOptionViewItem()
        option.initFrom(answers)
        option.rect = answers.visualItemRect(answers.item(0))
        return delegate.sizeHint(option, answers.model().index(0, 0)).height()

    before = height()
    font = QFont(qapp.font())
    original = QFont(font)
    font.setPointSizeF(font.pointSizeF() * 1.6)
    qapp.setFont(font)
    try:
        assert height() > before * 1.3
    finally:
        qapp.setFont(original)
