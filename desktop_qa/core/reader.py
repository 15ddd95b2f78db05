"""Read a question against a document's windows and return placed answers.

``OnnxQAModel`` runs the ONNX graph; ``Reader`` does the rest (windows,
batches, decoding, merging, placing answers on the page). Any object with a
``logits(batch)`` method can stand in for the ONNX model, which is how tests
drive the whole pipeline with oracle logits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from desktop_qa.core.calibration import NO_RIVAL_MARGIN, Calibration, Evidence
from desktop_qa.core.chunking import (
    BLOCK_BOUNDARY,
    DocumentTokens,
    EncodedBatch,
    QATokenizer,
    Question,
    Window,
    encode_windows,
    tokenize_question,
)
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.decode import (
    Candidate,
    best_spans,
    distinct_answers,
    document_null_score,
    merge_candidates,
)
from desktop_qa.core.document import Document, Fragment
from desktop_qa.core.errors import BrokenModelError, CancelledError, ProviderError
from desktop_qa.core.model import INT8_GRAPH
from desktop_qa.core.retrieval import query_words
from desktop_qa.core.second_reading import BlockReading, SecondReader, rescored
from desktop_qa.core.support import QuestionSupport, sentences_of

if TYPE_CHECKING:
    from pathlib import Path

    from desktop_qa.core.model import ModelInfo

log = logging.getLogger(__name__)

PROVIDERS = {
    "cuda": "CUDAExecutionProvider",
    "directml": "DmlExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
AUTO_ORDER = ("cuda", "directml", "cpu")
PADDING_LOGIT = -1e4  # what a window run on its own gets past its end
#: The fewest best answers ranked again by a second reading, whatever ``top_k`` is.
SECOND_READ = 3
#: A calibrated model's second round is read only for a best answer whose confidence
#: is at least this share of the "not found" threshold (``widen_from_confidence``).
#: On the fitting articles asked whole (19-42 windows each, recipe H), any share from
#: 0 to 1 gave the same SQuAD 2.0-style F1 within 0.2 (2 of 1,147 questions), and a
#: second round doubles a question's time: 0.75 reads one for 5% of the questions
#: (0.5: 11%), those closest to being an answer.
WIDEN_FROM_SHARE = 0.75

ProgressCallback = Callable[[int, int], None]


class LogitsModel(Protocol):
    """Anything that maps a batch of windows to (start, end) logits."""

    def logits(self, batch: EncodedBatch) -> tuple[np.ndarray, np.ndarray]: ...


def choose_provider(requested: str, available: list[str]) -> str:
    """The provider key to use: the requested one, or the best available for ``auto``."""
    if requested == "auto":
        return next(key for key in AUTO_ORDER if PROVIDERS[key] in available or key == "cpu")
    if PROVIDERS[requested] not in available:
        names = ", ".join(k for k, v in PROVIDERS.items() if v in available) or "none"
        raise ProviderError(
            f"execution provider {requested!r} is not available here (available: {names})"
        )
    return requested


class OnnxQAModel:
    """An ONNX Runtime session over a QA graph; inputs are built from the graph's own."""

    def __init__(
        self, info: ModelInfo, provider: str = "auto", graph: Path | None = None, threads: int = 0
    ) -> None:
        """Open the model's graph for ``provider``; ``graph`` overrides the usual choice.

        ``threads`` caps the CPU threads one model run uses; 0 lets onnxruntime use
        one per physical core (hyper-threads only slow these matrix products).
        """
        import onnxruntime as ort

        key = choose_provider(provider, ort.get_available_providers())
        graph = graph or info.graph_for(on_gpu=key != "cpu")
        info.check_sha256(graph)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        options.intra_op_num_threads = threads
        # Idle threads sleep instead of spinning: on a desktop shared with other work
        # spinning threads fight it (measured here: 0.57 s instead of 0.64-0.72 s a
        # question beside a busy process) and burn battery between questions.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = ort.InferenceSession(
                str(graph),
                sess_options=options,
                providers=list(dict.fromkeys([PROVIDERS[key], PROVIDERS["cpu"]])),
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise BrokenModelError(f"{graph}: the model cannot be loaded ({exc})") from exc
        self.session = session
        self.graph = graph
        ran = session.get_providers()[0]
        self.provider = next((k for k, v in PROVIDERS.items() if v == ran), ran)
        if self.provider != key:
            log.warning("the %s provider failed to start; running on the CPU instead", key)
        # A dynamically quantized graph scales each matrix product's input by the
        # range of the whole batch, so a window's logits would shift with the windows
        # batched beside it (by up to 1.4 measured on the built-in model) and an
        # answer with the question's retrieval round. Such a graph runs one window
        # at a time, which is no slower on a CPU (177 against 178 ms for 6 windows).
        self.one_window_at_a_time = graph.name == INT8_GRAPH
        self.input_types = {i.name: i.type for i in session.get_inputs()}
        missing = {"input_ids", "attention_mask"} - set(self.input_types)
        if missing:
            raise BrokenModelError(f"{graph}: the graph has no input {sorted(missing)[0]!r}")
        outputs = [o.name for o in session.get_outputs()]
        if {"start_logits", "end_logits"} <= set(outputs):
            self.output_names = ["start_logits", "end_logits"]
        elif len(outputs) >= 2:
            self.output_names = outputs[:2]
        else:
            raise BrokenModelError(f"{graph}: a QA graph needs start and end logits outputs")

    def logits(self, batch: EncodedBatch) -> tuple[np.ndarray, np.ndarray]:
        arrays = {
            "input_ids": batch.input_ids,
            "attention_mask": batch.attention_mask,
            "token_type_ids": batch.token_type_ids,
        }
        if not self.one_window_at_a_time:
            return self._run(arrays)
        start = np.full(batch.input_ids.shape, PADDING_LOGIT, dtype=np.float32)
        end = start.copy()
        for row, length in enumerate(batch.attention_mask.sum(axis=1)):
            one = {name: array[row : row + 1, :length] for name, array in arrays.items()}
            start[row, :length], end[row, :length] = (logits[0] for logits in self._run(one))
        return start, end

    def _run(self, arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        feed: dict[str, Any] = {}
        for name, kind in self.input_types.items():
            if name not in arrays:
                raise BrokenModelError(f"{self.graph}: unexpected model input {name!r}")
            feed[name] = arrays[name].astype(np.int32 if kind == "tensor(int32)" else np.int64)
        start, end = self.session.run(self.output_names, feed)
        return np.asarray(start), np.asarray(end)


@dataclass(frozen=True)
class Answer:
    """An answer placed in the document.

    Attributes:
        text: Exactly ``document.text[char_start:char_end]``.
        score: The mean of two start + end logit sums, the span's in the window
            it was read in and in its own block read alone (``second_reading``),
            plus the retrieval bonus of that window; comparable across windows and
            documents.
        page: 1-based page where the answer starts.
        char_start, char_end: The answer's range in the document text.
        fragments: One box per line fragment, with its page, in PDF points.
        bonus: The retrieval bonus included in ``score``.
        confidence: The probability that the answer is right, from the model's
            calibration; None for a model without one.
    """

    text: str
    score: float
    page: int
    char_start: int
    char_end: int
    fragments: tuple[Fragment, ...]
    bonus: float = 0.0
    confidence: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "score": round(self.score, 4),
            "confidence": None if self.confidence is None else round(self.confidence, 4),
            "page": self.page,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "boxes": [[round(v, 2) for v in f.box] for f in self.fragments],
            "box_pages": [f.page for f in self.fragments],
        }


