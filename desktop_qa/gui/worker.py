"""What the worker thread owns: the model, and the history connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop_qa.core.assistant import Assistant, OpenDocument
from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import Document, open_pdf
from desktop_qa.core.errors import ModelError
from desktop_qa.core.history import HistoryStore
from desktop_qa.core.model import resolve_model


class WorkerState:
    """The model and the history, for jobs only; jobs run one at a time on the worker
    thread, so nothing here needs a lock."""

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
