"""One tab of the window: a document's pages, its questions and their history.

A tab shows one PDF, or asks a folder of PDFs at once (its view then shows
the document of the chosen answer). It owns what is shown (answers, find
matches, the question being read) and turns results into what its panels
draw; the window runs the jobs and hands their results to the tab that asked.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QTabWidget, QVBoxLayout, QWidget

from desktop_qa.core.answer_context import answer_context
from desktop_qa.core.assistant import LibraryResult, OpenDocument
from desktop_qa.core.document import Document
from desktop_qa.core.history import StoredQuestion
from desktop_qa.core.reader import Answer, ReadResult
from desktop_qa.gui.answer_cards import rank_colour
from desktop_qa.gui.ask_panel import AskPanel, Box, ShownAnswer
from desktop_qa.gui.history_panel import HistoryPanel
from desktop_qa.gui.pdf_view import PdfView

MAX_FIND_HITS = 2000

Hit = list[tuple[int, tuple[float, float, float, float]]]


class DocumentTab(QWidget):
    """The pages of one document (or of a folder's answers) beside Ask and History."""

    message = Signal(str)  # a short note for the status bar
    document_shown = Signal()  # the view shows another PDF

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = PdfView()
        self.ask_panel = AskPanel()
        self.history_panel = HistoryPanel()
        self.side = QTabWidget()
        self.side.addTab(self.ask_panel, "Ask")
        self.side.addTab(self.history_panel, "History")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.path: Path | None = None
        self.opened: OpenDocument | None = None
        self.text_only: Document | None = None  # open while no model is usable
        self.folder: list[OpenDocument] = []  # when set, questions go to all of these
        self.question_id: int | None = None
        self.asking: object = None  # the running question's token (stale interim answers drop)
        self.hits: list[Hit] = []
        self.hit = -1
        self.ask_panel.answer_selected.connect(self.highlight)
        self.ask_panel.set_ready(False, "Open a PDF to ask questions about it.")

    @property
    def title(self) -> str:
        """What the tab is called: the document's title, else its file name."""
        if self.folder:
            return f"{len(self.folder)} PDFs"
        if self.opened is not None and self.opened.document.title:
            return self.opened.document.title
        return self.path.name if self.path is not None else "New tab"

    def document_sha256(self) -> str | None:
        return self.opened.document.sha256 if self.opened else None

    # --- documents -----------------------------------------------------------------

    def show_pdf(self, path: Path, password: str | None = None) -> None:
        """Show a PDF's pages at once (its text comes later, from the window's job).

        Raises what ``PdfView.load`` raises."""
        self.view.load(path, password)
        self.path = path
        self.opened = None
        self.text_only = None
        self.folder = []
        self.hits, self.hit = [], -1
        self.document_shown.emit()

    def folder_ready(self, documents: list[OpenDocument]) -> None:
        self.folder = documents
        pages = sum(o.document.page_count for o in documents)
        self.ask_panel.set_ready(
            bool(documents),
            f"Library: {len(documents)} PDFs, {pages} pages. Questions go to all of them; "
            "an answer shows its document here.",
        )

    def _show_other_document(self, path: Path) -> None:
        """Show one of the folder's (or a library's) documents; its text is read already."""
        self.view.load(path)
        self.path = path
        self.opened = next((o for o in self.folder if o.document.path == path), None)
        self.hits, self.hit = [], -1
        self.document_shown.emit()

    # --- answers -------------------------------------------------------------------

    def highlight(self, answer: ShownAnswer) -> None:
        """Show the chosen answer strongly in its rank's colour with its sentence, the
        other answers on the same document faintly in theirs; jump there (Alt+Left
        returns) and make it stand out for a moment."""
        if answer.document is not None and answer.document != self.path:
            self._show_other_document(answer.document)
        shown = self.ask_panel.shown()
        rank = next((r for r, a in enumerate(shown, 1) if a is answer), 1)
        others = [(rank_colour(r), a.boxes) for r, a in enumerate(shown, 1)
                  if a is not answer and a.document == answer.document]  # fmt: skip
        self.view.set_highlights(answer.boxes, rank_colour(rank), others, answer.context_boxes)
        if answer.boxes:
            page, box = answer.boxes[0]
            self.view.jump(page, box[1])
        else:
            self.view.jump(answer.page)
        self.view.emphasise()

    def _shown(self, answers: list[Answer]) -> list[ShownAnswer]:
        document = self.opened.document if self.opened is not None else None
        return [shown_answer(a, document) for a in answers]

    def show_result(self, result: ReadResult, question_id: int | None) -> None:
        self.asking = None
        self.question_id = question_id
        self.view.set_highlights([])
        note = reading_note(result.windows, result.windows_total, result.elapsed_ms)
        self.ask_panel.show_answers(self._shown(result.answers), result.no_answer, note)

    def show_interim(self, token: object, answers: list[Answer]) -> None:
        if token is self.asking and self.opened is not None:
            shown = self._shown(answers)
            self.ask_panel.show_answers(shown, False, "Best so far, still reading…", reading=True)

    def show_library_result(self, result: LibraryResult) -> None:
        shown = [shown_answer(item.answer, item.document, named=True) for item in result.answers]
        note = reading_note(result.windows, result.windows_total, result.elapsed_ms)
        self.ask_panel.show_answers(shown, result.no_answer, note)

    def show_stored(self, question: StoredQuestion) -> None:
        """Show a past question's answers and highlights without running the model."""
        library = question.library is not None
        if not library and question.document_sha256 != self.document_sha256():
            self.ask_panel.show_message(f"That question is about {question.document_title}.")
            return
        self.side.setCurrentWidget(self.ask_panel)
        self.ask_panel.question.setText(question.text)
        document = self.opened.document if self.opened and not library else None
        shown = []
        for a in question.answers:
            marked, context_boxes = _in_sentence(document, a.text, a.char_start, a.char_end)
            shown.append(ShownAnswer(
                a.text, a.score, a.page,
                tuple((int(b[0]), (b[1], b[2], b[3], b[4])) for b in a.boxes),
                marked,
                a.verdict,
                Path(a.document_path) if library and a.document_path else None,
                a.confidence,
                a.document_title if library else self.title,
                context_boxes,
            ))  # fmt: skip
        self.question_id = question.id
        where = f"library {question.library}, " if library else ""
        self.ask_panel.show_answers(
            shown, question.no_answer, f"from history, {where}{question.asked_at}"
        )

    # --- find ----------------------------------------------------------------------

    def find_text(self, text: str) -> None:
        """Mark every place the document text holds ``text`` (any case)."""
        self.hits, self.hit = [], -1
        document = self.opened.document if self.opened else self.text_only
        if document is not None and text.strip():
            for match in re.finditer(re.escape(text), document.text, re.IGNORECASE):
                fragments = document.fragments(match.start(), match.end())
                self.hits.append([(f.page, f.box) for f in fragments])
                if len(self.hits) == MAX_FIND_HITS:
                    break
        if self.hits:
            here = self.view.current_page()
            first = [i for i, hit in enumerate(self.hits) if hit and hit[0][0] >= here]
            self._show_hit(first[0] if first else 0)
        else:
            self.view.set_search_hits([], -1)
            if text.strip():
                self.message.emit(f"{text!r} is not in this document")

    def find_next(self) -> None:
        if self.hits:
            self._show_hit((self.hit + 1) % len(self.hits))

    def _show_hit(self, index: int) -> None:
        self.hit = index
        self.view.set_search_hits(self.hits, index)
        if self.hits[index]:
            page, box = self.hits[index][0]
            self.view.go_to_page(page, box[1])
        self.message.emit(f"match {index + 1} of {len(self.hits)}")

    def close_document(self) -> None:
        self.view.close_document()


def reading_note(windows: int, total: int, elapsed_ms: float) -> str:
    return f"{windows} of {total} windows read in {elapsed_ms / 1000:.1f} s"


def shown_answer(answer: Answer, document: Document | None, named: bool = False) -> ShownAnswer:
    """An answer as a card shows it: in its sentence, the sentence's boxes for the page,
    the document's title to cite; ``named``: from several documents, so it names its
    document."""
    marked, context_boxes = _in_sentence(document, answer.text, answer.char_start,
                                         answer.char_end)  # fmt: skip
    return ShownAnswer(
        answer.text, answer.score, answer.page,
        tuple((f.page, f.box) for f in answer.fragments),
        marked,
        None,
        document.path if named and document is not None else None,
        answer.confidence,
        document.title if document is not None else "",
        context_boxes,
    )  # fmt: skip


def _in_sentence(
    document: Document | None, text: str, start: int, end: int
) -> tuple[str, tuple[tuple[int, Box], ...]]:
    """The answer in its sentence (brackets around it) and the sentence's boxes; without
    the document's text, the answer alone and no boxes."""
    if document is None:
        return text, ()
    context = answer_context(document.text, start, end)
    boxes = tuple((f.page, f.box) for f in document.fragments(context.start, context.end))
    return context.marked(), boxes
