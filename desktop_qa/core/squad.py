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
from typing import TYPE_CHECKING, Any, Literal

from desktop_qa.core.document import Document
from desktop_qa.core.errors import DatasetError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from desktop_qa.core.assistant import Assistant
    from desktop_qa.core.reader import ReadResult

ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
PUNCTUATION = frozenset(string.punctuation)
PARAGRAPH_JOIN = "\n\n"
SENTENCE = re.compile(r"[^.!?]*(?:[.!?]+|$)\s*")
#: What a question is asked of: its whole article or its own paragraph.
Level = Literal["article", "paragraph"]
#: Both, as a calibration is fitted by default (``calibration_groups``).
LEVELS: tuple[Level, ...] = ("article", "paragraph")


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
    articles = load_articles(path)
    try:
        return articles_of(articles) if whole_articles else paragraphs_of(articles)
    except (KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not in SQuAD format (missing or wrong field {exc})") from exc


def load_articles(path: Path) -> list[Any]:
    """The articles (the ``data`` list) of a SQuAD file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable JSON file ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise DatasetError(f"{path}: not in SQuAD format (no 'data' list of articles)")
    articles: list[Any] = data["data"]
    return articles


def squad2_groups(articles: list[Any], level: Level = "article") -> list[list[SquadQuestion]]:
    """Questions asked SQuAD 2.0-style of whole articles (``level="article"``) or of
    their own paragraph (``"paragraph"``): a file with unanswerable questions as it
    is, a SQuAD v1.1 file with unanswerable ones made from its articles
    (``with_unanswerable``)."""
    try:
        has_unanswerable = any(
            not qa.get("answers") for a in articles for p in a["paragraphs"] for qa in p["qas"]
        )
        if has_unanswerable:
            return articles_of(articles) if level == "article" else paragraphs_of(articles)
        return with_unanswerable(articles, level)
    except (KeyError, TypeError, AttributeError) as exc:
        raise DatasetError(f"not in SQuAD format (missing or wrong field {exc})") from exc


def calibration_groups(
    articles: list[Any], levels: Sequence[Level] = LEVELS
) -> list[list[SquadQuestion]]:
    """What a calibration is fitted on: the questions asked SQuAD 2.0-style of their
    whole articles and again of their own paragraph, each level with its own
    unanswerable share, so that a probability (and the "not found" threshold) holds
    for a short document as for a long one (recipe G's fit on whole articles alone
    said "not found" to a fifth of answerable single-paragraph questions; one that
    added the paragraphs without unanswerable ones set the threshold too low to say
    it). ``levels=("article",)`` fits on whole articles alone, which serves a model
    whose confidence already tells a paragraph from a whole article (the built-in
    one, on its fitting articles fitted on three and measured on the fourth: 3.6
    F1 better on answerable questions asked of their paragraph, 0.4 less asked
    whole)."""
    return [group for level in levels for group in squad2_groups(articles, level)]


def spread(groups: list[list[SquadQuestion]], limit: int | None) -> list[list[SquadQuestion]]:
    """About ``limit`` of the questions of ``groups``: every k-th one in file order, so
    that the documents and the share of unanswerable questions stay represented
    (``None``: all of them)."""
    total = sum(len(group) for group in groups)
    if limit is None or total <= limit:
        return groups
    step = -(-total // max(limit, 1))
    kept: list[list[SquadQuestion]] = []
    first = 0  # the index, over all groups, of the group's first question
    for group in groups:
        chosen = group[(-first) % step :: step]
        first += len(group)
        if chosen:
            kept.append(chosen)
    return kept


def paragraphs_of(articles: list[Any]) -> list[list[SquadQuestion]]:
    """The questions of SQuAD articles (the file's ``data`` list), grouped by paragraph."""
    return [
        [asked_of(qa, paragraph["context"]) for qa in paragraph["qas"]]
        for article in articles
        for paragraph in article["paragraphs"]
    ]


def asked_of(qa: Any, context: str) -> SquadQuestion:
    """A SQuAD file's question (its ``qas`` entry) asked of ``context``."""
    return SquadQuestion(
        qid=str(qa["id"]),
        question=qa["question"],
        context=context,
        answers=tuple(a["text"] for a in qa.get("answers", [])),
    )


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


@dataclass(frozen=True)
class Asked:
    """One question of a SQuAD file as the app's reader answered it."""

    question: SquadQuestion
    result: ReadResult

    @property
    def prediction(self) -> str:
        """The answer as SQuAD scores it: "" for "not found"."""
        return "" if self.result.no_answer else self.result.answers[0].text

    def f1s(self) -> list[float]:
        """Each listed answer's F1 against the gold ones (0 for an unanswerable question)."""
        golds = self.question.answers or ("",)
        return [max(f1_score(a.text, g) for g in golds) for a in self.result.answers]


def ask_all(
    assistant: Assistant,
    paragraphs: list[list[SquadQuestion]],
    progress: Callable[[int, int], None] | None = None,
) -> list[Asked]:
    """Ask every question with the app's own reader, each context read as a plain-text
    document through the same windowing and decoding as a PDF."""
    total = sum(len(p) for p in paragraphs)
    asked: list[Asked] = []
    for paragraph in paragraphs:
        if not paragraph:
            continue
        opened = assistant.prepare(Document.from_text(paragraph[0].context))
        for question in paragraph:
            asked.append(Asked(question, assistant.ask(opened, question.question)))
            if progress is not None:
                progress(len(asked), total)
    return asked


def scored_confidence(asked: list[Asked]) -> dict[str, Any]:
    """ECE (10 bins, as a fraction) of the best answers' confidences against their being right
    (F1 >= 0.5; any answer to an unanswerable question is wrong), where the answers
    carry one, and the share of "not found" that was right on each side."""
    from desktop_qa.core.calibration import RIGHT_F1, expected_calibration_error

    scores: dict[str, Any] = {}
    rated = [a for a in asked if a.result.answers and a.result.answers[0].confidence is not None]
    if rated:
        confidences = [float(a.result.answers[0].confidence or 0.0) for a in rated]
        right = [a.f1s()[0] >= RIGHT_F1 for a in rated]
        scores["ece"] = round(expected_calibration_error(confidences, right), 4)
        scores["mean_confidence"] = round(sum(confidences) / len(confidences), 4)
        scores["confidence_total"] = len(rated)
    unanswerable = [a for a in asked if not a.question.answerable]
    if unanswerable:
        found = sum(a.result.no_answer for a in unanswerable)
        scores["no_answer_accuracy"] = round(100 * found / len(unanswerable), 2)
    answerable = [a for a in asked if a.question.answerable]
    if answerable:
        wrongly = sum(a.result.no_answer for a in answerable)
        scores["answerable_said_not_found"] = round(100 * wrongly / len(answerable), 2)
        guessed = [a.f1s()[0] if a.result.answers else 0.0 for a in answerable]
        scores["best_guess_f1"] = round(100 * sum(guessed) / len(answerable), 2)
    return scores


def predict(
    assistant: Assistant,
    paragraphs: list[list[SquadQuestion]],
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, str]:
    """Every question's answer by the app's reader (``ask_all``); "" where it finds none."""
    return {a.question.qid: a.prediction for a in ask_all(assistant, paragraphs, progress)}


def without_sentence(context: str, char_start: int, char_end: int) -> str:
    """The context with every sentence that overlaps [char_start, char_end) deleted."""
    kept = []
    for match in SENTENCE.finditer(context):
        if match.end() <= char_start or match.start() >= char_end:
            kept.append(match.group())
    return "".join(kept).strip()


def with_unanswerable(articles: list[Any], level: Level = "article") -> list[list[SquadQuestion]]:
    """A SQuAD 2.0-style set made from SQuAD articles, grouped by document.

    Every question is asked of its whole article (``article_text``), or with
    ``level="paragraph"`` of its own paragraph. Each third question is also asked,
    unanswerable, of that document with the answer's sentence deleted (where the
    answer occurs nowhere else in it), and each third (another one) of the document
    of another article that matches it best (BM25).
    """
    # Each document: its article's number, its text, and the paragraphs it holds.
    documents: list[tuple[int, str, list[Any]]] = []
    for number, article in enumerate(articles):
        if level == "article":
            documents.append((number, article_text(article)[0], article["paragraphs"]))
        else:
            documents.extend((number, p["context"], [p]) for p in article["paragraphs"])
    nearest = _NearestText([text for _, text, _ in documents])
    groups: list[list[SquadQuestion]] = []
    of_article: dict[int, list[int]] = {}
    for position, (number, _, _) in enumerate(documents):
        of_article.setdefault(number, []).append(position)
    for number, text, paragraphs in documents:
        asked = [(paragraph, qa) for paragraph in paragraphs for qa in paragraph["qas"]]
        groups.append([asked_of(qa, text) for _, qa in asked])
        same_article = of_article[number]
        for position, (paragraph, qa) in enumerate(asked):
            if not qa.get("answers"):
                continue
            answer = qa["answers"][0]
            if position % 3 == 0:
                begin = answer["answer_start"]
                rest = without_sentence(paragraph["context"], begin, begin + len(answer["text"]))
                deleted = text.replace(paragraph["context"], rest, 1)
                if deleted.strip() and answer["text"].casefold() not in deleted.casefold():
                    groups.append([_unanswerable(qa, deleted, "sentence deleted")])
            elif position % 3 == 1 and len(same_article) < len(documents):
                other = documents[nearest.other_than(same_article, qa["question"])][1]
                if answer["text"].casefold() not in other.casefold():
                    groups.append([_unanswerable(qa, other, "other article")])
    return groups


def _unanswerable(qa: Any, context: str, kind: str) -> SquadQuestion:
    return SquadQuestion(f"{qa['id']}/{kind}", qa["question"], context, ())


class _NearestText:
    """BM25 over a few texts (SQLite FTS5), to find the one a question matches best."""

    def __init__(self, texts: list[str]) -> None:
        import sqlite3

        self.count = len(texts)
        self.connection = sqlite3.connect(":memory:")
        self.connection.execute(
            "CREATE VIRTUAL TABLE texts USING fts5(text, tokenize='porter unicode61')"
        )
        self.connection.executemany(
            "INSERT INTO texts (rowid, text) VALUES (?, ?)", list(enumerate(texts, start=1))
        )

    def other_than(self, excluded: list[int], question: str) -> int:
        """The text (other than the ``excluded`` numbers) that matches the question
        best; with none matching, the next text after the excluded ones."""
        from desktop_qa.core.retrieval import query_words

        query = " OR ".join(f'"{w}"' for w in query_words(question)) or '""'
        marks = ",".join("?" * len(excluded))
        rows = self.connection.execute(
            f"SELECT rowid FROM texts WHERE texts MATCH ? AND rowid NOT IN ({marks}) "
            "ORDER BY bm25(texts) LIMIT 1",
            (query, *(n + 1 for n in excluded)),
        ).fetchall()
        if rows:
            return int(rows[0][0]) - 1
        after = max(excluded) + 1
        return next(
            n % self.count
            for n in range(after, after + self.count)
            if n % self.count not in excluded
        )