@dataclass(frozen=True)
class ReadResult:
    """What reading one question against one document found.

    ``reader_best`` is the best answer's logit sum without retrieval bonus: how
    sure the model itself is, which decides widening and "no answer" for a model
    without a calibration. ``null_score`` is the document's "no answer" score over
    the windows read. With ``no_answer`` the answers are still listed: they are
    the best guesses, each with its (low) confidence.
    """

    question: str
    answers: list[Answer]
    no_answer: bool
    null_score: float | None
    windows: int
    question_truncated: bool
    elapsed_ms: float = field(default=0.0)
    windows_total: int = field(default=0)
    reader_best: float = field(default=-np.inf)
    evidence: tuple[Evidence, ...] = field(default=())


@dataclass
class DocumentReading:
    """What the windows read so far of one document say of one question: the
    candidates, the ``[CLS]`` logits, and the blocks read again (``second``)."""

    document: Document
    question: Question
    support: QuestionSupport
    second: SecondReader
    candidates: list[Candidate] = field(default_factory=list)
    cls_starts: list[np.ndarray] = field(default_factory=list)
    cls_ends: list[np.ndarray] = field(default_factory=list)
    windows: int = 0
    reported: float = -np.inf

    def ranked(self) -> list[Candidate]:
        return merge_candidates(self.candidates)

    def reader_best(self) -> float:
        return max((c.reader_score for c in self.candidates), default=-np.inf)

    def null(self, shared_normalization: bool) -> float:
        """The document's "no answer" score over the windows read (NaN before any)."""
        if not self.cls_starts:
            return float("nan")
        return document_null_score(
            np.concatenate(self.cls_starts), np.concatenate(self.cls_ends), shared_normalization
        )


