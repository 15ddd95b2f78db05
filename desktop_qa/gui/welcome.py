"""What the window shows with no document open: recent documents and libraries,
and where to drop a PDF."""

from __future__ import annotations

from pathlib import Path

import pymupdf
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_qa.core.document import document_title

PATH_ROLE = Qt.ItemDataRole.UserRole


class WelcomePage(QWidget):
    """Recent documents and saved libraries, each a click away."""

    open_requested = Signal(object)  # Path of a recent document
    library_requested = Signal(str)  # name of a saved library
    choose_requested = Signal()  # the Open dialog

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome")
        heading = QLabel("<h2>Ask your PDFs</h2>")
        hint = QLabel(
            "Drop a PDF anywhere on this window, or open one (Ctrl+O). Then ask a question "
            "in plain language and see the answer highlighted on its page."
        )
        hint.setWordWrap(True)
        self.open_button = QPushButton("Open a PDF…")
        self.open_button.setAccessibleDescription("Choose a PDF file to open (Ctrl+O)")
        self.recent = QListWidget()
        self.recent.setWordWrap(True)
        self.recent.setAccessibleName("Recent documents")
        self.libraries = QListWidget()
        self.libraries.setAccessibleName("Saved libraries")
        lists = QHBoxLayout()
        for title, widget in (("Recent documents", self.recent), ("Libraries", self.libraries)):
            column = QVBoxLayout()
            column.addWidget(QLabel(f"<b>{title}</b>"))
            column.addWidget(widget)
            lists.addLayout(column)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addWidget(self.open_button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(lists, 1)
        self.open_button.clicked.connect(self.choose_requested)
        self.recent.itemActivated.connect(self._recent_chosen)
        self.recent.itemClicked.connect(self._recent_chosen)
        self.libraries.itemActivated.connect(self._library_chosen)
        self.libraries.itemClicked.connect(self._library_chosen)

    def show_recent(self, documents: list[str], libraries: list[str]) -> None:
        """List what was opened lately (files that are gone are left out) and the libraries."""
        self.recent.clear()
        for path in documents:
            if Path(path).is_file():
                item = QListWidgetItem(f"{_title(Path(path))}\n    {Path(path).name}")
                item.setToolTip(path)
                item.setData(PATH_ROLE, path)
                self.recent.addItem(item)
        if not self.recent.count():
            self.recent.addItem(_note("Nothing opened yet."))
        self.libraries.clear()
        for name in libraries:
            self.libraries.addItem(name)
        if not self.libraries.count():
            self.libraries.addItem(_note("None yet: add PDFs in the Library panel."))

    def _recent_chosen(self, item: QListWidgetItem) -> None:
        path = item.data(PATH_ROLE)
        if path:
            self.open_requested.emit(Path(path))

    def _library_chosen(self, item: QListWidgetItem) -> None:
        if item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self.library_requested.emit(item.text())


def _title(path: Path) -> str:
    """The document's title, as the app names it (its file name if it cannot be read)."""
    try:
        with pymupdf.open(path) as pdf:
            return document_title(pdf, path)
    except Exception:  # a damaged or protected file: its name will do
        return path.stem


def _note(text: str) -> QListWidgetItem:
    item = QListWidgetItem(text)
    item.setFlags(Qt.ItemFlag.NoItemFlags)
    return item
