"""The question box, its progress, and the ranked list of answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent
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


BAR_CELLS = 10


def confidence_line(confidence: float | None) -> str:
    """A calibrated confidence in words, percent and a bar; a model without a
    calibration has no confidence to show, and says so."""
    from desktop_qa.core.calibration import in_words

    if confidence is None:
        return "no calibrated confidence for this model"
    filled = round(confidence * BAR_CELLS)
    bar = "█" * filled + "░" * (BAR_CELLS - filled)
    return f"{in_words(confidence)}, {confidence:.0%} {bar}"


class QuestionBox(QLineEdit):
    """Enter asks, Esc cancels."""

    cancel_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_Escape:
            self.cancel_requested.emit()
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
        self.answers = QListWidget()
        self.answers.setWordWrap(True)
        self.answers.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.question, self.thorough, self.progress, self.status, self.answers):
            layout.addWidget(widget)
        self.question.returnPressed.connect(self._ask)
        self.question.cancel_requested.connect(self.cancel_requested)
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
        for answer in answers:
            where = f"{answer.document.name}, page" if answer.document else "page"
            facts = f"{confidence_line(answer.confidence)} · {where} {answer.page}"
            if no_answer:
                facts = f"guess · {facts}"
            item = QListWidgetItem(f"{answer.text}\n{facts}\n…{answer.snippet}…")
            item.setToolTip(
                f"score {answer.score:.2f} (start + end logits and passage-match bonus)"
            )
            if no_answer:
                item.setForeground(self.palette().placeholderText())
            self.answers.addItem(item)
            self.show_mark(self.answers.count(), answer.verdict)
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
            suffix = (
                "" if verdict is None else ("\n✓ marked correct" if verdict else "\n✗ marked wrong")
            )
            item.setText(text + suffix)

    def _selected(self, current: QListWidgetItem | None) -> None:
        if current is not None:
            self.answer_selected.emit(self._shown[self.answers.row(current)])
