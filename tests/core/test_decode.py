"""The span decoder on hand-made logits."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_qa.core.decode import (
    Candidate,
    WindowSpan,
    best_spans,
    distinct_answers,
    document_null_score,
    merge_candidates,
)

SEQ = 20
PASSAGE_START = 5


def logits(peaks: dict[int, float], length: int = SEQ) -> np.ndarray:
    row = np.zeros((1, length), dtype=np.float32)
    for position, value in peaks.items():
        row[0, position] = value
    return row


def decode(
    start: np.ndarray, end: np.ndarray, passage_len: int = 12, **kwargs: int
) -> list[WindowSpan]:
    options = {"max_answer_tokens": 30, "n_best": 5} | kwargs
    return best_spans(
        start, end, PASSAGE_START, np.array([passage_len]), options["max_answer_tokens"],
        options["n_best"],
    )  # fmt: skip


def test_best_span_is_the_start_and_end_peak_with_the_logit_sum_as_score() -> None:
    spans = decode(logits({PASSAGE_START + 3: 4.0}), logits({PASSAGE_START + 5: 2.5}))
    best = max(spans, key=lambda s: s.score)
    assert (best.start, best.end) == (3, 5)
    assert best.score == pytest.approx(6.5)


def test_end_before_start_is_never_returned() -> None:
    start = logits({PASSAGE_START + 6: 9.0})
    end = logits({PASSAGE_START + 2: 9.0})
    spans = decode(start, end, n_best=200)
    assert spans
    assert all(s.start <= s.end for s in spans)
    assert max(spans, key=lambda s: s.score).score < 18.0


def test_spans_longer_than_the_maximum_are_excluded() -> None:
    start = logits({PASSAGE_START + 0: 9.0}, length=60)
    end = logits({PASSAGE_START + 40: 9.0}, length=60)
    spans = best_spans(start, end, PASSAGE_START, np.array([50]), max_answer_tokens=30, n_best=500)
    assert all(s.end - s.start < 30 for s in spans)
    assert not any((s.start, s.end) == (0, 40) for s in spans)
    longer = best_spans(start, end, PASSAGE_START, np.array([50]), max_answer_tokens=41, n_best=1)
    assert (longer[0].start, longer[0].end) == (0, 40)


def test_question_tokens_and_padding_are_never_part_of_a_span() -> None:
    start = logits({1: 50.0, PASSAGE_START + 11: 1.0, PASSAGE_START + 13: 50.0})
    end = logits({2: 50.0, PASSAGE_START + 11: 1.0, PASSAGE_START + 14: 50.0})
    spans = decode(start, end, passage_len=12, n_best=500)
    assert all(0 <= s.start <= s.end < 12 for s in spans)
    assert max(spans, key=lambda s: s.score).start == 11


def test_n_best_per_window_in_a_batch() -> None:
    rng = np.random.default_rng(0)
    start = rng.normal(size=(3, SEQ)).astype(np.float32)
    end = rng.normal(size=(3, SEQ)).astype(np.float32)
    spans = best_spans(start, end, PASSAGE_START, np.array([12, 12, 4]), 30, n_best=7)
    per_window = [sum(1 for s in spans if s.window == w) for w in range(3)]
    assert per_window == [7, 7, 7]
    exhaustive = sorted(
        (start[0, PASSAGE_START + i] + end[0, PASSAGE_START + j], i, j)
        for i in range(12)
        for j in range(i, 12)
    )[-7:]
    found = sorted((s.score, s.start, s.end) for s in spans if s.window == 0)
    assert [(i, j) for _, i, j in found] == [(i, j) for _, i, j in exhaustive]


def test_a_per_window_models_null_score_is_its_lowest_windows_sum_at_position_zero() -> None:
    cls_start = np.array([3.0, -2.0])
    cls_end = np.array([1.5, -1.0])
    assert document_null_score(cls_start, cls_end, shared=False) == -3.0


def test_a_shared_normalization_null_score_sums_the_windows_cls_probability() -> None:
    cls_start = np.array([3.0, -2.0, 0.5])
    cls_end = np.array([1.5, -1.0, 0.0])
    expected = np.log(np.exp(cls_start).sum()) + np.log(np.exp(cls_end).sum())
    assert document_null_score(cls_start, cls_end, shared=True) == pytest.approx(expected)
    # One window alone: exactly its own start + end sum, as a span's score is made.
    assert document_null_score(cls_start[:1], cls_end[:1], shared=True) == 4.5
    # Huge logits do not overflow.
    assert document_null_score(np.array([1e4, 1e4]), np.array([0.0]), True) == pytest.approx(
        1e4 + np.log(2)
    )


def test_scores_are_raw_sums_so_windows_compare_without_a_per_window_softmax() -> None:
    # Window 0 has one clear but low-valued peak; window 1 a higher peak among
    # strong rivals. A per-window softmax would prefer window 0; raw sums prefer 1.
    start = np.zeros((2, SEQ), dtype=np.float32)
    end = np.zeros((2, SEQ), dtype=np.float32)
    start[0, :] = end[0, :] = -10
    start[0, PASSAGE_START + 1] = end[0, PASSAGE_START + 1] = 2.0
    start[1, PASSAGE_START:] = end[1, PASSAGE_START:] = 3.0
    start[1, PASSAGE_START + 4] = end[1, PASSAGE_START + 4] = 3.5
    spans = best_spans(start, end, PASSAGE_START, np.array([12, 12]), 30, n_best=3)
    best = max(spans, key=lambda s: s.score)
    assert best.window == 1
    assert best.score == pytest.approx(7.0)


def test_the_same_span_from_overlapping_windows_is_merged_keeping_its_best_score() -> None:
    merged = merge_candidates(
        [Candidate(10, 20, 3.0), Candidate(10, 20, 5.0), Candidate(30, 35, 4.0)]
    )
    assert merged == [Candidate(10, 20, 5.0), Candidate(30, 35, 4.0)]


def test_distinct_answers_drop_spans_overlapping_a_better_one() -> None:
    ranked = [
        Candidate(10, 30, 9.0),
        Candidate(10, 20, 8.0),
        Candidate(25, 40, 7.0),
        Candidate(40, 45, 6.0),
        Candidate(0, 10, 5.0),
    ]
    assert distinct_answers(ranked, top_k=5) == [ranked[0], ranked[3], ranked[4]]
    assert distinct_answers(ranked, top_k=2) == [ranked[0], ranked[3]]


def test_spans_keep_to_one_block_and_to_whole_words() -> None:
    from desktop_qa.core.chunking import BLOCK_BOUNDARY, INSIDE_WORD, WORD_BOUNDARY

    start = logits({PASSAGE_START + 1: 5.0, PASSAGE_START + 4: 9.0})
    end = logits({PASSAGE_START + 2: 6.0, PASSAGE_START + 6: 9.0})
    boundaries = np.full((1, 13), WORD_BOUNDARY, dtype=np.int8)
    free = best_spans(start, end, PASSAGE_START, np.array([12]), 30, 1, boundaries)
    assert (free[0].start, free[0].end) == (4, 6)
    boundaries[0, 5] = BLOCK_BOUNDARY  # a heading starts at passage token 5
    boundaries[0, 4] = INSIDE_WORD  # token 4 continues the word of token 3
    kept = best_spans(start, end, PASSAGE_START, np.array([12]), 30, 3, boundaries)
    assert all(span.start != 4 for span in kept)  # never from inside a word
    assert all(not (span.start < 5 <= span.end) for span in kept)  # never across the heading
    assert (kept[0].start, kept[0].end) == (1, 2)
    boundaries[0, 4] = WORD_BOUNDARY
    boundaries[0, 7] = INSIDE_WORD  # token 6 is followed by the rest of its word
    tail = best_spans(start, end, PASSAGE_START, np.array([12]), 30, 3, boundaries)
    assert all(span.end != 6 for span in tail)  # never ending inside a word
