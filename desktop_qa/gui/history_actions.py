"""What the window does with the history: list a tab's (or a library's, or every)
question, delete one, mark an answer, export a document's questions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop_qa.core.errors import DesktopQAError
from desktop_qa.core.history import HistoryStore
from desktop_qa.gui.document_tab import DocumentTab
from desktop_qa.gui.help_dialogs import error_dialog

LISTED = 200


class HistoryActions(QObject):
    """History for the window's tabs; ``library_target`` says where questions go now
    (a library and its selection, or None for the tab's document)."""

    message = Signal(str, int)  # a note for the status bar and how long it stays (ms)

    def __init__(
        self, window: QWidget, library_target: Callable[[], tuple[str, list[int] | None] | None]
    ) -> None:
        super().__init__(window)
        self.window = window
        self.library_target = library_target

    def refresh(self, tab: DocumentTab | None) -> None:
        """The tab's History: every question, the asked library's, or its document's."""
        if tab is None:
            return
        panel = tab.history_panel
        everything = panel.all_documents.isChecked()
        target = None if everything else self.library_target()
        sha = None if everything or target is not None else tab.document_sha256()
        if sha is None and target is None and not everything:
            panel.show_questions([])
            return
        search = panel.search.text() or None
        library = None if target is None else target[0]
        try:
            with HistoryStore() as store:
                questions = store.questions(sha, search, LISTED, library)
        except DesktopQAError as exc:
            self.message.emit(str(exc), 10_000)
            return
        panel.show_questions(questions)

    def delete(self, question_id: int, tab: DocumentTab | None) -> None:
        with HistoryStore() as store:
            store.delete_question(question_id)
        self.refresh(tab)

    def mark(self, tab: DocumentTab, rank: int, verdict: bool | None) -> None:
        """Mark the tab's shown answer of this rank correct or wrong."""
        if tab.question_id is None:
            return
        with HistoryStore() as store:
            stored = store.question(tab.question_id)
            if stored is None or rank > len(stored.answers):
                return
            store.mark(stored.answers[rank - 1].id, verdict)
        tab.ask_panel.show_mark(rank, verdict)
        self.refresh(tab)

    def export(self, tab: DocumentTab | None, fmt: str) -> None:
        """Export the tab's document's questions, to a file the user chooses."""
        from desktop_qa.core.export import export

        sha, path = (tab.document_sha256(), tab.path) if tab else (None, None)
        if sha is None or path is None:
            self.message.emit("Open a document first.", 5000)
            return
        default = str(path.with_name(f"{path.stem}-answers.{fmt}"))
        target, _ = QFileDialog.getSaveFileName(self.window, "Export", default)
        if not target:
            return
        try:
            with HistoryStore() as store:
                questions = store.questions(sha)
            export(questions, fmt, Path(target), path)
        except DesktopQAError as exc:
            error_dialog(self.window, "Export failed", str(exc))
            return
        self.message.emit(f"Exported {len(questions)} questions to {target}", 10_000)
