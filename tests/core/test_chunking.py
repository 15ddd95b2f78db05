"""Windows over a document: offsets, overlap, boundaries, model inputs."""

from __future__ import annotations

import logging
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from desktop_qa.core.chunking import (
    BLOCK_BOUNDARY,
    DocumentTokens,
    QATokenizer,
    Window,
    answer_tokens,
    encode_windows,
    plan_windows,
    tokenize_document,
    tokenize_question,
)
from desktop_qa.core.document import Document, open_pdf
from desktop_qa.core.errors import EmptyQuestionError, InputError
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def tokenizer(tiny_model: Path) -> QATokenizer:
    return QATokenizer.from_file(tiny_model / "tokenizer.json")


@pytest.fixture(scope="module")
def alexnet_tokens(tokenizer: QATokenizer) -> tuple[Document, DocumentTokens]:
    document = open_pdf(shared_file("corpus", "alexnet.pdf"))
    return document, tokenize_document(tokenizer, document.text)


def test_every_token_offset_slices_exactly_the_text_it_stands_for(
    tokenizer: QATokenizer, alexnet_tokens: tuple[Document, DocumentTokens]
) -> None:
    document, tokens = alexnet_tokens
    normalizer = tokenizer.tokenizer.normalizer
    vocabulary = {i: t for t, i in tokenizer.tokenizer.get_vocab().items()}
    unknown = tokenizer.tokenizer.token_to_id("[UNK]")
    assert len(tokens) > 5000
    assert (np.diff(tokens.offsets[:, 0]) > 0).all(), "tokens advance through the text"
    for token_id, (start, end) in zip(tokens.ids, tokens.offsets, strict=True):
        piece = normalizer.normalize_str(document.text[start:end])
        if token_id != unknown:
            assert piece == vocabulary[int(token_id)].removeprefix("##")


def test_a_tokens_character_range_maps_back_to_its_tokens(
    alexnet_tokens: tuple[Document, DocumentTokens],
) -> None:
    _, tokens = alexnet_tokens
    for first, last in ((0, 0), (5, 8), (1000, 1029), (len(tokens) - 3, len(tokens) - 1)):
        span = answer_tokens(tokens, int(tokens.offsets[first, 0]), int(tokens.offsets[last, 1]))
        assert span == (first, last)
    assert answer_tokens(tokens, 10**9, 10**9 + 4) is None


def test_windows_fit_overlap_by_the_stride_and_cover_the_document(
    tokenizer: QATokenizer, alexnet_tokens: tuple[Document, DocumentTokens]
) -> None:
    _, tokens = alexnet_tokens
    question = tokenize_question(tokenizer, "How many parameters does the network have?", 64)
    capacity = 512 - len(question.ids) - tokenizer.template.special_count
    stride = 128
    windows = plan_windows(tokens, capacity, stride)
    assert windows[0].token_start == 0 and windows[-1].token_end == len(tokens)
    for previous, window in pairwise(windows):
        overlap = previous.token_end - window.token_start
        assert stride <= overlap <= stride + stride // 2
    batch = encode_windows(tokenizer.template, question, tokens, windows)
    assert batch.input_ids.shape[1] <= 512
    assert (batch.attention_mask.sum(axis=1) <= 512).all()


def test_windows_prefer_to_start_at_a_block_or_sentence(
    tokenizer: QATokenizer, alexnet_tokens: tuple[Document, DocumentTokens]
) -> None:
    _, tokens = alexnet_tokens
    windows = plan_windows(tokens, capacity=400, stride=128)
    at_boundary = [tokens.boundary[w.token_start] > 0 for w in windows[1:]]
    assert sum(at_boundary) >= 0.8 * len(at_boundary)
    # Where a block boundary lies in reach, the window starts at one.
    for previous, window in pairwise(windows):
        nominal = previous.token_end - 128
        reach = tokens.boundary[nominal - 64 : nominal + 1]
        if (reach == BLOCK_BOUNDARY).any():
            assert tokens.boundary[window.token_start] == BLOCK_BOUNDARY


