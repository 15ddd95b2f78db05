"""Batch questions into a CSV that grows one question at a time and can be resumed.

Each answered question is appended with all its rows (one per answer, or one
empty row when nothing was found) and flushed to disk before the next one, so
an interrupted run keeps every question it finished. Every row carries the
``state`` the answers were read from (the documents' hashes and the model): a
run again over the same CSV skips the questions already answered against the
same state and answers the rest, or all of them again when the documents or
the model changed.
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from desktop_qa.core.document import Document
from desktop_qa.core.errors import InputError, OutputError
from desktop_qa.core.export import spreadsheet_safe
from desktop_qa.core.history import now
from desktop_qa.core.library import INDEXED, Library
from desktop_qa.core.model import ModelInfo
from desktop_qa.core.reader import Answer

COLUMNS = (
    "question", "rank", "answer", "confidence", "document", "document_path", "page",
    "snippet", "no_answer", "state", "asked_at",
)  # fmt: skip


def reading_state(model_name: str, model_version: str, hashes: Iterable[str]) -> str:
    """A short name for what answers are read from: the model and the documents."""
    digest = hashlib.sha256("\n".join([model_name, model_version, *sorted(hashes)]).encode())
    return digest.hexdigest()[:16]


def document_state(model: ModelInfo, hashes: Iterable[str]) -> str:
    """The reading state of documents read on their own (one PDF, or a folder)."""
    return reading_state(model.name, model.version, [*hashes, ""])


def library_state(model: ModelInfo, library: Library) -> str:
    """The reading state of a saved library: its indexed documents and how they were cut."""
    hashes = [d.sha256 or "" for d in library.documents(INDEXED)]
    return reading_state(model.name, model.version, [*hashes, library.windows_key() or ""])


def snippet(document: Document, answer: Answer) -> str:
    """The answer in its sentence, on one line, the answer in brackets."""
    from desktop_qa.core.answer_context import answer_context

    return answer_context(document.text, answer.char_start, answer.char_end).marked()


def rows_for(
    question: str, answers: list[tuple[Document, Answer]], no_answer: bool, state: str
) -> list[tuple[object, ...]]:
    """A question's rows (all columns but ``asked_at``): one per answer, or one saying
    nothing was found."""
    rows: list[tuple[object, ...]] = [
        (question, rank, answer.text,
         "" if answer.confidence is None else round(answer.confidence, 4),
         document.title, str(document.path or ""), answer.page, snippet(document, answer),
         int(no_answer), state)
        for rank, (document, answer) in enumerate(answers, 1)
    ]  # fmt: skip
    return rows or [(question, "", "", "", "", "", "", "", int(no_answer), state)]


class BatchCsv:
    """The batch CSV at ``path``, read back to know which questions it answered."""

    def __init__(self, path: Path, state: str) -> None:
        self.path = path
        self.state = state
        self.answered: set[str] = set()
        self.stream: TextIO | None = None
        if path.exists():
            self._read_back()

    def _read_back(self) -> None:
        try:
            with self.path.open(newline="", encoding="utf-8") as stream:
                reader = csv.DictReader(stream)
                if tuple(reader.fieldnames or ()) != COLUMNS:
                    raise InputError(
                        f"{self.path} is not a desktop-qa batch CSV (its columns differ); "
                        "give another --csv file"
                    )
                self.answered = {r["question"] for r in reader if r["state"] == self.state}
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise OutputError(f"cannot read {self.path}: {exc}") from exc

    def has(self, question: str) -> bool:
        """Whether the CSV answers ``question`` against this state already."""
        return spreadsheet_safe(question) in self.answered

    def __enter__(self) -> BatchCsv:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stream is not None:
            self.stream.close()

    def write(self, question: str, answers: list[tuple[Document, Answer]], no_answer: bool) -> None:
        """Append one question's rows and make them durable."""
        self.write_rows(question, rows_for(question, answers, no_answer, self.state))

    def write_rows(self, question: str, rows: list[tuple[object, ...]]) -> None:
        """Append rows made by ``rows_for`` (here or on a cluster node), stamped now."""
        stamp = now()
        try:
            stream = self._stream()
            writer = csv.writer(stream)
            writer.writerows([[spreadsheet_safe(cell) for cell in (*row, stamp)] for row in rows])
            stream.flush()
            os.fsync(stream.fileno())
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        self.answered.add(spreadsheet_safe(question))

    def _stream(self) -> TextIO:
        if self.stream is None:
            new = not self.path.exists() or self.path.stat().st_size == 0
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.stream = self.path.open("a", newline="", encoding="utf-8")
            if new:
                csv.writer(self.stream).writerow(COLUMNS)
        return self.stream
