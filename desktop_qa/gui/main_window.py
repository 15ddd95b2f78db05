"""The main window: the document in the centre, asking and history beside it.

Everything slow (loading the model, extracting a document, reading, saving
history) runs as a job on the one ``TaskRunner``; the window only snapshots
what a job needs, and applies results when their signal arrives. The viewer
shows a document's pages at once, while its text is extracted in the
background.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QSplitter,
    QTabWidget,
)

from desktop_qa import __version__
from desktop_qa.core.assistant import (
    Assistant,
    LibraryResult,
    OpenDocument,
    ask_library,
    ask_saved_library,
)
from desktop_qa.core.batch import document_state, library_state, rows_for
from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import Document, open_pdf
from desktop_qa.core.errors import CancelledError, DesktopQAError, DocumentError, ModelError
from desktop_qa.core.history import HistoryStore, StoredQuestion
from desktop_qa.core.indexing import WindowSpec
from desktop_qa.core.library import Library
from desktop_qa.core.model import resolve_model
from desktop_qa.core.reader import Answer, ReadResult
from desktop_qa.gui.ask_panel import AskPanel, ShownAnswer
from desktop_qa.gui.batch_dialog import BatchDialog
from desktop_qa.gui.dialogs import (
    FirstRunDialog,
    SettingsDialog,
    load_reader_settings,
    save_reader_settings,
    saved_model,
)
from desktop_qa.gui.history_panel import HistoryPanel
from desktop_qa.gui.library_panel import LibraryPanel
from desktop_qa.gui.pdf_view import PasswordNeededError, PdfView
from desktop_qa.gui.tasks import TaskRunner

SNIPPET_CHARS = 50
RECENT_FILES = 10
MAX_FIND_HITS = 2000
SHORTCUTS = (
    ("Ctrl+O", "open a PDF"),
    ("Enter (in the question box)", "ask"),
    ("Esc (in the question box)", "cancel the running question"),
    ("Ctrl+F / F3", "find in the document / next match"),
    ("Ctrl+C", "copy the selected text (drag on a page to select)"),
    ("Ctrl++ / Ctrl+- / Ctrl+wheel", "zoom in / out"),
    ("Ctrl+1 / Ctrl+2", "fit width / fit page"),
    ("Ctrl+G", "go to a page"),
    ("PgUp / PgDn / Home / End", "previous / next / first / last page"),
    ("F1", "this list"),
)


class WorkerState:
    """What the worker thread owns: the model, the open document, its history connection.

    Only jobs touch it, and jobs run one at a time on the worker thread.
    """

    def __init__(self, model_path: Path | None, settings: ReaderSettings) -> None:
        self.model_path = model_path
        self.settings = settings
        self.assistant: Assistant | None = None
        self.history: HistoryStore | None = None

    def ensure_assistant(self) -> Assistant:
        if self.assistant is None:
            self.assistant = Assistant(resolve_model(self.model_path), self.settings)
        return self.assistant

    def open(
        self, path: Path, password: str | None, progress: Any, cancelled: Any
    ) -> OpenDocument | Document:
        """Open for questions; without a usable model, open for reading and finding only."""
        try:
            assistant = self.ensure_assistant()
        except ModelError:
            budget = self.settings.open_budget_s
            return open_pdf(path, password, DocumentCache(), progress, cancelled, budget)
        return assistant.open(path, password, progress, cancelled)

    def store(self) -> HistoryStore:
        if self.history is None:
            self.history = HistoryStore()
        return self.history


@dataclass(frozen=True)
class Asked:
    """A finished question: what was read and its id in the history."""

    result: ReadResult
    question_id: int | None


class MainWindow(QMainWindow):
    """The desktop-qa window."""

    #: (the question's token, answers so far): better answers while a thorough read goes on
    interim_answers = Signal(object, object)

    def __init__(
        self, settings: QSettings, model_path: Path | None = None, worker: WorkerState | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("desktop-qa")
        self.setAcceptDrops(True)
        self.runner = TaskRunner(self)
        self.worker = worker or WorkerState(
            model_path or saved_model(settings), load_reader_settings(settings)
        )
        self.first_run: FirstRunDialog | None = None
        self.batch_dialog: BatchDialog | None = None
        self._question_id: int | None = None
        self.opened: OpenDocument | None = None
        self.text_only: Document | None = None  # an open document while no model is usable
        self.library: list[OpenDocument] = []  # when set, questions go to all of these
        self.path: Path | None = None
        self.model_label = "loading model…"
        self.provider = ""
        self._job_kind: dict[int, str] = {}

        self.view = PdfView()
        self.ask_panel = AskPanel()
        self.history_panel = HistoryPanel()
        self.library_panel = LibraryPanel(self._window_spec)
        side = QTabWidget()
        side.addTab(self.ask_panel, "Ask")
        side.addTab(self.history_panel, "History")
        side.addTab(self.library_panel, "Library")
        self.side = side
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.splitter)
        self.find_box = QLineEdit()
        self.find_box.setPlaceholderText("Find in document (Ctrl+F)")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.setMaximumWidth(260)
        self._hits: list[list[tuple[int, tuple[float, float, float, float]]]] = []
        self._hit = -1
        self.page_box = QSpinBox()
        self.page_box.setMinimum(1)
        self.page_box.setKeyboardTracking(False)
        self.status_document = QLabel("no document")
        self.status_page = QLabel()
        self.status_model = QLabel(self.model_label)
        for label in (self.status_document, self.status_page, self.status_model):
            self.statusBar().addPermanentWidget(label)
        self._build_actions()

        self.ask_panel.asked.connect(self.ask)
        self.ask_panel.cancel_requested.connect(self.cancel)
        self.ask_panel.answer_selected.connect(self.highlight)
        self.ask_panel.mark_requested.connect(self.mark_answer)
        self.history_panel.question_chosen.connect(self.show_stored)
        self.history_panel.delete_requested.connect(self.delete_question)
        self.history_panel.filter_changed.connect(self.refresh_history)
        self.library_panel.document_opened.connect(self.open_file)
        self.library_panel.target_changed.connect(self._say_target)
        self.library_panel.target_changed.connect(self.refresh_history)
        self.view.page_changed.connect(self._page_changed)
        self.view.web_link_clicked.connect(self.confirm_web_link)
        self.view.link_refused.connect(self._link_refused)
        self.page_box.valueChanged.connect(self.view.go_to_page)
        self.find_box.textChanged.connect(self.find_text)
        self.find_box.returnPressed.connect(self.find_next)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(self._cancelled)
        self.runner.progressed.connect(self._progressed)
        self.interim_answers.connect(self._show_interim)
        self._asking: object = None  # the running question's token (stale interim answers drop)

        self._restore_layout()
        self.ask_panel.set_ready(False, "Open a PDF to ask questions about it.")
        self._submit("model", lambda cancelled, progress: self.worker.ensure_assistant())
        self.refresh_history()

    # --- menus -------------------------------------------------------------------

    def _build_actions(self) -> None:
        def action(text: str, slot: Any, shortcut: Any = None) -> QAction:
            made = QAction(text, self)
            if shortcut is not None:
                made.setShortcut(QKeySequence(shortcut))
            made.triggered.connect(slot)
            return made

        files = self.menuBar().addMenu("&File")
        open_action = action("&Open…", self.choose_file, QKeySequence.StandardKey.Open)
        files.addAction(open_action)
        self.recent_menu = files.addMenu("Open &Recent")
        files.addAction(action("Ask a &Folder of PDFs…", self.choose_library))
        files.addAction(action("Ask a &List of Questions…", self.ask_list, "Ctrl+Shift+L"))
        export = files.addMenu("&Export this document's history")
        for label, fmt in (("CSV…", "csv"), ("JSON…", "json"), ("Markdown…", "md"),
                           ("Annotated PDF…", "pdf")):  # fmt: skip
            export.addAction(action(label, lambda _=False, f=fmt: self.export_history(f)))
        files.addSeparator()
        files.addAction(action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        edit = self.menuBar().addMenu("&Edit")
        edit.addAction(
            action("&Copy selected text", self.view.copy_selection, QKeySequence.StandardKey.Copy)
        )
        edit.addAction(action("&Find…", self.focus_find, QKeySequence.StandardKey.Find))
        edit.addAction(action("Find &Next", self.find_next, QKeySequence.StandardKey.FindNext))
        edit.addSeparator()
        edit.addAction(
            action("&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences)
        )

        view = self.menuBar().addMenu("&View")
        zoom_in = action("Zoom &In", self.view.zoom_in, QKeySequence.StandardKey.ZoomIn)
        zoom_out = action("Zoom &Out", self.view.zoom_out, QKeySequence.StandardKey.ZoomOut)
        fit_width = action("Fit &Width", self.view.fit_width, "Ctrl+1")
        fit_page = action("Fit &Page", self.view.fit_page, "Ctrl+2")
        go_to = action("&Go to Page…", self.ask_page, "Ctrl+G")
        for made in (zoom_in, zoom_out, fit_width, fit_page, go_to):
            view.addAction(made)

        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(action("&Keyboard shortcuts", self.show_shortcuts, "F1"))
        help_menu.addAction(action("&About desktop-qa", self.about))

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        for made in (open_action, zoom_out, zoom_in, fit_width):
            toolbar.addAction(made)
        toolbar.addWidget(QLabel(" Page "))
        toolbar.addWidget(self.page_box)
        toolbar.addSeparator()
        toolbar.addWidget(self.find_box)
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            opener = QAction(path, self)
            opener.triggered.connect(lambda _=False, p=path: self.open_file(Path(p)))
            self.recent_menu.addAction(opener)
        self.recent_menu.setEnabled(bool(self._recent()))

    def _recent(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        return [str(v) for v in (value if isinstance(value, list) else [value]) if v]

    # --- documents ---------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a PDF", "", "PDF files (*.pdf)")
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path, password: str | None = None) -> None:
        """Show the pages at once; extract the text for asking in the background."""
        try:
            self.view.load(path, password)
        except PasswordNeededError:
            self.ask_password(path, retry=password is not None)
            return
        except Exception as exc:  # pymupdf raises several types for files it cannot read
            self._error_dialog(f"{path.name} cannot be opened", f"{exc}")
            return
        self.path = path
        self.opened = None
        self.text_only = None
        self.library = []
        self._hits, self._hit = [], -1
        self.setWindowTitle(f"{path.name} - desktop-qa")
        self.status_document.setText(path.name)
        self.page_box.setMaximum(max(1, self.view.page_count))
        self._page_changed(1)
        recent = [str(path.resolve()), *[p for p in self._recent() if p != str(path.resolve())]]
        self.settings.setValue("recent_files", recent[:RECENT_FILES])
        self._fill_recent()
        self.ask_panel.set_ready(False)
        self.ask_panel.show_working("Reading the document's text…", "reading page %v of %m")
        self._submit(
            "open",
            lambda cancelled, progress: self.worker.open(path, password, progress, cancelled),
        )

    def ask_password(self, path: Path, retry: bool = False) -> QInputDialog:
        """Ask for an encrypted PDF's password without blocking; opening goes on after."""
        dialog = QInputDialog(self)
        dialog.setObjectName("password-dialog")
        dialog.setWindowTitle("Password needed")
        wrong = "That password is not right. " if retry else ""
        dialog.setLabelText(f"{wrong}{path.name} is protected. Its password:")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.textValueSelected.connect(lambda password: self.open_file(path, password))
        dialog.open()
        return dialog

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if any(url.toLocalFile().lower().endswith(".pdf") for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(".pdf"):
                self.open_file(Path(url.toLocalFile()))
                break

    # --- a library ---------------------------------------------------------------

    def choose_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Ask every PDF in a folder")
        if folder:
            self.open_library(Path(folder))

    def open_library(self, folder: Path) -> None:
        """Read every PDF under ``folder``; questions then go to all of them at once."""
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".pdf")
        self.ask_panel.set_ready(False)
        self.ask_panel.show_working(f"Reading {len(paths)} PDFs…", "document %v of %m")
        worker = self.worker

        def job(cancelled: Any, progress: Any) -> list[OpenDocument]:
            assistant = worker.ensure_assistant()
            opened = []
            for number, path in enumerate(paths):
                progress(number, len(paths))
                try:
                    opened.append(assistant.open(path, cancelled=cancelled))
                except DocumentError:
                    continue  # unreadable PDFs are left out of the library
            return opened

        self._submit("library", job)

    def _library_ready(self, documents: list[OpenDocument]) -> None:
        self.library = documents
        pages = sum(o.document.page_count for o in documents)
        self.ask_panel.set_ready(
            bool(documents),
            f"Library: {len(documents)} PDFs, {pages} pages. Questions go to all of them; "
            "open a single PDF to leave the library.",
        )

    # --- asking ------------------------------------------------------------------

    def _window_spec(self) -> WindowSpec:
        """How the current model cuts documents into windows (a library is indexed so)."""
        return WindowSpec.of(resolve_model(self.worker.model_path), self.worker.settings)

    def _say_target(self) -> None:
        target = self.library_panel.ask_target()
        if target is None:
            ready = self.opened is not None or bool(self.library)
            self.ask_panel.set_ready(
                ready, "" if ready else "Open a PDF to ask questions about it."
            )
            return
        name, chosen = target
        what = f"{len(chosen)} selected documents of" if chosen is not None else "the library"
        self.ask_panel.set_ready(bool(chosen) or chosen is None, f"Questions go to {what} {name}.")

    def _ask_saved_library(self, question: str, name: str, only: list[int] | None) -> None:
        self.ask_panel.show_working(f"Reading library {name} for: {question}")
        worker = self.worker

        def job(cancelled: Any, progress: Any) -> LibraryResult:
            assistant = worker.ensure_assistant()
            with Library(name) as library:
                result = ask_saved_library(assistant, library, question, cancelled, only)
            model = assistant.model
            worker.store().record_library(
                name, result, model.name, model.version, assistant.provider
            )
            return result

        self._submit("library-ask", job)

    def ask_list(self) -> BatchDialog | None:
        """The dialog that asks many questions of the current target into a table."""
        target = self.library_panel.ask_target()
        if target is None and self.opened is None:
            self.ask_panel.show_message("Open a PDF, or choose a library, to ask it a list.")
            return None
        if target is None:
            what = self.opened.document.title if self.opened is not None else ""
        else:
            what = f"library {target[0]}" + ("" if target[1] is None else " (selected documents)")
        dialog = BatchDialog(what, self._start_batch, self)
        self.batch_dialog = dialog
        dialog.open()
        return dialog

    def _start_batch(
        self, questions: list[str], emit: Callable[[str, list[tuple[object, ...]]], None]
    ) -> Callable[[], None]:
        """Ask each question on the worker, sending its rows as soon as it is answered."""
        target, opened, worker = self.library_panel.ask_target(), self.opened, self.worker

        def job(cancelled: Any, progress: Any) -> int:
            assistant = worker.ensure_assistant()
            model, store = assistant.model, worker.store()
            facts = (model.name, model.version, assistant.provider)
            for done, question in enumerate(questions):
                if cancelled():
                    raise CancelledError("the list was stopped")
                if target is None:
                    assert opened is not None
                    state = document_state(model, [opened.document.sha256])
                    result = assistant.ask(opened, question, cancelled=cancelled)
                    pairs = [(opened.document, answer) for answer in result.answers]
                    store.record(opened.document, result, *facts)
                    no_answer = result.no_answer
                else:
                    name, only = target
                    with Library(name) as library:
                        state = library_state(model, library)
                        found = ask_saved_library(assistant, library, question, cancelled, only)
                    store.record_library(name, found, *facts)
                    pairs = [(item.document, item.answer) for item in found.answers]
                    no_answer = found.no_answer
                emit(question, rows_for(question, pairs, no_answer, state))
                progress(done + 1, len(questions))
            return len(questions)

        self._submit("batch", job)
        return self.runner.cancel

    def ask(self, question: str) -> None:
        target = self.library_panel.ask_target()
        if target is not None:
            self._ask_saved_library(question, *target)
            return
        if self.library:
            self._ask_library(question, self.library)
            return
        opened = self.opened
        if opened is None:
            self.ask_panel.show_message("Open a PDF first.")
            return
        self.ask_panel.show_working(f"Reading for: {question}")
        worker = self.worker
        thorough = self.ask_panel.thorough.isChecked()
        token = self._asking = object()

        def better(answers: list[Answer]) -> None:
            self.interim_answers.emit(token, answers)  # delivered on the GUI thread

        def job(cancelled: Any, progress: Any) -> Asked:
            assistant = worker.ensure_assistant()
            result = assistant.ask(
                opened, question, progress, cancelled, thorough, better if thorough else None
            )
            model = assistant.model
            stored = worker.store().record(
                opened.document, result, model.name, model.version, assistant.provider
            )
            return Asked(result, stored)

        self._submit("ask", job)

    def _ask_library(self, question: str, documents: list[OpenDocument]) -> None:
        self.ask_panel.show_working(f"Reading {len(documents)} PDFs for: {question}")
        worker = self.worker
        self._submit(
            "library-ask",
            lambda cancelled, progress: ask_library(
                worker.ensure_assistant(), documents, question, cancelled=cancelled
            ),
        )

    def _show_library_result(self, result: LibraryResult) -> None:
        shown = [
            ShownAnswer(
                item.answer.text,
                item.answer.score,
                item.answer.page,
                tuple((f.page, f.box) for f in item.answer.fragments),
                _snippet(item.document.text, item.answer.char_start, item.answer.char_end),
                None,
                item.document.path,
                item.answer.confidence,
            )
            for item in result.answers
        ]
        note = _reading_note(result.windows, result.windows_total, result.elapsed_ms)
        self.ask_panel.show_answers(shown, result.no_answer, note)

    def cancel(self) -> None:
        self.runner.cancel()

    def highlight(self, answer: ShownAnswer) -> None:
        if answer.document is not None and answer.document != self.path:
            self._show_library_document(answer.document)
        self.view.set_highlights(list(answer.boxes))
        if answer.boxes:
            page, box = answer.boxes[0]
            self.view.go_to_page(page, box[1])
        else:
            self.view.go_to_page(answer.page)

    def _show_library_document(self, path: Path) -> None:
        """Show one of the library's documents in the viewer (its text is read already)."""
        self.view.load(path)
        self.path = path
        self.opened = next((o for o in self.library if o.document.path == path), None)
        self.setWindowTitle(f"{path.name} - desktop-qa")
        self.status_document.setText(path.name)
        self.page_box.setMaximum(max(1, self.view.page_count))

    def _shown(self, answers: list[Answer]) -> list[ShownAnswer]:
        assert self.opened is not None
        text = self.opened.document.text
        return [
            ShownAnswer(
                a.text,
                a.score,
                a.page,
                tuple((f.page, f.box) for f in a.fragments),
                _snippet(text, a.char_start, a.char_end),
                confidence=a.confidence,
            )
            for a in answers
        ]

    def _show_result(self, result: ReadResult) -> None:
        self._asking = None
        self.view.set_highlights([])
        note = _reading_note(result.windows, result.windows_total, result.elapsed_ms)
        self.ask_panel.show_answers(self._shown(result.answers), result.no_answer, note)

    def _show_interim(self, token: object, answers: list[Answer]) -> None:
        if token is self._asking and self.opened is not None:
            shown = self._shown(answers)
            self.ask_panel.show_answers(shown, False, "Best so far, still reading…", reading=True)

    def show_stored(self, question: StoredQuestion) -> None:
        """Show a past question's answers and highlights without running the model."""
        if question.library is not None:
            self._show_stored_library_question(question)
            return
        if self.path is None or question.document_sha256 != self._document_sha256():
            self.ask_panel.show_message(f"That question is about {question.document_title}.")
            return
        self.side.setCurrentWidget(self.ask_panel)
        self.ask_panel.question.setText(question.text)
        text = self.opened.document.text if self.opened else ""
        shown = [
            ShownAnswer(
                a.text,
                a.score,
                a.page,
                tuple((int(b[0]), (b[1], b[2], b[3], b[4])) for b in a.boxes),
                _snippet(text, a.char_start, a.char_end) if text else a.text,
                a.verdict,
                confidence=a.confidence,
            )
            for a in question.answers
        ]
        self._question_id = question.id
        self.ask_panel.show_answers(shown, question.no_answer, f"from history, {question.asked_at}")

    def _show_stored_library_question(self, question: StoredQuestion) -> None:
        """A library question from the history: each answer shows in its own document."""
        self.side.setCurrentWidget(self.ask_panel)
        self.ask_panel.question.setText(question.text)
        shown = [
            ShownAnswer(
                a.text, a.score, a.page,
                tuple((int(b[0]), (b[1], b[2], b[3], b[4])) for b in a.boxes),
                a.text, a.verdict, Path(a.document_path) if a.document_path else None,
                a.confidence,
            )
            for a in question.answers
        ]  # fmt: skip
        self._question_id = question.id
        note = f"from history, library {question.library}, {question.asked_at}"
        self.ask_panel.show_answers(shown, question.no_answer, note)

    def _document_sha256(self) -> str | None:
        return self.opened.document.sha256 if self.opened else None

    # --- find --------------------------------------------------------------------

    def focus_find(self) -> None:
        self.find_box.setFocus()
        self.find_box.selectAll()

    def find_text(self, text: str) -> None:
        """Mark every place the document text holds ``text`` (any case)."""
        self._hits, self._hit = [], -1
        document = self.opened.document if self.opened else self.text_only
        if document is not None and text.strip():
            for match in re.finditer(re.escape(text), document.text, re.IGNORECASE):
                fragments = document.fragments(match.start(), match.end())
                self._hits.append([(f.page, f.box) for f in fragments])
                if len(self._hits) == MAX_FIND_HITS:
                    break
        if self._hits:
            here = self.view.current_page()
            first = [i for i, hit in enumerate(self._hits) if hit and hit[0][0] >= here]
            self._show_hit(first[0] if first else 0)
        else:
            self.view.set_search_hits([], -1)
            if text.strip():
                self.statusBar().showMessage(f"{text!r} is not in this document", 5000)

    def find_next(self) -> None:
        if self._hits:
            self._show_hit((self._hit + 1) % len(self._hits))

    def _show_hit(self, index: int) -> None:
        self._hit = index
        self.view.set_search_hits(self._hits, index)
        if self._hits[index]:
            page, box = self._hits[index][0]
            self.view.go_to_page(page, box[1])
        self.statusBar().showMessage(f"match {index + 1} of {len(self._hits)}", 5000)

    # --- history -----------------------------------------------------------------

    def refresh_history(self) -> None:
        """The History tab: every question, the asked library's, or the open document's."""
        everything = self.history_panel.all_documents.isChecked()
        target = None if everything else self.library_panel.ask_target()
        sha = None if everything or target is not None else self._document_sha256()
        if sha is None and target is None and not everything:
            self.history_panel.show_questions([])
            return
        search = self.history_panel.search.text() or None
        library = None if target is None else target[0]
        try:
            with HistoryStore() as store:
                questions = store.questions(sha, search, 200, library)
        except DesktopQAError as exc:
            self.statusBar().showMessage(str(exc), 10_000)
            return
        self.history_panel.show_questions(questions)

    def delete_question(self, question_id: int) -> None:
        with HistoryStore() as store:
            store.delete_question(question_id)
        self.refresh_history()

    def export_history(self, fmt: str) -> None:
        from desktop_qa.core.export import export

        sha = self._document_sha256()
        if sha is None or self.path is None:
            self.statusBar().showMessage("Open a document first.", 5000)
            return
        suffix = {"md": "md", "pdf": "pdf", "csv": "csv", "json": "json"}[fmt]
        default = str(self.path.with_name(f"{self.path.stem}-answers.{suffix}"))
        target, _ = QFileDialog.getSaveFileName(self, "Export", default)
        if not target:
            return
        try:
            with HistoryStore() as store:
                questions = store.questions(sha)
            export(questions, fmt, Path(target), self.path)
        except DesktopQAError as exc:
            self._error_dialog("Export failed", str(exc))
            return
        self.statusBar().showMessage(f"Exported {len(questions)} questions to {target}", 10_000)

    # --- jobs --------------------------------------------------------------------

    def _submit(self, kind: str, job: Any) -> None:
        self._job_kind[self.runner.submit(job)] = kind

    def _finished(self, job_id: int, result: object) -> None:
        kind = self._job_kind.pop(job_id, "")
        if kind == "model" or self.worker.assistant is not None:
            self._model_ready()
        if not self.runner.is_current(job_id):
            return  # superseded by a newer job
        if kind == "open" and isinstance(result, Document):
            self.text_only = result
            self.ask_panel.set_ready(
                False, "No question-answering model: this document can be read and searched "
                "(Ctrl+F), not asked. Choose a model in Edit ▸ Settings."
            )  # fmt: skip
        elif kind == "open" and isinstance(result, OpenDocument):
            self.opened = result
            self.ask_panel.set_ready(True, f"{result.document.page_count} pages ready. Ask away.")
            self.ask_panel.question.setFocus()
            self.refresh_history()
        elif kind == "ask" and isinstance(result, Asked):
            self._question_id = result.question_id
            self._show_result(result.result)
            self.refresh_history()
        elif kind in ("install", "import", "reload"):
            self._model_changed(result)
        elif kind == "library" and isinstance(result, list):
            self._library_ready(result)
        elif kind == "library-ask" and isinstance(result, LibraryResult):
            self._show_library_result(result)
            self.refresh_history()
        elif kind == "batch":
            self._batch_ended()

    def _model_ready(self) -> None:
        assistant = self.worker.assistant
        if assistant is not None:
            self.provider = assistant.provider
            self.status_model.setText(f"{assistant.model.name} · {assistant.provider}")

    def _failed(self, job_id: int, error: object) -> None:
        kind = self._job_kind.pop(job_id, "")
        if kind == "batch":
            self._batch_ended()
        if self.runner.is_current(job_id):
            self._asking = None
        if not isinstance(error, DesktopQAError):
            raise error if isinstance(error, BaseException) else RuntimeError(str(error))
        message = str(error)
        if kind == "model":
            self.status_model.setText("no model")
            self.ask_panel.set_ready(False, message)
            if isinstance(error, ModelError):
                self.show_first_run(message)
        elif kind in ("install", "import", "reload"):
            if self.first_run is not None:
                self.first_run.failed(message)
            else:
                self._error_dialog("The model cannot be used", message)
        elif kind == "open":
            self.ask_panel.set_ready(False, message)
            self._error_dialog("This document cannot be read for questions", message)
        else:
            self.ask_panel.show_message(message)

    def _batch_ended(self) -> None:
        if self.batch_dialog is not None:
            self.batch_dialog.all_done.emit()
        self.refresh_history()

    def _cancelled(self, job_id: int) -> None:
        if self._job_kind.pop(job_id, None) == "batch":
            self._batch_ended()
        if self.runner.is_current(job_id):
            self._asking = None
            self.ask_panel.show_message("Cancelled.")

    def _progressed(self, job_id: int, done: int, total: int) -> None:
        if not self.runner.is_current(job_id):
            return
        if self._job_kind.get(job_id) == "install" and self.first_run is not None:
            self.first_run.show_progress(done, total)
        else:
            self.ask_panel.show_progress(done, total)

    # --- settings and models -------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        from desktop_qa.core.model import available_models

        names = [info.path.name for where, info in available_models() if where == "installed"]
        dialog = SettingsDialog(self.worker.settings, self.worker.model_path, names, self)
        dialog.accepted.connect(
            lambda: self.apply_settings(dialog.reader_settings(), dialog.chosen_model())
        )
        dialog.open()
        return dialog

    def apply_settings(self, reader: ReaderSettings, model: Path | None) -> None:
        """Save settings, then reload the model and the open document with them."""
        save_reader_settings(self.settings, reader)
        self.settings.setValue("model", str(model) if model else "")
        self.use_model(model, reader, "reload")

    def use_model(
        self, model: Path | None, reader: ReaderSettings, kind: str, prepare: Any = None
    ) -> None:
        """A job that (optionally prepares then) loads ``model`` and re-opens the document."""
        worker, path = self.worker, self.path
        self.ask_panel.set_ready(False, "Loading the model…")

        def job(cancelled: Any, progress: Any) -> OpenDocument | None:
            chosen = prepare(progress) if prepare is not None else model
            worker.model_path, worker.settings, worker.assistant = chosen, reader, None
            assistant = worker.ensure_assistant()
            return assistant.open(path) if path is not None else None

        self._submit(kind, job)

    def _model_changed(self, result: object) -> None:
        self._model_ready()
        if self.first_run is not None:
            self.first_run.accept()
            self.first_run = None
        if isinstance(result, OpenDocument):
            self.opened = result
            self.ask_panel.set_ready(True, f"{result.document.page_count} pages ready. Ask away.")
        else:
            self.ask_panel.set_ready(False, "Open a PDF to ask questions about it.")

    def show_first_run(self, reason: str) -> FirstRunDialog:
        from desktop_qa.core.download import known_models

        curated = [name for name, model in known_models().items() if model.repo]
        dialog = FirstRunDialog(reason, curated, self)
        dialog.install_requested.connect(self.install_model)
        dialog.import_requested.connect(self.import_model)
        self.first_run = dialog
        dialog.open()
        return dialog

    def install_model(self, name: str) -> None:
        from desktop_qa.core.download import install_model, known_models

        if self.first_run is not None:
            self.first_run.working(f"Downloading and importing {name}…")

        def prepare(progress: Any) -> Path:
            install_model(
                known_models()[name], progress=lambda _, done, total: progress(done, total or 0)
            )
            return Path(name)

        self.settings.setValue("model", name)
        self.use_model(None, self.worker.settings, "install", prepare)

    def import_model(self, folder: Path) -> None:
        from desktop_qa.core.convert import import_model

        if self.first_run is not None:
            self.first_run.working(f"Importing {folder.name} (export, quantize, verify)…")

        def prepare(progress: Any) -> Path:
            return Path(import_model(folder).name)

        self.settings.setValue("model", folder.name)
        self.use_model(None, self.worker.settings, "import", prepare)

    def mark_answer(self, rank: int, verdict: bool | None) -> None:
        """Mark the shown answer of this rank correct or wrong in the history."""
        if self._question_id is None:
            return
        with HistoryStore() as store:
            stored = store.question(self._question_id)
            if stored is None or rank > len(stored.answers):
                return
            store.mark(stored.answers[rank - 1].id, verdict)
        self.ask_panel.show_mark(rank, verdict)
        self.refresh_history()

    # --- misc --------------------------------------------------------------------

    def _page_changed(self, page: int) -> None:
        self.status_page.setText(f"page {page} of {self.view.page_count}")
        self.page_box.blockSignals(True)
        self.page_box.setValue(page)
        self.page_box.blockSignals(False)

    def ask_page(self) -> None:
        page, ok = QInputDialog.getInt(
            self, "Go to page", "Page:", self.view.current_page(), 1, max(1, self.view.page_count)
        )
        if ok:
            self.view.go_to_page(page)

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in SHORTCUTS
        )
        QMessageBox.information(self, "Keyboard shortcuts", f"<table cellpadding=3>{rows}</table>")

    def about(self) -> None:
        import onnxruntime
        import pymupdf
        import PySide6

        QMessageBox.about(
            self,
            "About desktop-qa",
            f"<b>desktop-qa {__version__}</b><p>Ask questions about PDFs, answered by a "
            f"local extractive QA model.</p><p>Model: {self._model_facts()}</p>"
            f"<p>PySide6 {PySide6.__version__} (LGPL-3.0), PyMuPDF {pymupdf.VersionBind} "
            f"(AGPL-3.0), ONNX Runtime {onnxruntime.__version__} (MIT).</p>",
        )

    def _model_facts(self) -> str:
        assistant = self.worker.assistant
        if assistant is None:
            return self.status_model.text()
        model = assistant.model
        lines = [f"{model.name} {model.version}, on {assistant.provider}"]
        if model.manifest.get("description"):
            lines.append(str(model.manifest["description"]))
        lines.append("; ".join(model.facts))
        return "<br>".join(lines)

    def confirm_web_link(self, url: str) -> QMessageBox:
        """Ask before a clicked web link goes to the browser (PDF links can mislead)."""
        box = QMessageBox(
            QMessageBox.Icon.Question, "Open a web link?",
            f"This link in the document goes to:\n\n{url}\n\nOpen it in your browser?",
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel, self,
        )  # fmt: skip
        box.setObjectName("link-dialog")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.accepted.connect(lambda: QDesktopServices.openUrl(QUrl(url)))
        box.open()
        return box

    def _link_refused(self, target: str) -> None:
        self.statusBar().showMessage(
            f"Link not followed ({target}): desktop-qa never starts programs, opens other "
            "files or runs scripts from a PDF.",
            10_000,
        )

    def _error_dialog(self, title: str, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, parent=self)
        box.setObjectName("error-dialog")
        box.open()

    def _restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        splitter = self.settings.value("splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("splitter", self.splitter.saveState())
        self.settings.setValue("window_state", self.saveState())
        self.settings.sync()
        self.runner.shutdown()
        self.library_panel.shutdown()
        if self.worker.history is not None:
            self.worker.history.close()
        self.view.close_document()
        super().closeEvent(event)


def _reading_note(windows: int, total: int, elapsed_ms: float) -> str:
    return f"{windows} of {total} windows read in {elapsed_ms / 1000:.1f} s"


def _snippet(text: str, start: int, end: int) -> str:
    before = text[max(0, start - SNIPPET_CHARS) : start]
    after = text[end : end + SNIPPET_CHARS]
    return " ".join(f"{before}[{text[start:end]}]{after}".split())
