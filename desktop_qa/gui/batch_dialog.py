"""Ask a list of questions: a table that fills as answers come, exported to CSV.

The questions are typed or pasted (one a line) or loaded from a text file;
they are read by the window's worker one after another, each question's rows
arriving as soon as it is answered, so the dialog never waits and Stop keeps
what is done. The rows are ``batch.rows_for``'s, so the CSV is the one
``desktop-qa ask --questions --csv`` writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_qa.core.batch import COLUMNS, BatchCsv
from desktop_qa.core.errors import DesktopQAError

#: The columns shown (a CSV row has them all).
SHOWN = ("question", "answer", "confidence", "document", "page")
#: Given the questions and where to send each one's rows, starts the work; returns a stop.
Starter = Callable[[list[str], Callable[[str, list[tuple[object, ...]]], None]], Callable[[], None]]


class BatchDialog(QDialog):
    """Questions in, a table of answers out."""

    rows_arrived = Signal(str, object)  # question, its rows (emitted from the worker thread)
    all_done = Signal()

    def __init__(self, target: str, start: Starter, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Ask a list of questions")
        self.setObjectName("batch-dialog")
        self.start = start
        self.stop: Callable[[], None] | None = None
        self.rows: list[tuple[str, tuple[object, ...]]] = []
        self.questions = QPlainTextEdit()
        self.questions.setPlaceholderText("One question a line")
        self.questions.setAccessibleName("Questions, one a line")
        self.load_button = QPushButton("Load…")
        self.run_button = QPushButton("Ask all")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setEnabled(False)
        self.table = QTableWidget(0, len(SHOWN))
        self.table.setHorizontalHeaderLabels([c.capitalize() for c in SHOWN])
        self.table.setAccessibleName("Answers")
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel(f"Questions go to {target}.")
        buttons = QHBoxLayout()
        for button in (self.load_button, self.run_button, self.stop_button, self.export_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.questions, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 3)
        layout.addWidget(self.status)
        self.resize(900, 600)
        self.load_button.clicked.connect(self.load)
        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop_asking)
        self.export_button.clicked.connect(self.choose_export)
        self.rows_arrived.connect(self._add_rows)
        self.all_done.connect(self._finished)
        self._total = 0

    def load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Questions file", "", "Text (*.txt);;All (*)")
        if path:
            self.questions.setPlainText(Path(path).read_text(encoding="utf-8", errors="replace"))

    def run(self) -> None:
        asked = [line.strip() for line in self.questions.toPlainText().splitlines()]
        asked = [q for q in asked if q]
        if not asked:
            self.status.setText("Type or load some questions first, one a line.")
            return
        self._total = len(asked)
        self.rows.clear()
        self.table.setRowCount(0)
        self.run_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        self.status.setText(f"Asking {len(asked)} questions…")
        self.stop = self.start(asked, self.rows_arrived.emit)

    def stop_asking(self) -> None:
        if self.stop is not None:
            self.stop()

    def _add_rows(self, question: str, rows: list[tuple[object, ...]]) -> None:
        index = {name: number for number, name in enumerate(COLUMNS)}
        for row in rows:
            self.rows.append((question, row))
            line = self.table.rowCount()
            self.table.insertRow(line)
            for column, name in enumerate(SHOWN):
                value = row[index[name]]
                if name == "answer" and not value:
                    value = "not found"
                elif name == "confidence" and value != "":
                    value = f"{float(str(value)):.0%}"
                self.table.setItem(line, column, QTableWidgetItem(str(value)))
        answered = len({q for q, _ in self.rows})
        self.status.setText(f"{answered} of {self._total} questions answered.")
        self.export_button.setEnabled(True)

    def _finished(self) -> None:
        self.run_button.setEnabled(True)
        self.stop_button.setEnabled(False)
        answered = len({q for q, _ in self.rows})
        self.status.setText(f"{answered} of {self._total} questions answered.")

    def choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export answers", "answers.csv", "CSV (*.csv)")
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> None:
        """Write the rows as the batch CSV (a fresh file)."""
        try:
            path.unlink(missing_ok=True)
            state = str(self.rows[0][1][COLUMNS.index("state")]) if self.rows else ""
            with BatchCsv(path, state) as out:
                by_question: dict[str, list[tuple[object, ...]]] = {}
                for question, row in self.rows:
                    by_question.setdefault(question, []).append(row)
                for question, rows in by_question.items():
                    out.write_rows(question, rows)
        except (DesktopQAError, OSError) as exc:
            self.status.setText(f"Cannot export: {exc}")
            return
        self.status.setText(f"Exported {len(self.rows)} rows to {path}.")