@dataclass(frozen=True)
class Listed:
    """One listed answer: the reading it came from, the candidate scored by both
    readings, and what the calibration reads of it."""

    reading: DocumentReading
    candidate: Candidate
    evidence: Evidence


class Reader:
    """Windows, runs and decodes a question against a tokenised document."""

    def __init__(
        self,
        model: LogitsModel,
        tokenizer: QATokenizer,
        settings: ReaderSettings,
        supports_no_answer: bool = False,
        calibration: Calibration | None = None,
        shared_normalization: bool = False,
    ) -> None:
        """``calibration`` turns evidence into confidences and then decides widening
        and "no answer"; ``shared_normalization`` says the model was trained with one
        softmax over a question's windows, so its "no answer" score sums over them."""
        self.model = model
        self.tokenizer = tokenizer
        self.settings = settings
        self.supports_no_answer = supports_no_answer
        self.calibration = calibration
        self.shared_normalization = shared_normalization

    def read(
        self,
        document: Document,
        tokens: DocumentTokens,
        question_text: str,
        order: list[Window],
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
        thorough: bool = False,
        on_better: Callable[[list[Answer]], None] | None = None,
        boosts: list[float] | None = None,
    ) -> ReadResult:
        """Answer one question from the document's windows.

        Args:
            order: Windows to read, most promising first (from retrieval); they
                must fit a question of ``max_question_tokens``. They are read
                ``retrieval_k`` at a time, and reading stops once the best
                answer's confidence reaches ``widen_below_confidence`` (for a
                model without a calibration: its reader score ``widen_below``)
                or after ``max_rounds`` rounds.
            thorough: Read all of ``order`` in one round.
            boosts: Added to the scores of answers read in the window at the same
                place in ``order`` (retrieval's evidence; see ``Assistant.ask``).
            on_better: Called with the answers so far each time a batch brings a
                better best answer, so a long read can show them as they come.

        Raises:
            EmptyQuestionError: for a blank question.
            CancelledError: when ``cancelled()`` turns true between batches.
        """
        began = time.perf_counter()
        step = len(order) if thorough else self.settings.retrieval_k or len(order)
        boosts = boosts or [0.0] * len(order)
        capacity = max((w.token_end - w.token_start for w in order), default=1)
        reading = self.begin(document, tokens, question_text, capacity)
        rounds = 0
        listed: list[Listed] | None = None  # after each round, for a calibrated model
        while reading.windows < len(order):
            read = reading.windows
            stage = order[read : read + step]
            self.read_windows(
                reading, stage, boosts[read : read + len(stage)], cancelled, progress, on_better
            )
            rounds += 1
            if self.calibration is not None:  # its widening decides on the listed answers
                listed = self.listing([reading], len(order))
            if self._read_enough(reading, listed) or rounds == self.settings.max_rounds:
                break
        if listed is None:
            listed = self.listing([reading], len(order))
        answers = self.placed(listed)
        return ReadResult(
            question=reading.question.text,
            answers=answers,
            no_answer=self.no_answer(answers, [reading]),
            null_score=reading.null(self.shared_normalization) if reading.windows else None,
            windows=reading.windows,
            question_truncated=reading.question.truncated,
            elapsed_ms=(time.perf_counter() - began) * 1000,
            windows_total=len(order),
            reader_best=float(reading.reader_best()),
            evidence=tuple(item.evidence for item in listed),
        )

    def begin(
        self, document: Document, tokens: DocumentTokens, question_text: str, capacity: int
    ) -> DocumentReading:
        """An empty reading of one document for one question; ``capacity`` is the
        most passage tokens a window holds (a longer block is read in part).

        Raises:
            EmptyQuestionError: for a blank question.
        """
        settings = self.settings
        question = tokenize_question(self.tokenizer, question_text, settings.max_question_tokens)
        second = SecondReader(
            self.model.logits, self.tokenizer.template, question, tokens, capacity,
            settings.batch_size,
        )  # fmt: skip
        support = QuestionSupport(sentences_of(document), query_words(question_text))
        return DocumentReading(document, question, support, second)

    def read_windows(
        self,
        reading: DocumentReading,
        windows: list[Window],
        boosts: list[float],
        cancelled: Callable[[], bool] | None = None,
        progress: ProgressCallback | None = None,
        on_better: Callable[[list[Answer]], None] | None = None,
    ) -> None:
        """Read ``windows`` of the reading's document into it, in batches.

        Raises:
            CancelledError: when ``cancelled()`` turns true between batches.
        """
        batch_size = self.settings.batch_size
        before = reading.windows
        tokens = reading.second.tokens
        for first in range(0, len(windows), batch_size):
            if cancelled is not None and cancelled():
                raise CancelledError("cancelled")
            batch = encode_windows(
                reading.second.template, reading.question, tokens,
                windows[first : first + batch_size],
            )  # fmt: skip
            start_logits, end_logits = self.model.logits(batch)
            reading.second.remember(batch, start_logits, end_logits)
            found = self._candidates(
                batch, start_logits, end_logits, tokens, boosts[first : first + len(batch.windows)]
            )
            reading.candidates.extend(found)
            reading.cls_starts.append(start_logits[:, 0])
            reading.cls_ends.append(end_logits[:, 0])
            reading.windows += len(batch.windows)
            best_found = max((c.score for c in found), default=-np.inf)
            if on_better is not None and best_found > reading.reported:
                reading.reported = best_found
                chosen = distinct_answers(reading.ranked(), self.settings.top_k)
                on_better([self._place(reading.document, c, None) for c in chosen])
            if progress is not None:
                progress(reading.windows, before + len(windows))

    def listing(self, readings: list[DocumentReading], searched: int) -> list[Listed]:
        """The answers to list, best first, from one or more documents' readings:
        the distinct best candidates of them all (at least ``SECOND_READ``), each
        with its block read alone and scored by both readings (``second_reading``).
        ``searched`` is how many windows the question is asked of in all: the
        calibration reads it (more text, more plausible wrong spans)."""
        considered = max(self.settings.top_k, SECOND_READ)
        pooled = sorted(
            (
                (candidate, reading)
                for reading in readings
                for candidate in distinct_answers(reading.ranked(), considered)
            ),
            key=lambda pair: -pair[0].score,
        )[:considered]
        chosen = [candidate for candidate, _ in pooled]
        blocks = self._block_readings(pooled)
        evidence = answer_evidence(
            chosen,
            [reading.null(self.shared_normalization) for _, reading in pooled],
            searched,
            [reading.support for _, reading in pooled],
            blocks,
        )
        listed = [
            Listed(reading, rescored(candidate, block), found)
            for (candidate, reading), block, found in zip(pooled, blocks, evidence, strict=True)
        ]
        listed.sort(key=lambda item: -item.candidate.score)  # stable: ties keep their order
        return listed[: self.settings.top_k]

    @staticmethod
    def _block_readings(pooled: list[tuple[Candidate, DocumentReading]]) -> list[BlockReading]:
        """Each pooled candidate's block read alone, one batch per document."""
        found: dict[int, BlockReading] = {}
        for reading in {id(r): r for _, r in pooled}.values():
            mine = [i for i, (_, r) in enumerate(pooled) if r is reading]
            blocks = reading.second.readings([pooled[i][0] for i in mine])
            found.update(zip(mine, blocks, strict=True))
        return [found[i] for i in range(len(pooled))]

    def placed(self, listed: list[Listed]) -> list[Answer]:
        """The listed answers placed on their pages, with their confidences where the
        model has a calibration."""
        return [
            self._place(
                item.reading.document,
                item.candidate,
                None if self.calibration is None else self.calibration.probability(item.evidence),
            )
            for item in listed
        ]

    def _read_enough(self, reading: DocumentReading, listed: list[Listed] | None) -> bool:
        """Whether to stop widening: the best answer so far is strong enough (its
        confidence for a calibrated model, its reader score otherwise), or, for a
        calibrated model, so far below "not found" that another round would not
        make it an answer (``widen_from_confidence``). Only a calibrated model's
        decision needs the second reading, so only it gives the ``listed`` answers."""
        if not reading.candidates:
            return False
        if self.calibration is None or listed is None:
            return reading.reader_best() >= self.settings.widen_below
        confidence = self.calibration.probability(listed[0].evidence)
        return not self._widen_from() <= confidence < self._widen_below()

    def _widen_below(self) -> float:
        assert self.calibration is not None
        chosen = self.settings.widen_below_confidence
        return self.calibration.no_answer_threshold if chosen is None else chosen

    def _widen_from(self) -> float:
        chosen = self.settings.widen_from_confidence
        return self._not_found_below() * WIDEN_FROM_SHARE if chosen is None else chosen

    def _not_found_below(self) -> float:
        """The confidence below which a calibrated model's best answer is "not found"."""
        assert self.calibration is not None
        chosen = self.settings.no_answer_threshold
        return self.calibration.no_answer_threshold if chosen is None else chosen

    def settled(self, answers: list[Answer], readings: list[DocumentReading]) -> bool:
        """Whether the best answer is strong enough to read no further (as ``read``
        decides between its own rounds; a weak one does not stop a library's
        rounds, whose next windows may be another document's)."""
        if self.calibration is None:
            best = max((r.reader_best() for r in readings), default=-np.inf)
            return best >= self.settings.widen_below
        confidence = answers[0].confidence if answers else None
        return confidence is not None and confidence >= self._widen_below()

    def no_answer(self, answers: list[Answer], readings: list[DocumentReading]) -> bool:
        """Whether to say "not found": no span at all, the best answer's confidence
        below the threshold (calibrated models), or in every document the null score
        beating its best span by more than it (uncalibrated no-answer models)."""
        if not answers:
            return True
        if self.calibration is not None:
            confidence = answers[0].confidence
            return confidence is not None and confidence < self._not_found_below()
        if self.supports_no_answer:
            threshold = self.settings.no_answer_threshold or 0.0
            return all(
                r.null(self.shared_normalization) - r.reader_best() > threshold
                for r in readings
                if r.candidates
            )
        return False

    def _candidates(
        self,
        batch: EncodedBatch,
        start_logits: np.ndarray,
        end_logits: np.ndarray,
        tokens: DocumentTokens,
        boosts: list[float],
    ) -> list[Candidate]:
        lengths = np.array([w.token_end - w.token_start for w in batch.windows])
        spans = best_spans(
            start_logits,
            end_logits,
            batch.passage_start,
            lengths,
            self.settings.max_answer_tokens,
            self.settings.n_best_per_window,
            passage_boundaries(tokens, batch.windows),
        )
        result = []
        for span in spans:
            window: Window = batch.windows[span.window]
            first = window.token_start + span.start
            last = window.token_start + span.end
            boost = boosts[span.window]
            result.append(
                Candidate(
                    int(tokens.offsets[first, 0]),
                    int(tokens.offsets[last, 1]),
                    span.score + boost,
                    boost,
                )
            )
        return result

    @staticmethod
    def _place(document: Document, candidate: Candidate, confidence: float | None) -> Answer:
        return Answer(
            text=document.text[candidate.char_start : candidate.char_end],
            score=candidate.score,
            page=document.page_at(candidate.char_start),
            char_start=candidate.char_start,
            char_end=candidate.char_end,
            fragments=tuple(document.fragments(candidate.char_start, candidate.char_end)),
            bonus=candidate.boost,
            confidence=confidence,
        )


