"""Pick the windows worth reading: BM25 over a document's windows (SQLite FTS5).

A document is cut once into windows sized for the longest allowed question,
so the same windows serve every question. For a question, the windows are
ranked by BM25 against it and read best first, a batch of ``retrieval_k`` at
a time; reading widens to the next batch while the best answer so far scores
below ``widen_below`` (see ``Reader.read``). How well a window matches also
adds to the scores of the answers read in it (``Assistant.boosts``).
"""

from __future__ import annotations

import re
import sqlite3

from desktop_qa.core.chunking import DocumentTokens, PairTemplate, Window, plan_windows
from desktop_qa.core.config import ReaderSettings

WORD = re.compile(r"\w+", re.UNICODE)
# English function words left out of a question's query: they match nearly every
# window, and as extra OR terms they lift windows that share only them. Measured on
# 1,690 held-out SQuAD questions (benchmarks/retrieval_recall.py), dropping them
# raised recall@6 of the gold window from 94.7% to 96.0%.
FUNCTION_WORDS = frozenset(
    """
    a about after all also am an and any are as at be been before being between both
    but by can could did do does doing done during each for from had has have having
    he her hers him his how i if in into is it its me might more most must my no nor
    not of on or our ours she should so some such than that the their theirs them
    then there these they this those to under until up upon was we were what when
    where which while who whom whose why will with within would you your
    """.split()  # noqa: SIM905 (a word list reads better as one block)
)


def document_windows(
    tokens: DocumentTokens, template: PairTemplate, settings: ReaderSettings
) -> list[Window]:
    """Windows that fit any question of up to ``max_question_tokens`` tokens."""
    if not len(tokens):
        return []
    capacity = settings.max_seq_len - settings.max_question_tokens - template.special_count
    return plan_windows(tokens, capacity, settings.stride)


def window_text(text: str, tokens: DocumentTokens, window: Window) -> str:
    """The document text a window covers."""
    return text[tokens.offsets[window.token_start, 0] : tokens.offsets[window.token_end - 1, 1]]


def query_words(question: str) -> list[str]:
    """The question's words worth matching: no one-letter words, no function words
    unless the question has nothing else."""
    words = sorted({w.lower() for w in WORD.findall(question) if len(w) > 1})
    content = [w for w in words if w not in FUNCTION_WORDS]
    return content or words


class WindowIndex:
    """One FTS5 index over the windows of one or more documents; BM25 ranks them together."""

    def __init__(self, documents: list[tuple[str, DocumentTokens, list[Window]]]) -> None:
        self.connection = sqlite3.connect(":memory:", check_same_thread=False)
        self.connection.execute(
            "CREATE VIRTUAL TABLE windows USING fts5("
            "text, document UNINDEXED, window UNINDEXED, tokenize='porter unicode61')"
        )
        self.all: list[tuple[int, int]] = []
        for number, (text, tokens, windows) in enumerate(documents):
            for index, w in enumerate(windows):
                self.all.append((number, index))
                self.connection.execute(
                    "INSERT INTO windows (text, document, window) VALUES (?, ?, ?)",
                    (window_text(text, tokens, w), number, index),
                )

    def matches(self, question: str) -> dict[tuple[int, int], float]:
        """The windows sharing a word with the question, best BM25 match first, each
        with its BM25 score relative to the best one's (1.0 for the best)."""
        words = query_words(question)
        if not words:
            return {}
        query = " OR ".join(f'"{w}"' for w in words)
        rows = self.connection.execute(
            "SELECT document, window, bm25(windows) FROM windows WHERE windows MATCH ?"
            " ORDER BY bm25(windows)",
            (query,),
        ).fetchall()
        best = rows[0][2] if rows else 0.0  # FTS5's bm25() is negative: lower is better
        return {(int(d), int(w)): score / best if best < 0 else 1.0 for d, w, score in rows}

    def ranked(self, question: str, lead_within: int = 0) -> list[tuple[int, int]]:
        """All (document, window) pairs, best BM25 match first; see ``order``."""
        return self.order(self.matches(question), lead_within)

    def order(
        self, matches: dict[tuple[int, int], float], lead_within: int = 0
    ) -> list[tuple[int, int]]:
        """All (document, window) pairs, ``matches`` (from ``matches``) first in their
        order, unmatched ones in document order.

        With ``lead_within`` = k > 1, the opening window of the best-matching document
        (title, abstract, summary: where documents state their main facts, in words
        a question rarely shares) is moved into the first k if it is not there.
        """
        order = [*matches, *(pair for pair in self.all if pair not in matches)]
        if lead_within > 1 and order:  # with k = 1 the best match keeps its one place
            lead = (order[0][0], 0)
            if lead not in order[:lead_within]:
                order.remove(lead)
                order.insert(lead_within - 1, lead)
        return order
