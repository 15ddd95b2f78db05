"""Spans a reader would accept, on hand-made logits over a real paper's pages:
never across a block boundary, always from a word's start to a word's end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from desktop_qa.core.assistant import Assistant, OpenDocument
from desktop_qa.core.chunking import BLOCK_BOUNDARY, INSIDE_WORD
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.model import load_model_info
from tests.conftest import shared_file
from tests.oracle import OracleLogits, token_span


@pytest.fixture(scope="module")
def alexnet(tiny_model: Path) -> tuple[Assistant, OpenDocument, OracleLogits]:
    oracle = OracleLogits(None)
    assistant = Assistant(load_model_info(tiny_model), ReaderSettings(retrieval_weight=0), oracle)
    return assistant, assistant.open(shared_file("corpus", "alexnet.pdf")), oracle


def test_an_answer_stops_before_the_next_sections_heading(
    alexnet: tuple[Assistant, OpenDocument, OracleLogits],
) -> None:
    assistant, opened, oracle = alexnet
    text = opened.document.text
    number = text.index("11% with normalization")
    heading = text.index("3.4 Overlapping Pooling")
    assert "\n" in text[number:heading]  # the paragraph ends, the heading is its own block
    first, _ = token_span(opened.tokens, number, number + 2)
    _, percent = token_span(opened.tokens, number, number + 3)
    _, heading_end = token_span(opened.tokens, heading, heading + 3)
    assert (opened.tokens.boundary[first + 1 : heading_end + 1] == BLOCK_BOUNDARY).any()
    # The model likes "11% ... 3.4" best; "11%" less; the decoder must not cross the block.
    oracle.others = {(first, percent): 5.0, (first, heading_end): 10.0}
    result = assistant.ask(opened, "How much did normalization reduce the error?", thorough=True)
    assert result.answers[0].text == "11%"
    assert all("\n" not in a.text for a in result.answers)
    oracle.others = {}


def test_an_answer_starts_and_ends_on_word_boundaries(
    alexnet: tuple[Assistant, OpenDocument, OracleLogits],
) -> None:
    assistant, opened, oracle = alexnet
    tokens = opened.tokens
    text = opened.document.text
    inside = np.nonzero(tokens.boundary == INSIDE_WORD)[0]
    # A word of at least three pieces: its first piece, one inside, its last.
    middle = next(int(i) for i in inside if tokens.boundary[i + 1] == INSIDE_WORD)
    head = middle - 1
    while tokens.boundary[head] == INSIDE_WORD:
        head -= 1
    tail = middle + 1
    while tokens.boundary[tail + 1] == INSIDE_WORD:
        tail += 1
    word = text[tokens.offsets[head, 0] : tokens.offsets[tail, 1]]
    # The model's best start is inside the word and its best end inside it too.
    oracle.others = {(head, head): 2.0, (middle, tail - 1): 10.0, (tail, tail): 4.0}
    result = assistant.ask(opened, f"What is {word}?", thorough=True)
    best = result.answers[0]
    assert best.text == word
    for answer in result.answers:
        start, end = answer.char_start, answer.char_end
        assert start == 0 or not (text[start - 1].isalnum() and text[start].isalnum())
        assert end == len(text) or not (text[end - 1].isalnum() and text[end].isalnum())
    oracle.others = {}
