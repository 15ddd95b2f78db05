"""The second reading: each listed answer's own block read again, alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_qa.core.assistant import Assistant, ask_library
from desktop_qa.core.chunking import (
    DocumentTokens,
    EncodedBatch,
    QATokenizer,
    Window,
    tokenize_document,
)
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import Document
from desktop_qa.core.model import load_model_info
from desktop_qa.core.reader import SECOND_READ
from desktop_qa.core.second_reading import block_window
from tests.oracle import OracleLogits, PhraseOracle, token_span

PARAGRAPHS = [
    "The castle of Ardmore was built of grey stone in the year 1204 by the duke.",
    "Its chapel, finished later, holds a bell that was cast in the year 1350.",
    "Visitors climb the tower in summer to see the bay and the islands beyond it.",
]
TEXT = "\n".join(PARAGRAPHS)


def tokens_of(model: Path, text: str = TEXT) -> DocumentTokens:
    return tokenize_document(QATokenizer.from_file(model / "tokenizer.json"), text)


def paragraph_tokens(tokens: DocumentTokens, number: int) -> tuple[int, int]:
    start = sum(len(p) + 1 for p in PARAGRAPHS[:number])
    return token_span(tokens, start, start + len(PARAGRAPHS[number]))


def test_the_block_window_is_the_answers_paragraph(tiny_model: Path) -> None:
    tokens = tokens_of(tiny_model)
    first, last = paragraph_tokens(tokens, 1)
    year = TEXT.index("1350")
    span = token_span(tokens, year, year + 4)
    assert block_window(tokens, *span, capacity=200) == Window(first, last + 1)
    opening = token_span(tokens, 0, len("The castle"))
    assert block_window(tokens, *opening, capacity=200) == Window(
        0, paragraph_tokens(tokens, 0)[1] + 1
    )


def test_a_block_longer_than_a_window_gives_a_window_around_the_answer(tiny_model: Path) -> None:
    text = " ".join(f"Stone {i} was laid in the year {1000 + i}." for i in range(200))
    tokens = tokens_of(tiny_model, text)
    at = text.index("Stone 150 ")
    first, last = token_span(tokens, at, at + len("Stone 150"))
    window = block_window(tokens, first, last, capacity=60)
    assert window.token_end - window.token_start == 60
    assert window.token_start <= first and last < window.token_end
    assert abs((window.token_start + window.token_end) / 2 - (first + last) / 2) <= 1
    at_end = block_window(tokens, len(tokens) - 2, len(tokens) - 1, capacity=60)
    assert at_end == Window(len(tokens) - 60, len(tokens))


class BlockAwareOracle(OracleLogits):
    """Oracle logits where one span (a decoy) scores high only in a wide window:
    its own paragraph read alone gives it ``alone``."""

    def __init__(self, decoy: tuple[int, int], block: Window, alone: float) -> None:
        super().__init__(None, others={decoy: 10.5})
        self.decoy, self.block, self.alone = decoy, block, alone

    def logits(self, batch: EncodedBatch) -> tuple[np.ndarray, np.ndarray]:
        start, end = super().logits(batch)
        for row, window in enumerate(batch.windows):
            if window == self.block:
                first, last = self.decoy
                start[row, batch.passage_start + first - window.token_start] = self.alone
                end[row, batch.passage_start + last - window.token_start] = self.alone
        return start, end


def test_an_answer_its_own_paragraph_does_not_support_falls_behind(tiny_model: Path) -> None:
    settings = ReaderSettings(max_seq_len=200, retrieval_weight=0.0)
    opened = Assistant(load_model_info(tiny_model), settings).prepare(Document.from_text(TEXT))
    assert len(opened.windows) == 1  # one window sees all three paragraphs
    tokens = opened.tokens
    decoy_at, gold_at = TEXT.index("1204"), TEXT.index("1350")
    decoy = token_span(tokens, decoy_at, decoy_at + 4)
    gold = token_span(tokens, gold_at, gold_at + 4)
    first, last = paragraph_tokens(tokens, 0)
    oracle = BlockAwareOracle(decoy, Window(first, last + 1), alone=2.0)
    oracle.span = gold
    assistant = Assistant(load_model_info(tiny_model), settings, oracle)
    result = assistant.ask(opened, "When was the bell cast?")
    texts = [a.text for a in result.answers]
    assert texts[:2] == ["1350", "1204"]  # in the window alone the decoy led, 21 against 20
    assert result.answers[0].score == pytest.approx((20.0 + 20.0) / 2)
    assert result.answers[1].score == pytest.approx((21.0 + 4.0) / 2)
    assert result.evidence[0].score == pytest.approx(20.0)  # the window's own reading
    assert result.evidence[0].block_margin == pytest.approx(20.0)  # over its block's [CLS] (0)
    assert result.evidence[1].block_margin == pytest.approx(4.0)
    read_alone = [w for b in oracle.batches[1:] for w in b.windows]
    assert Window(first, last + 1) in read_alone
    assert len(read_alone) == len(set(read_alone))  # a block shared by two answers: read once


def test_a_window_that_is_the_whole_block_is_not_read_again(tiny_model: Path) -> None:
    settings = ReaderSettings(max_seq_len=200)
    oracle = OracleLogits(None)
    assistant = Assistant(load_model_info(tiny_model), settings, oracle)
    opened = assistant.prepare(Document.from_text(PARAGRAPHS[1]))
    at = PARAGRAPHS[1].index("1350")
    oracle.span = token_span(opened.tokens, at, at + 4)
    result = assistant.ask(opened, "When was the bell cast?")
    assert result.answers[0].text == "1350"
    assert result.evidence[0].block_margin == pytest.approx(20.0)
    assert len(oracle.batches) == 1  # a paragraph asked alone: its one window is its block


class CountingPhraseOracle(PhraseOracle):
    """A library's phrase oracle that keeps the windows of every batch it runs."""

    def __init__(self, *phrases: tuple[int, ...]) -> None:
        super().__init__(*phrases)
        self.batches: list[tuple[Window, ...]] = []

    def logits(self, batch: EncodedBatch) -> tuple[np.ndarray, np.ndarray]:
        self.batches.append(batch.windows)
        return super().logits(batch)