def passage_boundaries(tokens: DocumentTokens, windows: tuple[Window, ...]) -> np.ndarray:
    """Each window's ``boundary`` values and the next token's (a block start past the
    document's end), padded to the longest window (``best_spans``)."""
    width = max(w.token_end - w.token_start for w in windows)
    found = np.full((len(windows), width + 1), BLOCK_BOUNDARY, dtype=np.int8)
    for row, window in enumerate(windows):
        stop = min(window.token_end + 1, len(tokens))
        found[row, : stop - window.token_start] = tokens.boundary[window.token_start : stop]
    return found


def answer_evidence(
    chosen: list[Candidate],
    nulls: list[float],
    document_windows: int,
    supports: list[QuestionSupport],
    readings: list[BlockReading],
) -> list[Evidence]:
    """What the calibration reads of each of the distinct answers ``chosen`` (best
    first), given the null score of each one's document, how many windows the
    question could read, the question's support in each one's document, and each
    one's second reading (its block read alone)."""
    evidence = []
    listed = zip(chosen, nulls, supports, readings, strict=True)
    for number, (candidate, null, support, reading) in enumerate(listed):
        rivals = [c.score for i, c in enumerate(chosen) if i != number]
        evidence.append(
            Evidence(
                score=candidate.reader_score,
                null_margin=candidate.reader_score - null,
                runner_up_margin=candidate.score - max(rivals) if rivals else NO_RIVAL_MARGIN,
                retrieval_bonus=candidate.boost,
                length=candidate.char_end - candidate.char_start,
                document_windows=document_windows,
                question_support=support.of(candidate),
                block_margin=reading.margin,
            )
        )
    return evidence
