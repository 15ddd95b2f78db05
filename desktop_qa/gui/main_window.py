"""The main window: composes the document tabs, the sidebar, the library panel and the
menus, and wires them to the one background runner.

Everything slow (loading the model, extracting a document, reading, saving
history) runs as a job (``gui/jobs.py``) on the one ``TaskRunner``, in the slot
of the tab that asked: a new question supersedes that tab's running one and
no other. Results come back to the tab that asked, if it is still open.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
)

from desktop_qa.core.assistant import LibraryResult, OpenDocument
from desktop_qa.core.document import Document
from desktop_qa.core.errors import DesktopQAError, ModelError
from desktop_qa.core.history import StoredQuestion
from desktop_qa.core.indexing import WindowSpec
from desktop_qa.core.library import library_names
from desktop_qa.core.model import resolve_model
from desktop_qa.core.reader import Answer
from desktop_qa.gui import jobs
from desktop_qa.gui.ask_panel import AskPanel
from desktop_qa.gui.batch_dialog import BatchDialog
from desktop_qa.gui.dialogs import FirstRunDialog, load_reader_settings, saved_model
from desktop_qa.gui.document_tab import DocumentTab
from desktop_qa.gui.help_dialogs import (
    about_dialog,
    confirm_web_link,
    error_dialog,
    shortcuts_dialog,
)
from desktop_qa.gui.history_actions import HistoryActions
from desktop_qa.gui.history_panel import HistoryPanel
from desktop_qa.gui.library_panel import LibraryPanel
from desktop_qa.gui.menus import build_menus, shortcut_rows
from desktop_qa.gui.model_actions import MODEL_JOBS, ModelActions
from desktop_qa.gui.page_colours import PageColours
from desktop_qa.gui.pdf_view import PasswordNeededError, PdfView
from desktop_qa.gui.session import Session
from desktop_qa.gui.sidebar import Sidebar
from desktop_qa.gui.tasks import TaskRunner
from desktop_qa.gui.welcome import WelcomePage
from desktop_qa.gui.worker import WorkerState

MODEL_SLOT = "model"


class MainWindow(QMainWindow):
    """The desktop-qa window."""

    #: (tab, the question's token, answers so far): better answers while a thorough read goes on
    interim_answers = Signal(object, object, object)

    def __init__(
        self, settings: QSettings, model_path: Path | None = None, worker: WorkerState | None = None
    ) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("desktop-qa")
        self.setAcceptDrops(True)
        self.runner = TaskRunner(self)
        self.session = Session(settings)
        self.worker = worker or WorkerState(
            model_path or saved_model(settings), load_reader_settings(settings)
        )
        self.models = ModelActions(self, settings, self.worker, self._submit_model, self._paths)
        self.batch_dialog: BatchDialog | None = None
        self.provider = ""
        self._jobs: dict[int, tuple[str, DocumentTab | None]] = {}
        self._model_note = "Loading the model…"
        self._sidebar_away = False

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.setMovable(True)
        self.welcome = WelcomePage()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        self.sidebar = Sidebar()
        self.sidebar_dock = self._dock("Contents and pages", "sidebar-dock", self.sidebar,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)  # fmt: skip
        self.library_panel = LibraryPanel(self._window_spec)
        self.page_colours = PageColours(settings, self)
        self.history = HistoryActions(self, self.library_panel.ask_target)
        self.library_dock = self._dock("Library", "library-dock", self.library_panel,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)  # fmt: skip
        self.tabifyDockWidget(self.sidebar_dock, self.library_dock)
        self.find_box = QLineEdit()
        self.find_box.setPlaceholderText("Find in document (Ctrl+F)")
        self.find_box.setAccessibleName("Find in document")
        self.find_box.setClearButtonEnabled(True)
        self.find_box.setMaximumWidth(260)
        self.page_box = QSpinBox()
        self.page_box.setMinimum(1)
        self.page_box.setKeyboardTracking(False)
        self.page_box.setAccessibleName("Page number")
        self.status_document = QLabel("no document")
        self.status_page = QLabel()
        self.status_model = QLabel("loading model…")
        for label in (self.status_document, self.status_page, self.status_model):
            self.statusBar().addPermanentWidget(label)
        self._build_actions()

        self.tabs.currentChanged.connect(self._tab_changed)
        self.tabs.tabCloseRequested.connect(lambda index: self.close_tab(self._tab_at(index)))
        self.welcome.open_requested.connect(self.open_file)
        self.welcome.choose_requested.connect(self.choose_file)
        self.welcome.library_requested.connect(self._show_library)
        self.sidebar.page_chosen.connect(lambda page, y: self.current_view_do("jump", page, y))
        self.library_panel.document_opened.connect(self.open_file)
        self.library_panel.target_changed.connect(self._say_target)
        self.library_panel.target_changed.connect(self.refresh_history)
        self.page_box.valueChanged.connect(lambda page: self.current_view_do("go_to_page", page))
        self.find_box.textChanged.connect(lambda text: self.current_tab_do("find_text", text))
        self.find_box.returnPressed.connect(lambda: self.current_tab_do("find_next"))
        self.models.documents_reopened.connect(self._documents_reopened)
        self.models.loading.connect(self._say_to_tabs)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(self._cancelled)
        self.runner.progressed.connect(self._progressed)
        self.interim_answers.connect(lambda tab, token, answers: tab.show_interim(token, answers))
        self.page_colours.changed.connect(self.apply_page_colours)
        self.history.message.connect(self.statusBar().showMessage)

        self._restore_layout()
        self._show_welcome()
        self._submit_model("model", lambda cancelled, progress: self.worker.ensure_assistant())
        QTimer.singleShot(0, self._reopen_session)

    # --- the current tab ---------------------------------------------------------

    @property
    def tab(self) -> DocumentTab | None:
        """The tab in front, if any document is open."""
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, DocumentTab) else None

    def all_tabs(self) -> list[DocumentTab]:
        return [self._tab_at(i) for i in range(self.tabs.count())]

    def _tab_at(self, index: int) -> DocumentTab:
        widget = self.tabs.widget(index)
        assert isinstance(widget, DocumentTab)
        return widget

    @property
    def view(self) -> PdfView:
        assert self.tab is not None, "no document is open"
        return self.tab.view

    @property
    def ask_panel(self) -> AskPanel:
        assert self.tab is not None, "no document is open"
        return self.tab.ask_panel

    @property
    def history_panel(self) -> HistoryPanel:
        assert self.tab is not None, "no document is open"
        return self.tab.history_panel

    @property
    def opened(self) -> OpenDocument | None:
        return self.tab.opened if self.tab is not None else None

    @property
    def path(self) -> Path | None:
        return self.tab.path if self.tab is not None else None

    @property
    def first_run(self) -> FirstRunDialog | None:
        return self.models.first_run

    def current_tab_do(self, method: str, *args: Any) -> None:
        if self.tab is not None:
            getattr(self.tab, method)(*args)

    def current_view_do(self, method: str, *args: Any) -> None:
        if self.tab is not None:
            getattr(self.tab.view, method)(*args)

    # --- menus -------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: Any, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_actions(self) -> None:
        made = build_menus(self)
        self.back_action, self.forward_action = made.back, made.forward
        self.page_colour_actions, self.recent_menu = made.page_colours, made.recent
        self._fill_recent()
        self._update_jump_actions()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in self.session.recent():
            opener = QAction(path, self)
            opener.triggered.connect(lambda _=False, p=path: self.open_file(Path(p)))
            self.recent_menu.addAction(opener)
        self.recent_menu.setEnabled(bool(self.session.recent()))

    # --- tabs --------------------------------------------------------------------

    def _new_tab(self) -> DocumentTab:
        tab = DocumentTab()
        tab.ask_panel.asked.connect(lambda question: self.ask(question, tab))
        tab.ask_panel.cancel_requested.connect(lambda: self.runner.cancel(tab))
        tab.ask_panel.mark_requested.connect(
            lambda rank, verdict: self.history.mark(tab, rank, verdict)
        )
        tab.history_panel.question_chosen.connect(tab.show_stored)
        tab.history_panel.delete_requested.connect(lambda qid: self.history.delete(qid, tab))
        tab.history_panel.filter_changed.connect(self.refresh_history)
        tab.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        tab.document_shown.connect(lambda: self._document_shown(tab))
        tab.view.page_changed.connect(lambda page: self._page_changed(tab, page))
        tab.view.jumped.connect(self._update_jump_actions)
        tab.view.web_link_clicked.connect(lambda url: confirm_web_link(self, url))
        tab.view.link_refused.connect(self._link_refused)
        tab.view.set_dark_pages(self.page_colours.dark())
        splitter = self.settings.value("splitter")
        if isinstance(splitter, QByteArray):
            tab.splitter.restoreState(splitter)
        self.tabs.addTab(tab, "New tab")
        self.tabs.setCurrentWidget(tab)
        self.stack.setCurrentWidget(self.tabs)
        if self._sidebar_away:  # it was put away for the welcome page
            self._sidebar_away = False
            self.sidebar_dock.show()
        if self.worker.assistant is None:
            tab.ask_panel.set_ready(False, self._model_note)
        return tab

    def close_tab(self, tab: DocumentTab | None) -> None:
        """Close a tab, stopping its work; with none left, the welcome page shows."""
        if tab is None:
            return
        self.runner.forget(tab)
        tab.close_document()
        self.tabs.removeTab(self.tabs.indexOf(tab))
        tab.deleteLater()
        self._save_session()
        if not self.tabs.count():
            self._show_welcome()

    def step_tab(self, step: int) -> None:
        if self.tabs.count() > 1:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % self.tabs.count())

    def _tab_changed(self) -> None:
        tab = self.tab
        self.sidebar.show_document(tab.view if tab is not None else None)
        if tab is None:
            return
        self._say_document(tab)
        self._page_changed(tab, tab.view.current_page())
        self._update_jump_actions()
        self.refresh_history()

    def _show_welcome(self) -> None:
        """The welcome page; the sidebar, with nothing to show, steps aside meanwhile."""
        if not self.sidebar_dock.isHidden():
            self._sidebar_away = True
            self.sidebar_dock.hide()
        self.welcome.show_recent(self.session.recent(), library_names())
        self.stack.setCurrentWidget(self.welcome)
        self.setWindowTitle("desktop-qa")
        self.status_document.setText("no document")
        self.status_page.setText("")
        self.sidebar.show_document(None)

    def _document_shown(self, tab: DocumentTab) -> None:
        index = self.tabs.indexOf(tab)
        self.tabs.setTabText(index, _short(tab.title))
        self.tabs.setTabToolTip(index, str(tab.path or ""))
        if tab is self.tab:
            self.sidebar.show_document(tab.view)
            self._say_document(tab)
            self._page_changed(tab, tab.view.current_page())

    def _say_document(self, tab: DocumentTab) -> None:
        name = tab.path.name if tab.path is not None else tab.title
        self.setWindowTitle(f"{tab.title} - desktop-qa")
        self.status_document.setText(name)
        self.page_box.blockSignals(True)  # a smaller maximum must not move the new tab's view
        self.page_box.setMaximum(max(1, tab.view.page_count))
        self.page_box.setValue(tab.view.current_page())
        self.page_box.blockSignals(False)

    def _paths(self) -> list[Path]:
        return [tab.path for tab in self.all_tabs() if tab.path is not None and not tab.folder]

    # --- documents ---------------------------------------------------------------

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a PDF", "", "PDF files (*.pdf)")
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path, password: str | None = None) -> DocumentTab | None:
        """Show the pages at once in a tab of their own (the one already showing them, if
        any); extract the text for asking in the background."""
        shown = next((t for t in self.all_tabs() if t.path == path and not t.folder), None)
        if shown is not None and password is None and (shown.opened or shown.text_only):
            self.tabs.setCurrentWidget(shown)
            return shown
        tab = shown or self._new_tab()
        try:
            tab.show_pdf(path, password)
        except PasswordNeededError:
            self.ask_password(path, tab, retry=password is not None)
            return tab
        except Exception as exc:  # pymupdf raises several types for files it cannot read
            if tab.path is None:
                self.close_tab(tab)
            error_dialog(self, f"{path.name} cannot be opened", f"{exc}")
            return None
        self.session.opened(path)
        self._fill_recent()
        tab.ask_panel.set_ready(False)
        tab.ask_panel.show_working("Reading the document's text…", "reading page %v of %m")
        self._submit("open", jobs.open_document(self.worker, path, password), tab)
        self._save_session()
        return tab

    def ask_password(self, path: Path, tab: DocumentTab, retry: bool = False) -> QInputDialog:
        """Ask for an encrypted PDF's password without blocking; opening goes on after."""
        dialog = QInputDialog(self)
        dialog.setObjectName("password-dialog")
        dialog.setWindowTitle("Password needed")
        wrong = "That password is not right. " if retry else ""
        dialog.setLabelText(f"{wrong}{path.name} is protected. Its password:")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.textValueSelected.connect(lambda password: self.open_file(path, password))
        dialog.rejected.connect(lambda: self.close_tab(tab) if tab.path is None else None)
        dialog.open()
        return dialog

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if any(url.toLocalFile().lower().endswith(".pdf") for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        for url in event.mimeData().urls():
            if url.toLocalFile().lower().endswith(".pdf"):
                self.open_file(Path(url.toLocalFile()))

    def _reopen_session(self) -> None:
        """Open the documents of the last session again, each at its page."""
        for path, page in self.session.last():
            tab = self.open_file(path)
            if tab is not None and page is not None:
                tab.view.go_to_page(page)

    def _save_session(self) -> None:
        self.session.keep([(tab.path, tab.view.current_page()) for tab in self.all_tabs()
                           if tab.path is not None and not tab.folder])  # fmt: skip

    # --- a folder, a library -----------------------------------------------------

    def choose_library(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Ask every PDF in a folder")
        if folder:
            self.open_library(Path(folder))

    def open_library(self, folder: Path) -> DocumentTab:
        """A tab that reads every PDF under ``folder``; its questions go to all of them."""
        paths = sorted(p for p in folder.rglob("*") if p.suffix.lower() == ".pdf")
        tab = self._new_tab()
        self.tabs.setTabText(self.tabs.indexOf(tab), _short(folder.name))
        tab.ask_panel.set_ready(False)
        tab.ask_panel.show_working(f"Reading {len(paths)} PDFs…", "document %v of %m")
        self._submit("folder", jobs.open_folder(self.worker, paths), tab)
        return tab

    def library_toggled(self, shown: bool) -> None:
        """The library shares the left side with the outline; shown, it comes in front."""
        if shown:
            QTimer.singleShot(0, self.library_dock.raise_)

    def _show_library(self, name: str) -> None:
        """From the welcome page: the library panel, on that library, asked as a whole."""
        self.library_dock.show()
        self.library_dock.raise_()
        self.library_panel.refresh_names(name)
        self.library_panel.ask_library.setChecked(True)

    def _window_spec(self) -> WindowSpec:
        """How the current model cuts documents into windows (a library is indexed so)."""
        return WindowSpec.of(resolve_model(self.worker.model_path), self.worker.settings)

    def _say_target(self) -> None:
        target = self.library_panel.ask_target()
        tab = self.tab
        if target is None:
            if tab is not None:
                ready = tab.opened is not None or bool(tab.folder)
                tab.ask_panel.set_ready(
                    ready, "" if ready else "Open a PDF to ask questions about it."
                )
            return
        if tab is None:
            tab = self._new_tab()
        name, chosen = target
        self.tabs.setTabText(self.tabs.indexOf(tab), _short(tab.title if tab.path else name))
        what = f"{len(chosen)} selected documents of" if chosen is not None else "the library"
        tab.ask_panel.set_ready(bool(chosen) or chosen is None, f"Questions go to {what} {name}.")

    # --- asking ------------------------------------------------------------------

    def ask(self, question: str, tab: DocumentTab | None = None) -> None:
        tab = tab or self.tab
        if tab is None:
            return
        target = self.library_panel.ask_target()
        if target is not None:
            name, only = target
            tab.ask_panel.show_working(f"Reading library {name} for: {question}")
            job = jobs.ask_library_by_name(self.worker, name, question, only)
            self._submit("library-ask", job, tab)
        elif tab.folder:
            tab.ask_panel.show_working(f"Reading {len(tab.folder)} PDFs for: {question}")
            self._submit("library-ask", jobs.ask_folder(self.worker, tab.folder, question), tab)
        elif tab.opened is None:
            tab.ask_panel.show_message("Open a PDF first.")
        else:
            tab.ask_panel.show_working(f"Reading for: {question}")
            thorough = tab.ask_panel.thorough.isChecked()
            token = tab.asking = object()

            def better(answers: list[Answer]) -> None:
                self.interim_answers.emit(tab, token, answers)  # delivered on the GUI thread

            job = jobs.ask_document(
                self.worker, tab.opened, question, thorough, better if thorough else None
            )
            self._submit("ask", job, tab)

    def ask_list(self) -> BatchDialog | None:
        """The dialog that asks many questions of the current target into a table."""
        target, tab = self.library_panel.ask_target(), self.tab
        opened = tab.opened if tab is not None else None
        if target is None and opened is None:
            self.statusBar().showMessage(
                "Open a PDF, or choose a library, to ask it a list.", 10_000
            )
            return None
        if target is None:
            what = opened.document.title if opened is not None else ""
        else:
            what = f"library {target[0]}" + ("" if target[1] is None else " (selected documents)")

        def start(
            questions: list[str], emit: Callable[[str, list[tuple[object, ...]]], None]
        ) -> Callable[[], None]:
            self._submit("batch", jobs.ask_list(self.worker, target, opened, questions, emit), tab)
            return lambda: self.runner.cancel(tab)

        dialog = BatchDialog(what, start, self)
        self.batch_dialog = dialog
        dialog.open()
        return dialog

    def show_stored(self, question: StoredQuestion) -> None:
        """Show a past question in the current tab (for the History tab and tests)."""
        self.current_tab_do("show_stored", question)

    def refresh_history(self) -> None:
        self.history.refresh(self.tab)

    # --- jobs --------------------------------------------------------------------

    def _submit(self, kind: str, job: jobs.Job, tab: DocumentTab | None = None) -> None:
        slot = tab if tab is not None else MODEL_SLOT
        self._jobs[self.runner.submit(job, slot)] = (kind, tab)

    def _submit_model(self, kind: str, job: jobs.Job) -> None:
        self._submit(kind, job)

    def _finished(self, job_id: int, result: object) -> None:
        kind, tab = self._jobs.pop(job_id, ("", None))
        if kind == "model" or self.worker.assistant is not None:
            self._model_ready()
        if not self.runner.is_current(job_id):
            return  # superseded by a newer job, or its tab was closed
        if kind in MODEL_JOBS:
            self.models.changed(result)
        if tab is None:
            return
        if kind == "open" and isinstance(result, Document):
            tab.text_only = result
            tab.ask_panel.set_ready(
                False, "No question-answering model: this document can be read and searched "
                "(Ctrl+F), not asked. Choose a model in Edit ▸ Settings."
            )  # fmt: skip
        elif kind == "open" and isinstance(result, OpenDocument):
            tab.opened = result
            self._document_shown(tab)  # the title is known now
            tab.ask_panel.set_ready(True, f"{result.document.page_count} pages ready. Ask away.")
            if tab is self.tab:
                tab.ask_panel.question.setFocus()
            self._say_target()
            self.refresh_history()
        elif kind == "ask" and isinstance(result, jobs.Asked):
            tab.show_result(result.result, result.question_id)
            self.refresh_history()
        elif kind == "folder" and isinstance(result, list):
            tab.folder_ready(result)
        elif kind == "library-ask" and isinstance(result, LibraryResult):
            tab.question_id = None
            tab.show_library_result(result)
            self.refresh_history()
        elif kind == "batch":
            self._batch_ended()

    def _model_ready(self) -> None:
        assistant = self.worker.assistant
        if assistant is not None:
            self.provider = assistant.provider
            self.status_model.setText(f"{assistant.model.name} · {assistant.provider}")

    def _failed(self, job_id: int, error: object) -> None:
        kind, tab = self._jobs.pop(job_id, ("", None))
        if kind == "batch":
            self._batch_ended()
        if tab is not None and self.runner.is_current(job_id):
            tab.asking = None
        if not isinstance(error, DesktopQAError):
            raise error if isinstance(error, BaseException) else RuntimeError(str(error))
        message = str(error)
        if kind == "model":
            self.status_model.setText("no model")
            self._model_note = message
            self._say_to_tabs(message)
            if isinstance(error, ModelError):
                self.models.show_first_run(message)
        elif kind in MODEL_JOBS:
            if not self.models.failed(message):
                error_dialog(self, "The model cannot be used", message)
        elif tab is None or not self.runner.is_current(job_id):
            return
        elif kind == "open":
            tab.ask_panel.set_ready(False, message)
            error_dialog(self, "This document cannot be read for questions", message)
        else:
            tab.ask_panel.show_message(message)

    def _batch_ended(self) -> None:
        if self.batch_dialog is not None:
            self.batch_dialog.all_done.emit()
        self.refresh_history()

    def _cancelled(self, job_id: int) -> None:
        kind, tab = self._jobs.pop(job_id, ("", None))
        if kind == "batch":
            self._batch_ended()
        if tab is not None and self.runner.is_current(job_id):
            tab.asking = None
            tab.ask_panel.show_message("Cancelled.")

    def _progressed(self, job_id: int, done: int, total: int) -> None:
        if not self.runner.is_current(job_id):
            return
        kind, tab = self._jobs.get(job_id, ("", None))
        if kind == "install" and self.models.progressed(done, total):
            return
        if tab is not None:
            tab.ask_panel.show_progress(done, total)

    def _say_to_tabs(self, note: str) -> None:
        for tab in self.all_tabs():
            tab.ask_panel.set_ready(False, note)

    def _documents_reopened(self, reopened: dict[Path, OpenDocument]) -> None:
        """After a model change: every tab reads its document anew with the new model."""
        self._model_ready()
        for tab in self.all_tabs():
            if tab.path in reopened:
                tab.opened = reopened[tab.path]
                pages = tab.opened.document.page_count
                tab.ask_panel.set_ready(True, f"{pages} pages ready. Ask away.")
            elif not tab.folder:
                tab.ask_panel.set_ready(False, "Open a PDF to ask questions about it.")

    # --- page colours ------------------------------------------------------------

    def set_page_colours(self, mode: str) -> None:
        self.page_colours.choose(mode)

    def apply_page_colours(self) -> None:
        dark = self.page_colours.dark()
        for made in self.page_colour_actions.actions():
            made.setChecked(made.data() == self.page_colours.mode())
        for tab in self.all_tabs():
            tab.view.set_dark_pages(dark)
        self.sidebar.refresh()

    # --- misc --------------------------------------------------------------------

    def copy_answer(self) -> None:
        """Copy the chosen answer as “answer” — title, p. N."""
        copied = self.tab.ask_panel.copy_citation() if self.tab is not None else ""
        self.statusBar().showMessage(f"Copied {copied}" if copied else "No answer to copy", 4000)

    def focus_question(self) -> None:
        if self.tab is not None:
            self.tab.ask_panel.question.setFocus()
            self.tab.ask_panel.question.selectAll()

    def focus_find(self) -> None:
        self.find_box.setFocus()
        self.find_box.selectAll()

    def _page_changed(self, tab: DocumentTab, page: int) -> None:
        if tab is not self.tab:
            return
        self.status_page.setText(f"page {page} of {tab.view.page_count}")
        self.page_box.blockSignals(True)
        self.page_box.setValue(page)
        self.page_box.blockSignals(False)
        self.sidebar.follow_page(page)

    def _update_jump_actions(self) -> None:
        tab = self.tab
        self.back_action.setEnabled(tab is not None and tab.view.can_go_back())
        self.forward_action.setEnabled(tab is not None and tab.view.can_go_forward())

    def ask_page(self) -> None:
        if self.tab is None:
            return
        view = self.tab.view
        page, ok = QInputDialog.getInt(
            self, "Go to page", "Page:", view.current_page(), 1, max(1, view.page_count)
        )
        if ok:
            view.jump(page)

    def show_shortcuts(self) -> QMessageBox:
        return shortcuts_dialog(self, shortcut_rows(self.menuBar()))

    def about(self) -> None:
        assistant = self.worker.assistant
        if assistant is None:
            about_dialog(self, None, self.status_model.text())
        else:
            about_dialog(self, assistant.model, assistant.provider)

    def _link_refused(self, target: str) -> None:
        self.statusBar().showMessage(
            f"Link not followed ({target}): desktop-qa never starts programs, opens other "
            "files or runs scripts from a PDF.",
            10_000,
        )

    def _restore_layout(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
            self.resizeDocks([self.sidebar_dock], [330], Qt.Orientation.Horizontal)
        state = self.settings.value("window_state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        else:
            self.library_dock.hide()
        self.apply_page_colours()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self._save_session()
        if self._sidebar_away:
            self.sidebar_dock.show()  # kept as the user left it, not as the welcome page did
        self.settings.setValue("geometry", self.saveGeometry())
        if self.tab is not None:
            self.settings.setValue("splitter", self.tab.splitter.saveState())
        self.settings.setValue("window_state", self.saveState())
        self.settings.sync()
        self.runner.shutdown()
        self.library_panel.shutdown()
        if self.worker.history is not None:
            self.worker.history.close()
        for tab in self.all_tabs():
            tab.close_document()
        super().closeEvent(event)


def _short(title: str, limit: int = 28) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"
