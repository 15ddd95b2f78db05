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

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
)

from desktop_qa import __version__
from desktop_qa.core.assistant import LibraryResult, OpenDocument
from desktop_qa.core.document import Document
from desktop_qa.core.errors import DesktopQAError, ModelError
from desktop_qa.core.history import HistoryStore, StoredQuestion
from desktop_qa.core.indexing import WindowSpec
from desktop_qa.core.library import library_names
from desktop_qa.core.model import resolve_model
from desktop_qa.core.reader import Answer
from desktop_qa.gui import jobs
from desktop_qa.gui.ask_panel import AskPanel
from desktop_qa.gui.batch_dialog import BatchDialog
from desktop_qa.gui.dialogs import FirstRunDialog, load_reader_settings, saved_model
from desktop_qa.gui.document_tab import DocumentTab
from desktop_qa.gui.history_panel import HistoryPanel
from desktop_qa.gui.library_panel import LibraryPanel
from desktop_qa.gui.model_actions import MODEL_JOBS, ModelActions
from desktop_qa.gui.pdf_view import PasswordNeededError, PdfView
from desktop_qa.gui.sidebar import Sidebar
from desktop_qa.gui.tasks import TaskRunner
from desktop_qa.gui.welcome import WelcomePage
from desktop_qa.gui.worker import WorkerState