def test_stride_is_the_overlap_in_tokens() -> None:
    tokens = DocumentTokens(
        ids=np.arange(1000), offsets=np.stack([np.arange(1000)] * 2, axis=1),
        boundary=np.zeros(1000, dtype=np.int8),
    )  # fmt: skip
    windows = plan_windows(tokens, capacity=300, stride=100)
    assert [(w.token_start, w.token_end) for w in windows] == [
        (0, 300), (200, 500), (400, 700), (600, 900), (800, 1000),
    ]  # fmt: skip
    with pytest.raises(InputError, match="stride"):
        plan_windows(tokens, capacity=300, stride=300)


def test_model_inputs_are_cls_question_sep_passage_sep_with_segment_ids(
    tokenizer: QATokenizer,
) -> None:
    document = Document.from_text("The Normans were in Normandy. They came from Norway.")
    tokens = tokenize_document(tokenizer, document.text)
    question = tokenize_question(tokenizer, "Where were the Normans?", 64)
    short, long = plan_windows(tokens, capacity=6, stride=2)[-1], plan_windows(tokens, 50, 2)[0]
    batch = encode_windows(tokenizer.template, question, tokens, [long, short])
    cls, sep = tokenizer.tokenizer.token_to_id("[CLS]"), tokenizer.tokenizer.token_to_id("[SEP]")
    q = len(question.ids)
    row = batch.input_ids[0]
    assert row[0] == cls and row[q + 1] == sep and batch.passage_start == q + 2
    n = len(tokens)
    assert list(row[q + 2 : q + 2 + n]) == list(tokens.ids) and row[q + 2 + n] == sep
    assert list(batch.token_type_ids[0, : q + 2]) == [0] * (q + 2)
    assert list(batch.token_type_ids[0, q + 2 : q + 3 + n]) == [1] * (n + 1)
    short_length = q + 3 + short.token_end - short.token_start
    assert batch.attention_mask[1].sum() == short_length
    assert (batch.input_ids[1, short_length:] == tokenizer.template.pad_id).all()


def test_an_mpnet_tokenizer_lays_pairs_out_as_mpnet_does_and_pads_with_its_pad(
    tmp_path: Path,
) -> None:
    from desktop_qa.core.standin import build_tokenizer

    build_tokenizer(3000, layout="mpnet").save(str(tmp_path / "tokenizer.json"))
    mpnet = QATokenizer.from_file(tmp_path / "tokenizer.json")
    tokens = tokenize_document(mpnet, "The Normans were in Normandy.")
    question = tokenize_question(mpnet, "Where were they?", 64)
    window = plan_windows(tokens, capacity=50, stride=2)[0]
    batch = encode_windows(mpnet.template, question, tokens, [window, Window(0, 2)])
    ids = mpnet.tokenizer.token_to_id
    q, n = len(question.ids), len(tokens)
    row = list(batch.input_ids[0])
    assert row[0] == ids("<s>") and row[q + 1 : q + 3] == [ids("</s>")] * 2
    assert batch.passage_start == q + 3 and row[q + 3 + n] == ids("</s>")
    assert mpnet.template.pad_id == ids("<pad>") == 1
    assert (batch.input_ids[1, q + 6 :] == 1).all()


def test_long_questions_are_truncated_with_a_warning(
    tokenizer: QATokenizer, caplog: pytest.LogCaptureFixture
) -> None:
    text = " ".join(["what"] * 100)
    with caplog.at_level(logging.WARNING):
        question = tokenize_question(tokenizer, text, 64)
    assert len(question.ids) == 64 and question.truncated
    assert "only its first 64" in caplog.text


def test_empty_question_is_refused(tokenizer: QATokenizer) -> None:
    with pytest.raises(EmptyQuestionError):
        tokenize_question(tokenizer, "  \n\t ", 64)
