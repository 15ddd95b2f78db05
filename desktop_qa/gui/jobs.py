"""The window's background jobs: each a function of ``(cancelled, progress)`` that runs
on the worker thread, touches no widget, and returns what the GUI thread shows.

They only snapshot what they need when made (a document, a question, a
library's name), so a job never sees the window change under it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_qa.core.assistant import (
    LibraryResult,
    OpenDocument,
    ask_library,
    ask_saved_library,
)
from desktop_qa.core.batch import document_state, library_state, rows_for
from desktop_qa.core.document import Document
from desktop_qa.core.errors import CancelledError, DocumentError
from desktop_qa.core.library import Library
from desktop_qa.core.reader import Answer, ReadResult
from desktop_qa.gui.worker import WorkerState

Job = Callable[[Callable[[], bool], Callable[[int, int], None]], Any]
#: where a list of questions goes: None for one document, else (library, chosen ids)
Target = tuple[str, list[int] | None] | None


@dataclass(frozen=True)
class Asked:
    """A finished question: what was read and its id in the history."""

    result: ReadResult
    question_id: int | None


def open_document(worker: WorkerState, path: Path, password: str | None) -> Job:
    """Extract a PDF's text for questions (or for finding only, without a model)."""

    def job(cancelled: Any, progress: Any) -> OpenDocument | Document:
        return worker.open(path, password, progress, cancelled)

    return job


def open_folder(worker: WorkerState, paths: list[Path]) -> Job:
    """Read every PDF of a folder; unreadable ones are left out."""

    def job(cancelled: Any, progress: Any) -> list[OpenDocument]:
        assistant = worker.ensure_assistant()
        opened = []
        for number, path in enumerate(paths):
            progress(number, len(paths))
            try:
                opened.append(assistant.open(path, cancelled=cancelled))
            except DocumentError:
                continue
        return opened

    return job


def ask_document(
    worker: WorkerState, opened: OpenDocument, question: str, thorough: bool,
    better: Callable[[list[Answer]], None] | None,
) -> Job:  # fmt: skip
    """Read one document for a question and record it in the history."""

    def job(cancelled: Any, progress: Any) -> Asked:
        assistant = worker.ensure_assistant()
        result = assistant.ask(opened, question, progress, cancelled, thorough, better)
        model = assistant.model
        stored = worker.store().record(
            opened.document, result, model.name, model.version, assistant.provider
        )
        return Asked(result, stored)

    return job


def ask_folder(worker: WorkerState, documents: list[OpenDocument], question: str) -> Job:
    def job(cancelled: Any, progress: Any) -> LibraryResult:
        return ask_library(worker.ensure_assistant(), documents, question, cancelled=cancelled)

    return job


def ask_library_by_name(
    worker: WorkerState, name: str, question: str, only: list[int] | None
) -> Job:
    """Read a saved library (or the chosen documents of it) and record it in the history."""

    def job(cancelled: Any, progress: Any) -> LibraryResult:
        assistant = worker.ensure_assistant()
        with Library(name) as library:
            result = ask_saved_library(assistant, library, question, cancelled, only)
        model = assistant.model
        worker.store().record_library(name, result, model.name, model.version, assistant.provider)
        return result

    return job


def ask_list(
    worker: WorkerState, target: Target, opened: OpenDocument | None, questions: list[str],
    emit: Callable[[str, list[tuple[object, ...]]], None],
) -> Job:  # fmt: skip
    """Ask each question of a document or a library, sending its rows as soon as it is
    answered; every question goes to the history."""

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

    return job