RECENT_FILES = 10
MODEL_SLOT = "model"
PAGE_COLOURS = ("system", "light", "dark")
#: keys that act without a menu entry, for F1's list beside the menus' shortcuts
OTHER_KEYS = (
    ("Enter (in the question box)", "ask"),
    ("Esc (in the question box)", "cancel the running question"),
    ("Up / Down (in the answers)", "the previous / next answer, highlighted on its page"),
    ("Ctrl+wheel", "zoom in / out"),
    ("PgUp / PgDn / Home / End", "previous / next / first / last page"),
    ("Drag on a page", "select text to copy"),
)


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
        self.worker = worker or WorkerState(
            model_path or saved_model(settings), load_reader_settings(settings)
        )
        self.models = ModelActions(self, settings, self.worker, self._submit_model, self._paths)
        self.batch_dialog: BatchDialog | None = None
        self.provider = ""
        self._jobs: dict[int, tuple[str, DocumentTab | None]] = {}
        self._model_note = "Loading the model…"

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
        self.sidebar.page_chosen.connect(lambda page, y: self._current_view_do("jump", page, y))
        self.library_panel.document_opened.connect(self.open_file)
        self.library_panel.target_changed.connect(self._say_target)
        self.library_panel.target_changed.connect(self.refresh_history)
        self.page_box.valueChanged.connect(lambda page: self._current_view_do("go_to_page", page))
        self.find_box.textChanged.connect(lambda text: self._current_tab_do("find_text", text))
        self.find_box.returnPressed.connect(lambda: self._current_tab_do("find_next"))
        self.models.documents_reopened.connect(self._documents_reopened)
        self.models.loading.connect(self._say_to_tabs)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(self._cancelled)
        self.runner.progressed.connect(self._progressed)
        self.interim_answers.connect(lambda tab, token, answers: tab.show_interim(token, answers))
        style_hints = QGuiApplication.styleHints()
        style_hints.colorSchemeChanged.connect(lambda _: self.apply_page_colours())

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

    def _current_tab_do(self, method: str, *args: Any) -> None:
        if self.tab is not None:
            getattr(self.tab, method)(*args)

    def _current_view_do(self, method: str, *args: Any) -> None:
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
        def action(
            text: str, slot: Any, shortcut: Any = None, menu: QMenu | None = None
        ) -> QAction:
            made = QAction(text, self)
            if shortcut is not None:
                made.setShortcut(QKeySequence(shortcut))
            made.triggered.connect(slot)
            if menu is not None:
                menu.addAction(made)
            return made

        files = self.menuBar().addMenu("&File")
        open_action = action("&Open…", self.choose_file, QKeySequence.StandardKey.Open, files)
        self.recent_menu = files.addMenu("Open &Recent")
        action("Ask a &Folder of PDFs…", self.choose_library, "Ctrl+Shift+O", files)
        action("Ask a &List of Questions…", self.ask_list, "Ctrl+Shift+L", files)
        export = files.addMenu("&Export this document's history")
        for label, fmt in (("CSV…", "csv"), ("JSON…", "json"), ("Markdown…", "md"),
                           ("Annotated PDF…", "pdf")):  # fmt: skip
            action(label, lambda _=False, f=fmt: self.export_history(f), None, export)
        files.addSeparator()
        action("&Close Tab", lambda: self.close_tab(self.tab), QKeySequence.StandardKey.Close,
               files)  # fmt: skip
        action("&Quit", self.close, QKeySequence.StandardKey.Quit, files)

        edit = self.menuBar().addMenu("&Edit")
        action("&Copy selected text", lambda: self._current_view_do("copy_selection"),
               QKeySequence.StandardKey.Copy, edit)  # fmt: skip
        action("Copy the &Answer with Its Citation", self.copy_answer, "Ctrl+Shift+C", edit)
        action("&Ask a Question", self.focus_question, "Ctrl+L", edit)
        action("&Find…", self.focus_find, QKeySequence.StandardKey.Find, edit)
        action("Find &Next", lambda: self._current_tab_do("find_next"),
               QKeySequence.StandardKey.FindNext, edit)  # fmt: skip
        edit.addSeparator()
        action("&Settings…", self.models.open_settings, QKeySequence.StandardKey.Preferences, edit)

        view = self.menuBar().addMenu("&View")
        zoom_in = action("Zoom &In", lambda: self._current_view_do("zoom_in"),
                         QKeySequence.StandardKey.ZoomIn, view)  # fmt: skip
        zoom_out = action("Zoom &Out", lambda: self._current_view_do("zoom_out"),
                          QKeySequence.StandardKey.ZoomOut, view)  # fmt: skip
        fit_width = action("Fit &Width", lambda: self._current_view_do("fit_width"), "Ctrl+1",
                           view)  # fmt: skip
        action("Fit &Page", lambda: self._current_view_do("fit_page"), "Ctrl+2", view)
        view.addSeparator()
        self.back_action = action("&Back", lambda: self._current_view_do("back"), "Alt+Left", view)
        self.forward_action = action("For&ward", lambda: self._current_view_do("forward"),
                                     "Alt+Right", view)  # fmt: skip
        action("&Go to Page…", self.ask_page, "Ctrl+G", view)
        action("Ne&xt Tab", lambda: self._step_tab(1), "Ctrl+Tab", view)
        action("Pre&vious Tab", lambda: self._step_tab(-1), "Ctrl+Shift+Tab", view)
        view.addSeparator()
        colours = view.addMenu("Page &Colours")
        self.page_colour_actions = QActionGroup(self)
        for mode, label in zip(PAGE_COLOURS, ("Follow the &System", "&Light", "&Dark"),
                               strict=True):  # fmt: skip
            chosen = action(label, lambda _=False, m=mode: self.set_page_colours(m), None, colours)
            chosen.setCheckable(True)
            chosen.setData(mode)
            self.page_colour_actions.addAction(chosen)
        action("Dark Pages &On or Off", self.toggle_dark_pages, "Ctrl+Shift+D", colours)
        sidebar = self.sidebar_dock.toggleViewAction()
        sidebar.setShortcut(QKeySequence("F9"))
        view.addAction(sidebar)
        library = self.library_dock.toggleViewAction()
        library.setShortcut(QKeySequence("Ctrl+Shift+B"))
        library.toggled.connect(self._library_toggled)
        view.addAction(library)

        help_menu = self.menuBar().addMenu("&Help")
        action("&Keyboard shortcuts", self.show_shortcuts, "F1", help_menu)
        action("&About desktop-qa", self.about, None, help_menu)

        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        for made in (open_action, self.back_action, self.forward_action, zoom_out, zoom_in,
                     fit_width):  # fmt: skip
            toolbar.addAction(made)
        toolbar.addWidget(QLabel(" Page "))
        toolbar.addWidget(self.page_box)
        toolbar.addSeparator()
        toolbar.addWidget(self.find_box)
        self._fill_recent()
        self._update_jump_actions()

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

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """Every menu action with a shortcut, then the keys that act without one."""
        rows = []
        for menu in self.menuBar().findChildren(QMenu):
            for made in menu.actions():
                keys = made.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys and not made.menu():
                    rows.append((keys, made.text().replace("&", "").removesuffix("…")))
        return list(dict.fromkeys(rows)) + list(OTHER_KEYS)

    # --- tabs --------------------------------------------------------------------

    def _new_tab(self) -> DocumentTab:
        tab = DocumentTab()
        tab.ask_panel.asked.connect(lambda question: self.ask(question, tab))
        tab.ask_panel.cancel_requested.connect(lambda: self.runner.cancel(tab))
        tab.ask_panel.mark_requested.connect(
            lambda rank, verdict: self.mark_answer(tab, rank, verdict)
        )
        tab.history_panel.question_chosen.connect(tab.show_stored)
        tab.history_panel.delete_requested.connect(self.delete_question)
        tab.history_panel.filter_changed.connect(self.refresh_history)
        tab.message.connect(lambda text: self.statusBar().showMessage(text, 5000))
        tab.document_shown.connect(lambda: self._document_shown(tab))
        tab.view.page_changed.connect(lambda page: self._page_changed(tab, page))
        tab.view.jumped.connect(self._update_jump_actions)
        tab.view.web_link_clicked.connect(self.confirm_web_link)
        tab.view.link_refused.connect(self._link_refused)
        tab.view.set_dark_pages(self.dark_pages())
        splitter = self.settings.value("splitter")
        if isinstance(splitter, QByteArray):
            tab.splitter.restoreState(splitter)
        self.tabs.addTab(tab, "New tab")
        self.tabs.setCurrentWidget(tab)
        self.stack.setCurrentWidget(self.tabs)
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

    def _step_tab(self, step: int) -> None:
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
        self.welcome.show_recent(self._recent(), library_names())
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
            self._error_dialog(f"{path.name} cannot be opened", f"{exc}")
            return None
        recent = [str(path.resolve()), *[p for p in self._recent() if p != str(path.resolve())]]
        self.settings.setValue("recent_files", recent[:RECENT_FILES])
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
        value = self.settings.value("session", [])
        for entry in value if isinstance(value, list) else [value]:
            path, _, page = str(entry).rpartition("|")
            if path and Path(path).is_file():
                tab = self.open_file(Path(path))
                if tab is not None and page.isdigit():
                    tab.view.go_to_page(int(page))

    def _save_session(self) -> None:
        entries = [
            f"{tab.path}|{tab.view.current_page()}"
            for tab in self.all_tabs()
            if tab.path is not None and not tab.folder
        ]
        self.settings.setValue("session", entries)

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

    def _library_toggled(self, shown: bool) -> None:
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

    def mark_answer(self, tab: DocumentTab, rank: int, verdict: bool | None) -> None:
        """Mark the shown answer of this rank correct or wrong in the history."""
        if tab.question_id is None:
            return
        with HistoryStore() as store:
            stored = store.question(tab.question_id)
            if stored is None or rank > len(stored.answers):
                return
            store.mark(stored.answers[rank - 1].id, verdict)
        tab.ask_panel.show_mark(rank, verdict)
        self.refresh_history()

    def show_stored(self, question: StoredQuestion) -> None:
        """Show a past question in the current tab (for the History tab and tests)."""
        self._current_tab_do("show_stored", question)

    # --- history -----------------------------------------------------------------

    def refresh_history(self) -> None:
        """The History tab: every question, the asked library's, or the open document's."""
        tab = self.tab
        if tab is None:
            return
        panel = tab.history_panel
        everything = panel.all_documents.isChecked()
        target = None if everything else self.library_panel.ask_target()
        sha = None if everything or target is not None else tab.document_sha256()
        if sha is None and target is None and not everything:
            panel.show_questions([])
            return
        search = panel.search.text() or None
        library = None if target is None else target[0]
        try:
            with HistoryStore() as store:
                questions = store.questions(sha, search, 200, library)
        except DesktopQAError as exc:
            self.statusBar().showMessage(str(exc), 10_000)
            return
        panel.show_questions(questions)

    def delete_question(self, question_id: int) -> None:
        with HistoryStore() as store:
            store.delete_question(question_id)
        self.refresh_history()

    def export_history(self, fmt: str) -> None:
        from desktop_qa.core.export import export

        sha, path = (self.tab.document_sha256(), self.tab.path) if self.tab else (None, None)
        if sha is None or path is None:
            self.statusBar().showMessage("Open a document first.", 5000)
            return
        default = str(path.with_name(f"{path.stem}-answers.{fmt}"))
        target, _ = QFileDialog.getSaveFileName(self, "Export", default)
        if not target:
            return
        try:
            with HistoryStore() as store:
                questions = store.questions(sha)
            export(questions, fmt, Path(target), path)
        except DesktopQAError as exc:
            self._error_dialog("Export failed", str(exc))
            return
        self.statusBar().showMessage(f"Exported {len(questions)} questions to {target}", 10_000)

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
                self._error_dialog("The model cannot be used", message)
        elif tab is None or not self.runner.is_current(job_id):
            return
        elif kind == "open":
            tab.ask_panel.set_ready(False, message)
            self._error_dialog("This document cannot be read for questions", message)
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

    def page_colours(self) -> str:
        value = str(self.settings.value("page_colours", "system"))
        return value if value in PAGE_COLOURS else "system"

    def dark_pages(self) -> bool:
        """Whether pages show dark: chosen so, or following a dark system."""
        mode = self.page_colours()
        if mode == "system":
            return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
        return mode == "dark"

    def set_page_colours(self, mode: str) -> None:
        self.settings.setValue("page_colours", mode)
        self.apply_page_colours()

    def toggle_dark_pages(self) -> None:
        self.set_page_colours("light" if self.dark_pages() else "dark")

    def apply_page_colours(self) -> None:
        dark = self.dark_pages()
        for made in self.page_colour_actions.actions():
            made.setChecked(made.data() == self.page_colours())
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
        rows = "".join(
            f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in self.shortcut_rows()
        )
        box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts",
                          f"<table cellpadding=3>{rows}</table>", parent=self)  # fmt: skip
        box.setObjectName("shortcuts-dialog")
        box.open()
        return box

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
