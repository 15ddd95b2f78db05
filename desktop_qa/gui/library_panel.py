"""The Library panel: saved libraries, their documents and states, and indexing.

Adding (buttons, or PDFs and folders dropped on the panel) and syncing run on
the panel's own background runner, so indexing never blocks asking or the
window; its progress shows with the time left and can be cancelled, and what
was indexed stays. The panel says where questions go: the open document, the
whole library, or the documents selected in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_qa.core.indexing import IndexReport, WindowSpec, add, sync
from desktop_qa.core.library import DEFAULT_LIBRARY, Library, LibraryDocument, library_names
from desktop_qa.gui.tasks import TaskRunner

COLUMNS = ("Title", "Pages", "State")
AnyIndex = QModelIndex | QPersistentModelIndex


class LibraryDocumentsModel(QAbstractTableModel):
    """A table over a library's documents (a plain list the panel replaces)."""

    def __init__(self) -> None:
        super().__init__()
        self.documents: list[LibraryDocument] = []

    def show(self, documents: list[LibraryDocument]) -> None:
        self.beginResetModel()
        self.documents = list(documents)
        self.endResetModel()

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.documents)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        document = self.documents[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                document.title or document.path.name,
                "" if document.pages is None else str(document.pages),
                document.status,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            reason = f"\n{document.reason}" if document.reason else ""
            return f"{document.path}{reason}"
        return None


class LibraryPanel(QWidget):
    """Saved libraries and where questions go; ``spec`` gives the current model's windows."""

    document_opened = Signal(object)  # Path of a document to show
    target_changed = Signal()  # where questions go changed
    indexed = Signal(object)  # IndexReport of a finished add or sync

    DOCUMENT, LIBRARY, SELECTION = range(3)

    def __init__(
        self, spec: Callable[[], WindowSpec], root: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.spec = spec
        self.root = root
        self.setAcceptDrops(True)
        self.runner = TaskRunner(self)
        self.choice = QComboBox()
        self.choice.setAccessibleName("Library")
        self.new_button = QPushButton("New…")
        self.table = QTableView()
        self.model = LibraryDocumentsModel()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAccessibleName("Documents of the library")
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.add_files_button = QPushButton("Add PDFs…")
        self.add_folder_button = QPushButton("Add Folder…")
        self.sync_button = QPushButton("Sync")
        self.remove_button = QPushButton("Remove")
        self.progress = QProgressBar()
        self.progress.hide()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        self.status = QLabel("Drop PDFs or folders here to add them.")
        self.status.setWordWrap(True)
        self.ask_document = QRadioButton("the open document")
        self.ask_library = QRadioButton("the whole library")
        self.ask_selection = QRadioButton("the selected documents")
        self.target = QButtonGroup(self)
        for number, button in enumerate((self.ask_document, self.ask_library, self.ask_selection)):
            self.target.addButton(button, number)
        self.ask_document.setChecked(True)

        top = QHBoxLayout()
        top.addWidget(self.choice, 1)
        top.addWidget(self.new_button)
        buttons = QGridLayout()  # two by two: the panel shares a narrow side with the outline
        for place, push in enumerate((self.add_files_button, self.add_folder_button,
                                      self.sync_button, self.remove_button)):  # fmt: skip
            buttons.addWidget(push, place // 2, place % 2)
        working = QHBoxLayout()
        working.addWidget(self.progress, 1)
        working.addWidget(self.cancel_button)
        asking = QVBoxLayout()
        asking.setSpacing(2)
        asking.addWidget(QLabel("Questions go to:"))
        for button in (self.ask_document, self.ask_library, self.ask_selection):
            asking.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(working)
        layout.addWidget(self.status)
        layout.addLayout(asking)

        self.choice.currentTextChanged.connect(self._library_chosen)
        self.new_button.clicked.connect(self.ask_new_library)
        self.add_files_button.clicked.connect(self.choose_files)
        self.add_folder_button.clicked.connect(self.choose_folder)
        self.sync_button.clicked.connect(self.sync)
        self.remove_button.clicked.connect(self.remove_selected)
        self.cancel_button.clicked.connect(lambda: self.runner.cancel())
        self.table.doubleClicked.connect(self._opened)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.target_changed.emit())
        self.target.idToggled.connect(lambda *_: self.target_changed.emit())
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(self._cancelled)
        self.runner.progressed.connect(self._progressed)
        self._began = 0.0
        self.refresh_names()

    # --- which library -----------------------------------------------------------

    def refresh_names(self, select: str | None = None) -> None:
        names = library_names(self.root) or [DEFAULT_LIBRARY]
        if select and select not in names:
            names.append(select)
        current = select or self.choice.currentText() or names[0]
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItems(sorted(names))
        self.choice.setCurrentText(current)
        self.choice.blockSignals(False)
        self._library_chosen(current)

    @property
    def name(self) -> str:
        return self.choice.currentText() or DEFAULT_LIBRARY

    def ask_new_library(self) -> QInputDialog:
        dialog = QInputDialog(self)
        dialog.setObjectName("new-library-dialog")
        dialog.setWindowTitle("New library")
        dialog.setLabelText("Name of the new library:")
        dialog.textValueSelected.connect(self._created)
        dialog.open()
        return dialog

    def _created(self, name: str) -> None:
        if name.strip():
            self.refresh_names(name.strip())

    def _library_chosen(self, name: str) -> None:
        if not name:
            return
        if name in library_names(self.root):
            with Library(name, self.root) as library:
                self.model.show(library.documents())
        else:
            self.model.show([])
        self._say_counts()
        self.target_changed.emit()

    def _say_counts(self) -> None:
        indexed = [d for d in self.model.documents if d.status == "indexed"]
        pages = sum(d.pages or 0 for d in indexed)
        failed = sum(d.status == "failed" for d in self.model.documents)
        failures = f", {failed} failed (see their tooltips)" if failed else ""
        if self.model.documents:
            self.status.setText(f"{len(indexed)} documents, {pages} pages indexed{failures}.")
        else:
            self.status.setText("No documents yet: drop PDFs or folders here to add them.")

    def ask_target(self) -> tuple[str, list[int] | None] | None:
        """Where questions go: None for the open document, else the library's name and
        the chosen documents' ids (None: all of them)."""
        chosen = self.target.checkedId()
        if chosen == self.DOCUMENT or not any(d.status == "indexed" for d in self.model.documents):
            return None
        if chosen == self.SELECTION:
            rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
            return self.name, [self.model.documents[r].id for r in rows]
        return self.name, None

    # --- adding, syncing, removing -----------------------------------------------

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add PDFs", "", "PDF files (*.pdf)")
        if paths:
            self.add_paths([Path(p) for p in paths])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of PDFs")
        if folder:
            self.add_paths([Path(folder)])

    def add_paths(self, paths: list[Path]) -> None:
        """Index files and folders into the chosen library in the background."""
        name, root, spec = self.name, self.root, self.spec()

        def job(cancelled: Any, progress: Any) -> IndexReport:
            with Library(name, root) as library:
                return add(library, paths, spec, progress, cancelled)

        self._start(job, f"Adding {len(paths)} items to {name}…")

    def sync(self) -> None:
        name, root, spec = self.name, self.root, self.spec()
        if name not in library_names(root):
            return

        def job(cancelled: Any, progress: Any) -> IndexReport:
            with Library(name, root) as library:
                return sync(library, spec, progress, cancelled)

        self._start(job, f"Looking for new, changed and deleted files of {name}…")

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        if not rows or self.name not in library_names(self.root):
            return
        with Library(self.name, self.root) as library:
            library.remove(self.model.documents[r].path for r in rows)
        self._library_chosen(self.name)

    def _start(self, job: Any, message: str) -> None:
        self._began = time.perf_counter()
        self.status.setText(message)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        for button in (self.add_files_button, self.add_folder_button, self.sync_button):
            button.setEnabled(False)
        self.runner.submit(job)

    def _progressed(self, job_id: int, done: int, total: int) -> None:
        if not self.runner.is_current(job_id) or not total:
            return
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        elapsed = time.perf_counter() - self._began
        left = f", about {elapsed / done * (total - done):.0f} s left" if done else ""
        self.progress.setFormat(f"indexed %v of %m files{left}")

    def _done(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        for button in (self.add_files_button, self.add_folder_button, self.sync_button):
            button.setEnabled(True)
        self.refresh_names(self.name)

    def _finished(self, job_id: int, report: object) -> None:
        if not self.runner.is_current(job_id):
            return
        self._done()
        assert isinstance(report, IndexReport)
        self.status.setText(
            f"{report.indexed} indexed, {report.unchanged} unchanged, {report.moved} moved, "
            f"{report.removed} removed, {report.failed} failed."
        )
        self.indexed.emit(report)

    def _failed(self, job_id: int, error: object) -> None:
        if self.runner.is_current(job_id):
            self._done()
            self.status.setText(f"Indexing stopped: {error}")

    def _cancelled(self, job_id: int) -> None:
        if self.runner.is_current(job_id):
            self._done()
            self.status.setText("Cancelled; the documents indexed so far are kept.")

    # --- drag and drop, opening --------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if any(_addable(Path(u.toLocalFile())) for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls()]
        chosen = [p for p in paths if _addable(p)]
        if chosen:
            event.acceptProposedAction()
            self.add_paths(chosen)

    def _opened(self, index: QModelIndex) -> None:
        document = self.model.documents[index.row()]
        if document.status == "indexed":
            self.document_opened.emit(document.path)

    def shutdown(self) -> None:
        self.runner.shutdown()


def _addable(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() == ".pdf"
