"""Cut a document into model-sized windows that keep their character offsets.

The document text is tokenised once, independently of any question. For a
question, windows are slices of those tokens laid out as the model expects
(``[CLS] question [SEP] passage [SEP]`` for BERT; the layout is read from the
tokenizer's own pair template, so RoBERTa-style models work too).

"Stride" here means the overlap: the number of passage tokens two consecutive
windows share (Hugging Face's meaning), not the step from one window's start to
the next. Windows prefer to start at a block or sentence boundary near where
the overlap would put them, which can widen the overlap by up to half a stride.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop_qa.core.errors import BrokenModelError, EmptyQuestionError, InputError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

BLOCK_BOUNDARY = 2
SENTENCE_BOUNDARY = 1
WORD_BOUNDARY = 0
INSIDE_WORD = -1
SENTENCE_END = frozenset(".!?")


@dataclass(frozen=True)
class PairTemplate:
    """Where a tokenizer puts special tokens around a (question, passage) pair."""

    prefix: tuple[int, ...]
    middle: tuple[int, ...]
    suffix: tuple[int, ...]
    question_type: int
    passage_type: int
    pad_id: int

    @property
    def special_count(self) -> int:
        return len(self.prefix) + len(self.middle) + len(self.suffix)


class QATokenizer:
    """A ``tokenizers`` tokenizer set up for extractive QA (no truncation, no padding)."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        padding = tokenizer.padding  # read before it is switched off: it names the pad token
        tokenizer.no_truncation()
        tokenizer.no_padding()
        self.tokenizer = tokenizer
        self.template = _pair_template(tokenizer, padding["pad_id"] if padding else None)

    @classmethod
    def from_file(cls, path: Path) -> QATokenizer:
        from tokenizers import Tokenizer

        try:
            return cls(Tokenizer.from_file(str(path)))
        except Exception as exc:  # tokenizers raises plain Exception on bad JSON
            raise BrokenModelError(f"{path}: not a usable tokenizer.json ({exc})") from exc

    def encode_text(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Token ids and (start, end) character offsets of ``text``, no special tokens."""
        encoding = self.tokenizer.encode(text, add_special_tokens=False)
        ids = np.asarray(encoding.ids, dtype=np.int64)
        offsets = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
        return ids, offsets


def _pair_template(tokenizer: Tokenizer, pad_id: int | None) -> PairTemplate:
    """The pair layout; the pad id is the tokenizer's padding setting, else its ``<pad>``
    (MPNet and RoBERTa vocabularies hold BERT's ``[PAD]`` too, at another id), else
    ``[PAD]``, else 0."""
    probe = tokenizer.encode("question", "passage", add_special_tokens=True)
    sequence_ids = probe.sequence_ids
    question = [i for i, s in enumerate(sequence_ids) if s == 0]
    passage = [i for i, s in enumerate(sequence_ids) if s == 1]
    if not question or not passage:
        raise BrokenModelError("the tokenizer does not encode question/passage pairs")
    ids = probe.ids
    for name in ("<pad>", "[PAD]"):
        if pad_id is None:
            pad_id = tokenizer.token_to_id(name)
    return PairTemplate(
        prefix=tuple(ids[: question[0]]),
        middle=tuple(ids[question[-1] + 1 : passage[0]]),
        suffix=tuple(ids[passage[-1] + 1 :]),
        question_type=probe.type_ids[question[0]],
        passage_type=probe.type_ids[passage[0]],
        pad_id=0 if pad_id is None else pad_id,
    )


@dataclass(frozen=True)
class DocumentTokens:
    """The tokens of a document's text, with where each token starts a unit of text.

    Attributes:
        ids: Token ids.
        offsets: (start, end) character offsets of each token in the text.
        boundary: What each token starts: 2 a block, 1 a sentence, 0 a word
            (or a punctuation mark), -1 nothing: it continues the word of the
            token before it ("##ions" of "projections").
    """

    ids: np.ndarray
    offsets: np.ndarray
    boundary: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def tokenize_document(tokenizer: QATokenizer, text: str) -> DocumentTokens:
    """Tokenise a document's text once, for any number of questions."""
    ids, offsets = tokenizer.encode_text(text)
    return DocumentTokens(ids, offsets, _boundaries(text, offsets))


def answer_tokens(tokens: DocumentTokens, char_start: int, char_end: int) -> tuple[int, int] | None:
    """First and last token (inclusive) of a character span, if any token covers it."""
    overlaps = (tokens.offsets[:, 1] > char_start) & (tokens.offsets[:, 0] < char_end)
    covering = np.nonzero(overlaps)[0]
    return (int(covering[0]), int(covering[-1])) if len(covering) else None


def _boundaries(text: str, offsets: np.ndarray) -> np.ndarray:
    boundary = np.zeros(len(offsets), dtype=np.int8)
    if len(offsets) == 0:
        return boundary
    boundary[0] = BLOCK_BOUNDARY
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    newlines_before = np.concatenate(([0], np.cumsum(codes == ord("\n"))))
    previous_end = offsets[:-1, 1]
    start = offsets[1:, 0]
    gap = start > previous_end
    newline_in_gap = newlines_before[start] > newlines_before[previous_end]
    sentence_marks = np.array([ord(c) for c in SENTENCE_END], dtype=np.uint32)
    ends_sentence = np.isin(codes[np.maximum(previous_end - 1, 0)], sentence_marks)
    inside_word = (
        ~gap
        & _alphanumeric(codes[np.maximum(previous_end - 1, 0)])
        & _alphanumeric(codes[np.minimum(start, len(codes) - 1)])
    )
    boundary[1:] = np.where(
        gap & newline_in_gap,
        BLOCK_BOUNDARY,
        np.where(
            gap & ends_sentence,
            SENTENCE_BOUNDARY,
            np.where(inside_word, INSIDE_WORD, WORD_BOUNDARY),
        ),
    )
    return boundary


ASCII_ALPHANUMERIC = np.array([chr(c).isalnum() for c in range(128)], dtype=bool)


def _alphanumeric(codes: np.ndarray) -> np.ndarray:
    """Which code points are letters or digits (any script; ASCII by table)."""
    found = np.zeros(len(codes), dtype=bool)
    ascii_codes = codes < 128
    found[ascii_codes] = ASCII_ALPHANUMERIC[codes[ascii_codes]]
    others = np.nonzero(~ascii_codes)[0]
    found[others] = [chr(int(codes[i])).isalnum() for i in others]
    return found


@dataclass(frozen=True)
class Question:
    """A tokenised question, already cut to the allowed length."""

    text: str
    ids: tuple[int, ...]
    truncated: bool


def tokenize_question(tokenizer: QATokenizer, text: str, max_tokens: int) -> Question:
    """Tokenise a question; longer than ``max_tokens`` is cut, with a warning."""
    text = " ".join(text.split())
    if not text:
        raise EmptyQuestionError("the question is empty")
    ids, _ = tokenizer.encode_text(text)
    if len(ids) == 0:
        raise EmptyQuestionError(f"the question {text!r} has no words the model knows")
    truncated = len(ids) > max_tokens
    if truncated:
        log.warning(
            "the question is %d tokens long; only its first %d are used", len(ids), max_tokens
        )
    return Question(text, tuple(int(i) for i in ids[:max_tokens]), truncated)


@dataclass(frozen=True)
class Window:
    """A run of document tokens ``[token_start, token_end)`` read together."""

    token_start: int
    token_end: int


def plan_windows(tokens: DocumentTokens, capacity: int, stride: int) -> list[Window]:
    """Lay windows of at most ``capacity`` passage tokens over the document.

    Consecutive windows share at least ``stride`` tokens. The next window starts
    ``stride`` tokens before the previous one ends, or up to half a stride
    earlier where a block (preferred) or sentence starts there.
    """
    if capacity < 1:
        raise InputError("the question leaves no room for the passage in a window")
    if stride >= capacity:
        raise InputError(
            f"stride {stride} must be smaller than the {capacity} passage tokens a window holds"
        )
    total = len(tokens)
    windows: list[Window] = []
    start = 0
    while True:
        end = min(start + capacity, total)
        windows.append(Window(start, end))
        if end >= total:
            return windows
        start = _next_start(
            tokens.boundary, previous_start=start, nominal=end - stride, slack=stride // 2
        )


def _next_start(boundary: np.ndarray, previous_start: int, nominal: int, slack: int) -> int:
    low = max(nominal - slack, previous_start + 1)
    if low >= nominal:
        return nominal
    candidates = boundary[low : nominal + 1]
    best = int(candidates.max())
    if best == 0:
        return nominal
    # The latest position with the strongest boundary keeps the overlap smallest.
    return low + int(np.nonzero(candidates == best)[0][-1])


@dataclass(frozen=True)
class EncodedBatch:
    """Model inputs for a batch of windows, padded to the longest one."""

    input_ids: np.ndarray
    attention_mask: np.ndarray
    token_type_ids: np.ndarray
    passage_start: int
    windows: tuple[Window, ...]


def encode_windows(
    template: PairTemplate, question: Question, tokens: DocumentTokens, windows: list[Window]
) -> EncodedBatch:
    """Build ``input_ids``/``attention_mask``/``token_type_ids`` for some windows.

    Every window's passage begins at the same position, ``passage_start``.
    """
    head = [*template.prefix, *question.ids, *template.middle]
    passage_start = len(head)
    lengths = [passage_start + w.token_end - w.token_start + len(template.suffix) for w in windows]
    width = max(lengths)
    input_ids = np.full((len(windows), width), template.pad_id, dtype=np.int64)
    token_types = np.zeros((len(windows), width), dtype=np.int64)
    attention = np.zeros((len(windows), width), dtype=np.int64)
    for row, (window, length) in enumerate(zip(windows, lengths, strict=True)):
        passage_end = passage_start + window.token_end - window.token_start
        input_ids[row, :passage_start] = head
        input_ids[row, passage_start:passage_end] = tokens.ids[
            window.token_start : window.token_end
        ]
        input_ids[row, passage_end:length] = template.suffix
        token_types[row, :passage_start] = template.question_type
        token_types[row, passage_start:length] = template.passage_type
        attention[row, :length] = 1
    return EncodedBatch(input_ids, attention, token_types, passage_start, tuple(windows))
