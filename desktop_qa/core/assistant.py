"""The one use-case surface the front ends call: open documents, ask questions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.chunking import DocumentTokens, QATokenizer, Window, tokenize_document
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import Document, open_pdf
from desktop_qa.core.library import Library, LibraryError
from desktop_qa.core.model import ModelInfo, file_sha256
from desktop_qa.core.reader import (
    Answer,
    DocumentReading,
    Listed,
    LogitsModel,
    OnnxQAModel,
    ProgressCallback,
    Reader,
    ReadResult,
)
from desktop_qa.core.retrieval import WindowIndex, document_windows


@dataclass(frozen=True)
class OpenDocument:
    """A document ready for questions: its text map, tokens, windows and their index."""

    document: Document
    tokens: DocumentTokens
    windows: list[Window]
    index: WindowIndex


def settings_for(model: ModelInfo, settings: ReaderSettings) -> ReaderSettings:
    """The settings as a model reads with them: ``max_seq_len`` capped by the model's
    own, and then ``stride`` by a quarter of it (short windows, overlap in proportion)."""
    if settings.max_seq_len <= model.max_seq_len:
        return settings
    stride = min(settings.stride, model.max_seq_len // 4)
    return replace(settings, max_seq_len=model.max_seq_len, stride=stride)


class Assistant:
    """Holds one loaded model and answers questions about documents with it.

    Args:
        model: The model directory to use.
        settings: Reading settings; ``max_seq_len`` is capped by the model's own
            (and then ``stride`` by a quarter of it).
        logits_model: Replaces the ONNX session (tests use oracle logits).
        cache: Where extracted documents and their tokens are kept (default: data folder).
    """

    def __init__(
        self,
        model: ModelInfo,
        settings: ReaderSettings | None = None,
        logits_model: LogitsModel | None = None,
        cache: DocumentCache | None = None,
    ) -> None:
        settings = settings_for(model, settings or ReaderSettings())
        self.model = model
        self.settings = settings
        self.tokenizer = QATokenizer.from_file(model.tokenizer_path)
        self.tokenizer_key = file_sha256(model.tokenizer_path)
        self.cache = cache or DocumentCache()
        if logits_model is None:
            logits_model = OnnxQAModel(model, settings.provider, threads=settings.threads)
        self.provider: str = getattr(logits_model, "provider", type(logits_model).__name__)
        self.reader = Reader(
            logits_model,
            self.tokenizer,
            settings,
            model.no_answer,
            model.calibration,
            model.shared_normalization,
        )

    def open(
        self,
        path: str | Path,
        password: str | None = None,
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> OpenDocument:
        """Open a PDF and tokenise its text, from the document cache when it was seen before.

        ``progress`` counts pages read; ``cancelled`` is checked between pages.
        """
        document = open_pdf(
            path, password, self.cache, progress, cancelled, self.settings.open_budget_s
        )
        tokens = self.cache.load_tokens(document.sha256, self.tokenizer_key)
        if tokens is None:
            tokens = tokenize_document(self.tokenizer, document.text)
            if password is None:
                self.cache.store_tokens(document.sha256, self.tokenizer_key, tokens)
        return self._ready(document, tokens)

    def _ready(self, document: Document, tokens: DocumentTokens) -> OpenDocument:
        windows = document_windows(tokens, self.tokenizer.template, self.settings)
        return OpenDocument(
            document, tokens, windows, WindowIndex([(document.text, tokens, windows)])
        )

    def open_indexed(self, library: Library, document_id: int) -> OpenDocument:
        """A library's document ready to read its indexed windows: text and boxes from
        the document cache (or the file again), tokens from the cache (or made anew)."""
        entry = library.document(document_id)
        document = None
        if entry.sha256 is not None:
            document = self.cache.load_document(entry.sha256, entry.path)
        if document is None:
            document = open_pdf(entry.path, None, self.cache, budget_s=self.settings.open_budget_s)
            if document.sha256 != entry.sha256:
                raise LibraryError(
                    f"{entry.path} changed since it was indexed; bring the library up to "
                    f"date first: desktop-qa library sync --library {library.name}"
                )
        tokens = self.cache.load_tokens(document.sha256, self.tokenizer_key)
        if tokens is None:
            tokens = tokenize_document(self.tokenizer, document.text)
            self.cache.store_tokens(document.sha256, self.tokenizer_key, tokens)
        windows = library.windows_of(document_id)
        return OpenDocument(document, tokens, windows, WindowIndex([]))

    def prepare(self, document: Document) -> OpenDocument:
        """Tokenise an already built document (a PDF's or plain text)."""
        return self._ready(document, tokenize_document(self.tokenizer, document.text))

    def ask(
        self,
        opened: OpenDocument,
        question: str,
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
        thorough: bool = False,
        on_better: Callable[[list[Answer]], None] | None = None,
    ) -> ReadResult:
        """Answer a question from one open document.

        The windows that match the question best (BM25) are read first, widening
        while the answer is weak; ``thorough`` reads every window in one round,
        still best matches first, and ``on_better`` gets the answers so far each
        time a better one turns up. Answers from better-matching windows get a
        bonus of up to ``retrieval_weight``.
        """
        matches = opened.index.matches(question)
        ranked = opened.index.order(matches, self.settings.retrieval_k)
        order = [opened.windows[window] for _, window in ranked]
        return self.reader.read(
            opened.document, opened.tokens, question, order, progress, cancelled, thorough,
            on_better, self.boosts(matches, ranked),
        )  # fmt: skip

    def boosts(
        self, matches: dict[tuple[int, int], float], ranked: list[tuple[int, int]]
    ) -> list[float]:
        """The retrieval bonus of each ranked window, from ``WindowIndex.matches``: the
        reader alone confuses a passage that merely resembles the answer's with the
        right one more often than the reader and BM25 together."""
        weight = self.settings.retrieval_weight
        return [weight * matches.get(pair, 0.0) for pair in ranked]


@dataclass(frozen=True)
class LibraryAnswer:
    """An answer from one document of a library."""

    document: Document
    answer: Answer


@dataclass(frozen=True)
class LibraryResult:
    """Answers to one question from many documents, ranked on one score."""

    question: str
    answers: list[LibraryAnswer]
    no_answer: bool
    windows: int
    windows_total: int
    elapsed_ms: float


def library_payload(result: LibraryResult, listed: dict[str, Any], provider: str) -> dict[str, Any]:
    """The JSON object ``ask --json`` prints for a library question; ``listed`` says
    what was asked (the library's name, or the documents)."""
    return {
        "question": result.question,
        **listed,
        "answers": [
            {
                **item.answer.to_json(),
                "document": str(item.document.path),
                "document_title": item.document.title,
            }
            for item in result.answers
        ],
        "no_answer": result.no_answer,
        "provider": provider,
        "elapsed_ms": round(result.elapsed_ms, 1),
        "windows": result.windows,
        "windows_total": result.windows_total,
    }


def ask_library(
    assistant: Assistant,
    documents: list[OpenDocument],
    question: str,
    index: WindowIndex | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> LibraryResult:
    """Answer from many open documents: their windows ranked together by BM25, read in
    rounds of ``retrieval_k`` that widen while the best answer is weak; answers
    from all documents ranked on their scores (logits and the retrieval bonus
    from the one index), which compare across documents."""
    began = time.perf_counter()
    index = index or WindowIndex([(o.document.text, o.tokens, o.windows) for o in documents])
    matches = index.matches(question)
    order = index.order(matches, assistant.settings.retrieval_k)
    return _read_in_rounds(
        assistant, question, order, assistant.boosts(matches, order),
        lambda number: documents[number], cancelled, began,
    )  # fmt: skip


def ask_saved_library(
    assistant: Assistant,
    library: Library,
    question: str,
    cancelled: Callable[[], bool] | None = None,
    only: Iterable[int] | None = None,
) -> LibraryResult:
    """Answer from a saved library (``only``: some of its documents, by id): its
    persistent index ranks the windows, and only the documents of the windows read
    are loaded (from the document cache)."""
    from desktop_qa.core.indexing import WindowSpec

    began = time.perf_counter()
    settings = assistant.settings
    expected = WindowSpec.of(assistant.model, settings).key()
    if library.windows_key() not in (None, expected):
        raise LibraryError(
            f"library {library.name} was indexed for another model's tokenizer or other "
            f"window settings; index it for this one: desktop-qa library sync --library "
            f"{library.name} (with the same --model)"
        )
    rounds = settings.max_rounds if settings.retrieval_k else 0
    limit = settings.retrieval_k * rounds if rounds else 1_000_000
    hits = library.search(question, limit, None if only is None else list(only))
    matches = {(hit.document_id, hit.window): hit.score for hit in hits}
    order = list(matches)
    k = settings.retrieval_k
    if k > 1 and order and (order[0][0], 0) not in order[:k]:  # as WindowIndex.order does
        order.insert(k - 1, (order[0][0], 0))
        order = list(dict.fromkeys(order))
    opened: dict[int, OpenDocument] = {}

    def document(number: int) -> OpenDocument:
        if number not in opened:
            opened[number] = assistant.open_indexed(library, number)
        return opened[number]

    return _read_in_rounds(
        assistant, question, order, assistant.boosts(matches, order), document, cancelled,
        began,
    )  # fmt: skip


def _read_in_rounds(
    assistant: Assistant,
    question: str,
    order: list[tuple[int, int]],
    boosts: list[float],
    document: Callable[[int], OpenDocument],
    cancelled: Callable[[], bool] | None,
    began: float,
) -> LibraryResult:
    """Read ranked (document, window) pairs in rounds until an answer is sure. Each
    document's windows read so far make one reading, and the answers of all of them
    are listed together: only the library's best answers get a second reading."""
    reader, settings = assistant.reader, assistant.settings
    boost_of = dict(zip(order, boosts, strict=True))
    step = settings.retrieval_k or max(len(order), 1)
    readings: dict[int, DocumentReading] = {}
    answers: list[Answer] = []
    listed: list[Listed] = []
    read = rounds = 0
    while read < len(order):
        stage = order[read : read + step]
        for number in sorted({doc for doc, _ in stage}):
            opened = document(number)
            if number not in readings:
                capacity = max(w.token_end - w.token_start for w in opened.windows)
                readings[number] = reader.begin(opened.document, opened.tokens, question, capacity)
            pairs = [pair for pair in stage if pair[0] == number]
            reader.read_windows(
                readings[number], [opened.windows[w] for _, w in pairs],
                [boost_of[pair] for pair in pairs], cancelled,
            )  # fmt: skip
        read += len(stage)
        rounds += 1
        listed = reader.listing(list(readings.values()), len(order))
        answers = reader.placed(listed)
        if reader.settled(answers, list(readings.values())) or rounds == settings.max_rounds:
            break
    found = [
        LibraryAnswer(item.reading.document, answer)
        for item, answer in zip(listed, answers, strict=True)
    ]
    return LibraryResult(
        question=" ".join(question.split()),
        answers=found,
        no_answer=reader.no_answer(answers, list(readings.values())),
        windows=read,
        windows_total=len(order),
        elapsed_ms=(time.perf_counter() - began) * 1000,
    )