def test_a_library_reads_again_only_its_best_answers_blocks(tiny_model: Path) -> None:
    towns = ["Arden", "Belmor", "Corran", "Dunmere", "Elsby", "Farlow", "Glenholm", "Harrow"]
    years = [str(1101 + 7 * n) for n in range(len(towns))]
    texts = [
        f"The town of {town} lies on a river in the north of the valley.\n"
        f"Its stone bridge was built in the year {year} by masons from the coast."
        for town, year in zip(towns, years, strict=True)
    ]
    settings = ReaderSettings(max_seq_len=200, top_k=2, retrieval_k=6)
    tokenizer = QATokenizer.from_file(tiny_model / "tokenizer.json")
    oracle = CountingPhraseOracle(*(tuple(tokenizer.encode_text(y)[0].tolist()) for y in years))
    assistant = Assistant(load_model_info(tiny_model), settings, oracle)
    documents = [assistant.prepare(Document.from_text(text)) for text in texts]
    assert all(len(d.windows) == 1 for d in documents)  # each window holds both paragraphs
    result = ask_library(assistant, documents, "When was the bridge built?")
    assert result.windows == 6
    assert [a.answer.text in years for a in result.answers] == [True, True]
    assert len({a.document.text for a in result.answers}) == 2  # from two documents
    run = [w for batch in oracle.batches for w in batch]
    assert len(run) - result.windows == max(settings.top_k, SECOND_READ)  # the best three blocks
    for answer in result.answers:  # each scored by both readings: 20 in each
        assert answer.answer.score == pytest.approx(20.0 + answer.answer.bonus)
