"""The one use-case surface the front ends call: open documents, ask questions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.chunking import DocumentTokens, QATokenizer, Window, tokenize_document
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import Document, open_pdf
from desktop_qa.core.model import ModelInfo, file_sha256
from desktop_qa.core.reader import (
    Answer,
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
        settings = settings or ReaderSettings()
        if settings.max_seq_len > model.max_seq_len:
            # A model with short windows gets an overlap in proportion to them.
            stride = min(settings.stride, model.max_seq_len // 4)
            settings = replace(settings, max_seq_len=model.max_seq_len, stride=stride)
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


def ask_library(
    assistant: Assistant,
    documents: list[OpenDocument],
    question: str,
    index: WindowIndex | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> LibraryResult:
    """Answer from many documents: their windows ranked together by BM25, read in
    rounds of ``retrieval_k`` that widen while the best answer is weak; answers
    from all documents ranked on their scores (logits and the retrieval bonus
    from the one index), which compare across documents."""
    began = time.perf_counter()
    settings = assistant.settings
    index = index or WindowIndex([(o.document.text, o.tokens, o.windows) for o in documents])
    matches = index.matches(question)
    order = index.order(matches, settings.retrieval_k)
    boost_of = dict(zip(order, assistant.boosts(matches, order), strict=True))
    step = settings.retrieval_k or max(len(order), 1)
    found: list[LibraryAnswer] = []
    no_answers: list[bool] = []
    sure = False
    read = rounds = 0
    while read < len(order):
        stage = order[read : read + step]
        for number in sorted({doc for doc, _ in stage}):
            opened = documents[number]
            pairs = [pair for pair in stage if pair[0] == number]
            result = assistant.reader.read(
                opened.document, opened.tokens, question,
                [opened.windows[w] for _, w in pairs], None, cancelled, thorough=True,
                boosts=[boost_of[pair] for pair in pairs],
            )  # fmt: skip
            found.extend(LibraryAnswer(opened.document, a) for a in result.answers)
            no_answers.append(result.no_answer)
            sure = sure or assistant.reader.settled(result)
        read += len(stage)
        rounds += 1
        if sure or rounds == settings.max_rounds:
            break
    found.sort(key=lambda f: -f.answer.score)
    return LibraryResult(
        question=" ".join(question.split()),
        answers=found[: settings.top_k],
        no_answer=not found or all(no_answers),
        windows=read,
        windows_total=len(order),
        elapsed_ms=(time.perf_counter() - began) * 1000,
    )
