"""Questions and answers to store, made without a model (history tests need none)."""

from __future__ import annotations

from desktop_qa.core.document import Document, Fragment
from desktop_qa.core.reader import Answer, ReadResult

TEXT = "The Normans gave their name to Normandy. Rollo led them in the 10th century."


def document(text: str = TEXT, title: str = "Normans") -> Document:
    return Document.from_text(text, title)


def result(question: str, answers: list[str], text: str = TEXT) -> ReadResult:
    """A read result whose answers are spans of ``text`` with made-up boxes on page 1,
    and confidences 0.9, 0.4, ..."""
    placed = []
    for rank, answer in enumerate(answers):
        start = text.index(answer)
        box = (10.0 * rank, 20.0, 10.0 * rank + 50, 30.0)
        placed.append(
            Answer(
                answer,
                10.0 - rank,
                1,
                start,
                start + len(answer),
                (Fragment(1, box),),
                confidence=round(0.9 - 0.5 * rank, 2) if rank < 2 else None,
            )
        )
    return ReadResult(question, placed, not placed, None, 1, False, 12.5)
