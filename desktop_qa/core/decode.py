"""Turn start/end logits into answer spans, in pure numpy.

A span's score is the raw sum ``start_logit + end_logit``. Unlike a softmax
taken inside each window, raw sums from different windows (and documents) of
the same question are on one scale, so they can be ranked together. The
"no answer" score of a window is the same sum at position 0 (``[CLS]``);
``document_null_score`` combines the windows'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WindowSpan:
    """A span inside one window's passage: inclusive token positions and score."""

    window: int
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Candidate:
    """A span of the document text with its best score over all windows.

    ``score`` is the span's logit sum plus ``boost``, the retrieval bonus of the
    window it was read in (0 without one).
    """

    char_start: int
    char_end: int
    score: float
    boost: float = 0.0

    @property
    def reader_score(self) -> float:
        """The model's own score: the start + end logit sum."""
        return self.score - self.boost


def best_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    passage_start: int,
    passage_lengths: np.ndarray,
    max_answer_tokens: int,
    n_best: int,
    boundaries: np.ndarray | None = None,
) -> list[WindowSpan]:
    """The ``n_best`` highest-scoring spans of every window in a batch.

    Args:
        start_logits, end_logits: (windows, sequence) logits.
        passage_start: Position of the first passage token (same in every window).
        passage_lengths: Passage tokens in each window.
        max_answer_tokens: Longest span allowed, in tokens.
        n_best: Spans kept per window.
        boundaries: (windows, passage width + 1): ``DocumentTokens.boundary`` of each
            window's passage tokens and of the token after them. Given it, a span
            starts and ends on word boundaries and never runs across the start of
            a block (into a heading, a caption, the next paragraph).

    Returns:
        Spans with ``start <= end < start + max_answer_tokens``, both inside the
        passage, positions counted from the passage's first token.
    """
    windows = start_logits.shape[0]
    width = int(passage_lengths.max(initial=0))
    if width == 0:
        return []
    starts = start_logits[:, passage_start : passage_start + width].astype(np.float64)
    ends = end_logits[:, passage_start : passage_start + width].astype(np.float64)
    outside = np.arange(width)[None, :] >= passage_lengths[:, None]
    starts = np.where(outside, -np.inf, starts)
    ends = np.where(outside, -np.inf, ends)
    span = min(max_answer_tokens, width)
    padded_ends = np.concatenate([ends, np.full((windows, span - 1), -np.inf)], axis=1)
    # scores[w, i, d]: span starting at i and ending at i + d.
    shifted = np.lib.stride_tricks.sliding_window_view(padded_ends, span, axis=1)
    scores = starts[:, :, None] + shifted
    if boundaries is not None:
        scores = np.where(_allowed(boundaries[:, : width + 1], span), scores, -np.inf)
    scores = scores.reshape(windows, -1)
    keep = min(n_best, scores.shape[1])
    top = np.argpartition(-scores, keep - 1, axis=1)[:, :keep]
    results = []
    for window in range(windows):
        for flat in top[window]:
            score = scores[window, flat]
            if np.isfinite(score):
                start, length = divmod(int(flat), span)
                results.append(WindowSpan(window, start, start + length, float(score)))
    return results


def _allowed(boundaries: np.ndarray, span: int) -> np.ndarray:
    """[w, i, d]: may a span start at i and end at i + d (``best_spans``)?"""
    from desktop_qa.core.chunking import BLOCK_BOUNDARY, INSIDE_WORD

    windows, width = boundaries.shape[0], boundaries.shape[1] - 1
    starts_word = boundaries[:, :width] != INSIDE_WORD
    ends_word = boundaries[:, 1:] != INSIDE_WORD
    block = np.cumsum(boundaries[:, :width] == BLOCK_BOUNDARY, axis=1)
    pad = np.full((windows, span - 1), -1)
    end_block = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([block, pad], axis=1), span, axis=1
    )
    padded_ends = np.concatenate([ends_word, np.zeros((windows, span - 1), dtype=bool)], axis=1)
    end_ok = np.lib.stride_tricks.sliding_window_view(padded_ends, span, axis=1)
    allowed: np.ndarray = starts_word[:, :, None] & end_ok & (end_block == block[:, :, None])
    return allowed


def document_null_score(cls_starts: np.ndarray, cls_ends: np.ndarray, shared: bool) -> float:
    """The "no answer" score of a document from its windows' ``[CLS]`` logits.

    A model trained with one softmax over a question's windows (``shared``) gives
    "no answer" the probability mass of every window's ``[CLS]``: the score is
    logsumexp of the start logits plus logsumexp of the end logits, on the same
    scale as a span's start + end sum. A model trained window by window gets the
    usual SQuAD 2.0 rule: the lowest window's start + end sum (a window that sees
    the answer lowers its own).
    """
    starts = cls_starts.astype(np.float64)
    ends = cls_ends.astype(np.float64)
    if shared:
        return float(_logsumexp(starts) + _logsumexp(ends))
    return float((starts + ends).min())


def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + float(np.log(np.exp(values - top).sum()))


def merge_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """Keep each character range once, with its best score, best first.

    Overlapping windows find the same span more than once; only the highest
    score of a range counts.
    """
    best: dict[tuple[int, int], Candidate] = {}
    for candidate in candidates:
        key = (candidate.char_start, candidate.char_end)
        if key not in best or candidate.score > best[key].score:
            best[key] = candidate
    return sorted(best.values(), key=lambda c: (-c.score, c.char_start, c.char_end))


def distinct_answers(ranked: list[Candidate], top_k: int) -> list[Candidate]:
    """The ``top_k`` best candidates whose text ranges do not overlap.

    A span inside or across a better one ("60 million" under "60 million
    parameters") points at the same place, so it is not a second answer.
    """
    chosen: list[Candidate] = []
    for candidate in ranked:
        if len(chosen) == top_k:
            break
        if all(
            candidate.char_end <= kept.char_start or candidate.char_start >= kept.char_end
            for kept in chosen
        ):
            chosen.append(candidate)
    return chosen
