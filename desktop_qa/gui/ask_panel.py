"""The question box, its progress, and the ranked answers as cards.

Up and Down (in the answers, or in the question box after asking) move through
the answers, and the page's highlight follows; right-click marks an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from desktop_qa.gui.answer_cards import (
    CARD_ROLE,
    CONFIDENCE_ROLE,
    GUESS_ROLE,
    RANK_ROLE,
    AnswerCardDelegate,
    card_html,
)

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ShownAnswer:
    """An answer as the panel shows it, from a fresh reading or from history."""

    text: str
    score: float
    page: int
    boxes: tuple[tuple[int, Box], ...]
    snippet: str
    verdict: bool | None = None
    document: Path | None = None  # set when answers come from several documents
    confidence: float | None = None  # the model's calibrated probability, if it has one
    title: str = ""  # the document's title, shown and cited
    context_boxes: tuple[tuple[int, Box], ...] = ()  # the answer's sentence on the page

    def citation(self) -> str:
        """The answer with where it stands: “answer” — title, p. 7."""
        source = self.title or (self.document.name if self.document else "")
        where = f"{source}, p. {self.page}" if source else f"p. {self.page}"
        return f"“{self.text}” — {where}"


BAR_CELLS = 10


def confidence_line(confidence: float | None, bar: bool = True) -> str:
    """A calibrated confidence in words, percent and (in plain text) a bar; a model
    without a calibration has no confidence to show, and says so."""
    from desktop_qa.core.calibration import in_words

    if confidence is None:
        return "no calibrated confidence for this model"
    filled = round(confidence * BAR_CELLS)
    cells = " " + "█" * filled + "░" * (BAR_CELLS - filled) if bar else ""
    return f"{in_words(confidence)}, {confidence:.0%}{cells}"


def facts_line(answer: ShownAnswer, guess: bool, bar: bool = True) -> str:
    """How sure, and where: "likely right, 87% · Title, page 7"."""
    source = answer.title or (answer.document.name if answer.document else "")
    where = f"{source}, page" if source and answer.document else "page"
    facts = f"{confidence_line(answer.confidence, bar)} · {where} {answer.page}"
    return f"guess · {facts}" if guess else facts


class QuestionBox(QLineEdit):
    """Enter asks, Esc cancels, Up and Down step through the answers."""

    cancel_requested = Signal()
    step_requested = Signal(int)  # -1 for the answer above, +1 for the one below

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.cancel_requested.emit()
            return
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self.step_requested.emit(-1 if event.key() == Qt.Key.Key_Up else 1)
            return
        super().keyPressEvent(event)


class AskPanel(QWidget):
    """Ask a question; see answers ranked, with confidence, page and snippet."""

    asked = Signal(str)
    cancel_requested = Signal()
    answer_selected = Signal(object)  # ShownAnswer
    mark_requested = Signal(int, object)  # rank (1-based), True / False / None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.question = QuestionBox()
        self.question.setPlaceholderText("Ask a question about this document, then press Enter")
        self.question.setClearButtonEnabled(True)
        self.thorough = QCheckBox("Read every window (slower, for hard questions)")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.question.setAccessibleName("Question")
        self.question.setAccessibleDescription(
            "Type a question about the document and press Enter; Up and Down choose an answer"
        )
        self.thorough.setAccessibleDescription("Reads every window instead of the likeliest")
        self.answers = QListWidget()
        self.answers.setWordWrap(True)
        self.answers.setItemDelegate(AnswerCardDelegate(self.answers))
        self.answers.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.answers.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.answers.setSpacing(2)
        self.answers.setAccessibleName("Answers")
        self.answers.setAccessibleDescription(
            "Answers best first, each in its sentence with its page and how sure the model is;"
            " the colour and number at the left match the highlight on the page"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.question, self.thorough, self.progress, self.status, self.answers):
            layout.addWidget(widget)
        self.question.returnPressed.connect(self._ask)
        self.question.cancel_requested.connect(self.cancel_requested)
        self.question.step_requested.connect(self.step)
        self.answers.currentItemChanged.connect(self._selected)
        self.answers.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        for label, verdict in (("Mark correct", True), ("Mark wrong", False), ("Clear mark", None)):
            mark = QAction(label, self.answers)
            mark.triggered.connect(lambda _=False, v=verdict: self._mark(v))
            self.answers.addAction(mark)
        self._shown: list[ShownAnswer] = []

    def _ask(self) -> None:
        text = self.question.text().strip()
        if text:
            self.asked.emit(text)

    def set_ready(self, ready: bool, reason: str = "") -> None:
        """Enable or disable asking; a reason also ends any progress shown."""
        self.question.setEnabled(ready)
        if reason:
            self.progress.setVisible(False)
            self.status.setText(reason)

    def show_working(
        self, message: str, progress_format: str = "reading %v of %m windows (Esc cancels)"
    ) -> None:
        self.answers.clear()
        self._shown = []
        self.status.setText(message)
        self.progress.setFormat(progress_format)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def show_message(self, message: str) -> None:
        self.progress.setVisible(False)
        self.status.setText(message)

    def show_answers(
        self, answers: list[ShownAnswer], no_answer: bool, note: str = "", reading: bool = False
    ) -> None:
        """List the answers best first and select the best (which highlights it);
        ``reading``: these are the best so far and the progress bar stays."""
        self.progress.setVisible(reading)
        self.answers.clear()
        self._shown = list(answers)
        where_from = "these documents" if any(a.document for a in answers) else "this document"
        if no_answer or not answers:
            guesses = " The best guesses are below, all unsure." if answers else ""
            self.status.setText(
                f"Not found in {where_from}.{guesses}" + (f" {note}" if note else "")
            )
        else:
            self.status.setText(note)
        for rank, answer in enumerate(answers, 1):
            item = QListWidgetItem(
                f"{answer.text}\n{facts_line(answer, no_answer)}\n{answer.snippet}"
            )
            item.setToolTip(
                f"score {answer.score:.2f} (start + end logits, the mean of the window's "
                "and the paragraph's read alone, and the passage-match bonus)"
            )
            item.setData(RANK_ROLE, rank)
            item.setData(CONFIDENCE_ROLE, answer.confidence)
            item.setData(GUESS_ROLE, no_answer)
            self.answers.addItem(item)
            self.show_mark(rank, answer.verdict)
        if answers:
            self.answers.setCurrentRow(0)

    def _mark(self, verdict: bool | None) -> None:
        row = self.answers.currentRow()
        if row >= 0:
            self.mark_requested.emit(row + 1, verdict)

    def show_mark(self, rank: int, verdict: bool | None) -> None:
        item = self.answers.item(rank - 1)
        if item is not None:
            text = item.text().removesuffix("\n✓ marked correct").removesuffix("\n✗ marked wrong")
            mark = "" if verdict is None else ("✓ marked correct" if verdict else "✗ marked wrong")
            item.setText(text + (f"\n{mark}" if mark else ""))
            answer = self._shown[rank - 1]
            guess = bool(item.data(GUESS_ROLE))
            facts = facts_line(answer, guess, bar=False)  # the card draws its own bar
            item.setData(CARD_ROLE, card_html(answer.snippet, answer.text, facts, mark))

    def step(self, by: int) -> None:
        """Choose the answer ``by`` places below (above, when negative) the current one."""
        if self.answers.count():
            row = max(0, min(self.answers.count() - 1, self.answers.currentRow() + by))
            self.answers.setCurrentRow(row)

    def current(self) -> ShownAnswer | None:
        row = self.answers.currentRow()
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def shown(self) -> list[ShownAnswer]:
        return list(self._shown)

    def copy_citation(self) -> str:
        """Copy the chosen answer with its citation; what was copied ("" for none)."""
        answer = self.current()
        if answer is None:
            return ""
        QGuiApplication.clipboard().setText(answer.citation())
        return answer.citation()

    def _selected(self, current: QListWidgetItem | None) -> None:
        if current is not None:
            self.answer_selected.emit(self._shown[self.answers.row(current)])
