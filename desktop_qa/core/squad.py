"""SQuAD-format files: reading them and scoring predictions (EM/F1).

The scoring follows the official SQuAD v2.0 evaluation: answers are lowercased,
stripped of punctuation and of the articles a/an/the, and whitespace-collapsed
before comparing; a question's score is its best over the gold answers; an
unanswerable question's only gold answer is the empty string.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_qa.core.document import Document
from desktop_qa.core.errors import DatasetError

if TYPE_CHECKING:
    from collections.abc import Callable

    from desktop_qa.core.assistant import Assistant

ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
PUNCTUATION = frozenset(string.punctuation)
PARAGRAPH_JOIN = "\n\n"


@dataclass(frozen=True)
class SquadQuestion:
    """One question of a SQuAD file with its context and gold answers."""

    qid: str
    question: str
    context: str
    answers: tuple[str, ...]

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def load_squad(path: Path, whole_articles: bool = False) -> list[list[SquadQuestion]]:
    """Questions of a SQuAD v1.1/v2.0 file, grouped by paragraph, or with
    ``whole_articles`` by article (see ``articles_of``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable JSON file ({exc})") from exc
    try:
        return articles_of(data["data"]) if whole_articles else paragraphs_of(data["data"])
    except (KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not in SQuAD format (missing or wrong field {exc})") from exc


def paragraphs_of(articles: list[Any]) -> list[list[SquadQuestion]]:
    """The questions of SQuAD articles (the file's ``data`` list), grouped by paragraph."""
    return [
        [
            SquadQuestion(
                qid=str(qa["id"]),
                question=qa["question"],
                context=paragraph["context"],
                answers=tuple(a["text"] for a in qa.get("answers", [])),
            )
            for qa in paragraph["qas"]
        ]
        for article in articles
        for paragraph in article["paragraphs"]
    ]


def article_text(article: Any) -> tuple[str, list[int]]:
    """An article as one document: its paragraphs joined by blank lines, and where
    each paragraph starts in that text."""
    starts = []
    length = 0
    for paragraph in article["paragraphs"]:
        starts.append(length)
        length += len(paragraph["context"]) + len(PARAGRAPH_JOIN)
    return PARAGRAPH_JOIN.join(p["context"] for p in article["paragraphs"]), starts


def articles_of(articles: list[Any]) -> list[list[SquadQuestion]]:
    """The questions of SQuAD articles grouped by article, each question's context
    being its whole article (``article_text``): a long document where the reader
    must first find the right passage."""
    grouped = []
    for article in articles:
        text, _ = article_text(article)
        grouped.append(
            [replace(q, context=text) for paragraph in paragraphs_of([article]) for q in paragraph]
        )
    return grouped


def normalize_answer(text: str) -> str:
    """Lowercase, drop punctuation and articles, collapse whitespace (official SQuAD)."""
    text = "".join(ch for ch in text.lower() if ch not in PUNCTUATION)
    return " ".join(ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, gold: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    predicted = normalize_answer(prediction).split()
    expected = normalize_answer(gold).split()
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    precision = common / len(predicted)
    recall = common / len(expected)
    return 2 * precision * recall / (precision + recall)


def evaluate(questions: list[SquadQuestion], predictions: dict[str, str]) -> dict[str, Any]:
    """EM and F1 in percent, overall and split into HasAns/NoAns when both occur."""

    def score(subset: list[SquadQuestion]) -> tuple[float, float]:
        exact = f1 = 0.0
        for q in subset:
            golds = q.answers or ("",)
            prediction = predictions.get(q.qid, "")
            exact += max(exact_match(prediction, g) for g in golds)
            f1 += max(f1_score(prediction, g) for g in golds)
        return 100 * exact / len(subset), 100 * f1 / len(subset)

    if not questions:
        raise DatasetError("the SQuAD file has no questions")
    result: dict[str, Any] = {}
    result["exact"], result["f1"] = score(questions)
    result["total"] = len(questions)
    has_answer = [q for q in questions if q.answerable]
    no_answer = [q for q in questions if not q.answerable]
    if has_answer and no_answer:
        for name, subset in (("HasAns", has_answer), ("NoAns", no_answer)):
            result[f"{name}_exact"], result[f"{name}_f1"] = score(subset)
            result[f"{name}_total"] = len(subset)
    return result


def predict(
    assistant: Assistant,
    paragraphs: list[list[SquadQuestion]],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, str]:
    """Answer every question with the app's own reader; "" where it finds no answer.

    Each context is read as a plain-text document, through the same windowing
    and decoding as a PDF.
    """
    total = sum(len(p) for p in paragraphs)
    predictions: dict[str, str] = {}
    for paragraph in paragraphs:
        if not paragraph:
            continue
        opened = assistant.prepare(Document.from_text(paragraph[0].context))
        for question in paragraph:
            result = assistant.ask(opened, question.question)
            predictions[question.qid] = "" if result.no_answer else result.answers[0].text
            if progress is not None:
                progress(len(predictions), total)
    return predictions
