"""Past questions: this document's or all of them, searchable; click to show again."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_qa.core.history import StoredQuestion


class HistoryPanel(QWidget):
    """A thin view over ``HistoryStore.questions``; the window does the querying."""

    question_chosen = Signal(object)  # StoredQuestion
    delete_requested = Signal(int)  # question id
    filter_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search past questions and answers")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the history")
        self.all_documents = QCheckBox("All documents")
        self.list = QListWidget()
        self.list.setAccessibleName("Past questions")
        self.list.setAccessibleDescription("Enter shows a past question's answers again")
        self.all_documents.setAccessibleDescription("Lists the questions of every document")
        self.delete_button = QPushButton("Delete")
        self.delete_button.setAccessibleDescription("Deletes the chosen question")
        top = QHBoxLayout()
        top.addWidget(self.search)
        top.addWidget(self.all_documents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.list)
        layout.addWidget(self.delete_button, alignment=Qt.AlignmentFlag.AlignRight)
        self.search.textChanged.connect(self.filter_changed)
        self.all_documents.toggled.connect(self.filter_changed)
        self.list.itemActivated.connect(self._chosen)
        self.list.itemClicked.connect(self._chosen)
        self.delete_button.clicked.connect(self._delete)
        self._questions: list[StoredQuestion] = []

    def show_questions(self, questions: list[StoredQuestion]) -> None:
        self._questions = list(questions)
        self.list.clear()
        for q in questions:
            best = q.best
            answer = "no answer" if best is None else f"{best.text} (p. {best.page})"
            item = QListWidgetItem(f"{q.text}\n→ {answer}")
            where = f"library {q.library}" if q.library else q.document_title
            item.setToolTip(f"{where}\nasked {q.asked_at} with {q.model_name}")
            self.list.addItem(item)

    def _chosen(self, item: QListWidgetItem) -> None:
        self.question_chosen.emit(self._questions[self.list.row(item)])

    def _delete(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.delete_requested.emit(self._questions[row].id)
