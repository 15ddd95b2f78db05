"""Training features: SQuAD questions cut into the reader's own windows, grouped by question.

Every question becomes one *group* of windows whose start and end softmaxes are
taken together (shared normalization, ``training.shared_normalization_loss``), so
that scores compare across windows, as the reader compares them:

- ``paragraph`` context (the earlier recipe): the question against its own
  paragraph; every window is a group of its own, labelled at ``[CLS]`` where it
  does not hold the whole answer.
- ``article`` context: the question against its whole article (paragraphs joined
  as ``squad.article_text`` joins them) cut by the reader's windowing
  (``retrieval.document_windows``). The group is every window holding the answer
  plus ``negatives_per_question`` windows that do not, hardest first by BM25
  against the question.
- Unanswerable groups, a share ``unanswerable_fraction`` of the article-context
  questions, all windows labelled at ``[CLS]``: the article's windows that lack
  the answer, the question's own paragraph with the answer's sentence deleted,
  or the windows of the BM25-nearest other article.
- Entity-swapped groups, for a share ``entity_swap_fraction`` of the answered
  questions, besides their answered group: the question with one of its names
  (a run of capitalised words) or years swapped for another of the article's
  that its own paragraph never mentions, asked of that paragraph and labelled
  at ``[CLS]``: a question that reads as answerable and is not (the kind SQuAD
  2.0's writers made by hand).
- Own-paragraph groups, for a share ``own_paragraph_fraction`` of the answered
  questions, besides their answered group: the question against its own
  paragraph alone, labelled at the answer, so that a stage of article training
  keeps answering a short passage that holds the answer (the reader's
  paragraph-by-paragraph use) instead of drifting toward "not found".

A window counts as lacking the answer only if it holds no part of the answer's
span and not its text anywhere either (SQuAD answers often recur).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop_qa.core.chunking import (
    DocumentTokens,
    QATokenizer,
    Question,
    Window,
    answer_tokens,
    encode_windows,
    plan_windows,
    tokenize_document,
    tokenize_question,
)
from desktop_qa.core.config import ReaderSettings, TrainConfig
from desktop_qa.core.retrieval import WindowIndex, document_windows, window_text
from desktop_qa.core.squad import article_text, without_sentence

#: An earlier stage's sample of training questions: its seed, its question limit, and
#: whether it left out the questions of the stages before it (``--fresh-questions``).
Sample = tuple[int, int | None, bool]
ANSWERABLE = "answerable"
UNANSWERABLE_KINDS = ("article without the answer", "answer sentence deleted", "other article")
ENTITY_SWAPPED = "entity swapped"
OWN_PARAGRAPH = "own paragraph"
NAME = re.compile(
    r"[A-Z][\w'’-]*(?:\s+(?:of|the|de|du|von|van|al|la|le)\s+[A-Z][\w'’-]*|\s+[A-Z][\w'’-]*)*"
)
YEAR = re.compile(r"\b(?:1[0-9]|20)[0-9]{2}\b")
#: Capitalised words that start questions or sentences rather than name something.
NOT_NAMES = frozenset(
    """A About According After Along Also An And Are As At Before Besides By Can Could
    Did Do Does During For From Had Has Have He Her His How If In Into Is It Its Name
    Of On Once One Since So That The Their There These They This Those Through To
    Under Unlike Upon Was We Were What When Where Whereas Which While Who Whom Whose Why
    With Within Would""".split()  # noqa: SIM905 (a word list reads better as one block)
)


@dataclass
class Features:
    """Model inputs, one row per window, and the groups of rows trained together.

    ``starts``/``ends`` are the answer's positions in a row, 0 where the row does
    not hold it; a group none of whose rows holds it is trained toward ``[CLS]``.
    A row's passage is ``[passage_starts, passage_ends)``.
    """

    input_ids: list[np.ndarray] = field(default_factory=list)
    token_types: list[np.ndarray] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    passage_starts: list[int] = field(default_factory=list)
    passage_ends: list[int] = field(default_factory=list)
    groups: list[tuple[int, int]] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    def __len__(self) -> int:
        return len(self.input_ids)

    def groups_of(self, rows: np.ndarray) -> list[tuple[int, int]]:
        """The groups of ``rows`` (which hold whole groups), in their order there."""
        firsts = np.array([first for first, _ in self.groups])
        numbers = np.searchsorted(firsts, rows, side="right") - 1
        return [self.groups[int(n)] for n in dict.fromkeys(numbers.tolist())]

    def add_group(
        self,
        question: Question,
        tokens: DocumentTokens,
        windows: list[Window],
        template: Any,
        answer: tuple[int, int] | None,
        kind: str,
    ) -> None:
        """Encode ``windows`` as one group, labelled at the ``answer`` token span
        (first, last) where a window holds it."""
        first_row = len(self)
        for window in windows:
            batch = encode_windows(template, question, tokens, [window])
            offset = batch.passage_start - window.token_start
            inside = (
                answer is not None
                and answer[0] >= window.token_start
                and answer[1] < window.token_end
            )
            self.input_ids.append(batch.input_ids[0].astype(np.int32))
            self.token_types.append(batch.token_type_ids[0].astype(np.int8))
            self.starts.append(answer[0] + offset if inside and answer else 0)
            self.ends.append(answer[1] + offset if inside and answer else 0)
            self.passage_starts.append(batch.passage_start)
            self.passage_ends.append(batch.passage_start + window.token_end - window.token_start)
        self.groups.append((first_row, len(self)))
        self.kinds[kind] += 1


@dataclass(frozen=True)
class _Article:
    text: str
    paragraph_starts: list[int]
    tokens: DocumentTokens
    windows: list[Window]
    window_texts: list[str]
    index: WindowIndex


def _prepare(article: Any, tokenizer: QATokenizer, settings: ReaderSettings) -> _Article:
    text, starts = article_text(article)
    tokens = tokenize_document(tokenizer, text)
    windows = document_windows(tokens, tokenizer.template, settings)
    texts = [window_text(text, tokens, w).casefold() for w in windows]
    return _Article(text, starts, tokens, windows, texts, WindowIndex([(text, tokens, windows)]))


def _questions(
    articles: list[Any], config: TrainConfig, trained_before: Sequence[Sample] = ()
) -> list[tuple[int, int, Any]]:
    """The (article, paragraph, qa) triples to train on: a seeded sample, in file order,
    of the questions that none of the samples in ``trained_before`` (earlier stages',
    oldest first) drew."""
    questions = [
        (a, p, qa)
        for a, article in enumerate(articles)
        for p, paragraph in enumerate(article["paragraphs"])
        for qa in paragraph["qas"]
        if qa.get("answers")
    ]
    drawn: set[int] = set()
    for seed, limit, fresh in trained_before:
        drawn.update(_draw(len(questions), seed, limit, drawn if fresh else set()))
    order = _draw(len(questions), config.seed, config.limit_questions, drawn)
    return [questions[i] for i in sorted(order)]  # by article: each is prepared once


def _draw(count: int, seed: int, limit: int | None, left_out: set[int]) -> list[int]:
    """The question indices a stage of this seed and question limit trains on, in its
    order, when the indices ``left_out`` are not to be drawn."""
    order = np.random.default_rng(seed).permutation(count)
    return [int(i) for i in order if int(i) not in left_out][:limit]


def make_features(
    articles: list[Any],
    tokenizer: QATokenizer,
    config: TrainConfig,
    trained_before: Sequence[Sample] = (),
) -> tuple[Features, int]:
    """Every training question's group of windows; returns them and the question count.

    ``trained_before`` holds the samples of earlier stages, oldest first, whose
    questions are left out (``--fresh-questions``)."""
    questions = _questions(articles, config, trained_before)
    if config.context == "paragraph":
        return _paragraph_features(articles, questions, tokenizer, config), len(questions)
    return _article_features(articles, questions, tokenizer, config), len(questions)


def _paragraph_features(
    articles: list[Any],
    questions: list[tuple[int, int, Any]],
    tokenizer: QATokenizer,
    config: TrainConfig,
) -> Features:
    features = Features()
    template = tokenizer.template
    settings = ReaderSettings(max_seq_len=config.max_seq_len, stride=config.stride)
    cached: tuple[int, int] | None = None
    tokens = tokenize_document(tokenizer, "")
    for a, p, qa in questions:
        if cached != (a, p):
            tokens = tokenize_document(tokenizer, articles[a]["paragraphs"][p]["context"])
            cached = (a, p)
        question = tokenize_question(tokenizer, qa["question"], settings.max_question_tokens)
        start = qa["answers"][0]["answer_start"]
        answer = answer_tokens(tokens, start, start + len(qa["answers"][0]["text"]))
        capacity = config.max_seq_len - len(question.ids) - template.special_count
        for window in plan_windows(tokens, capacity, config.stride):
            features.add_group(question, tokens, [window], template, answer, ANSWERABLE)
    return features


def _article_features(
    articles: list[Any],
    questions: list[tuple[int, int, Any]],
    tokenizer: QATokenizer,
    config: TrainConfig,
) -> Features:
    features = Features()
    template = tokenizer.template
    settings = ReaderSettings(max_seq_len=config.max_seq_len, stride=config.stride)
    prepared = [_prepare(article, tokenizer, settings) for article in articles]
    library = WindowIndex([(x.text, x.tokens, x.windows) for x in prepared])
    rng = np.random.default_rng([config.seed, 1])
    swap_rng = np.random.default_rng([config.seed, 2])  # apart: other draws stay as they were
    paragraph_rng = np.random.default_rng([config.seed, 3])
    for a, p, qa in questions:
        article = prepared[a]
        question = tokenize_question(tokenizer, qa["question"], settings.max_question_tokens)
        answer_text = qa["answers"][0]["text"]
        char_start = article.paragraph_starts[p] + qa["answers"][0]["answer_start"]
        span = answer_tokens(article.tokens, char_start, char_start + len(answer_text))
        if span is None:
            continue
        negatives = _negatives(article, qa["question"], span, answer_text.casefold(), rng)
        if rng.random() < config.unanswerable_fraction:
            kind = UNANSWERABLE_KINDS[int(rng.integers(len(UNANSWERABLE_KINDS)))]
            unanswerable = _unanswerable(
                kind, articles, prepared, library, (a, p, qa), negatives, tokenizer, config
            )
            if unanswerable is not None:
                tokens, windows, made = unanswerable
                features.add_group(question, tokens, windows, template, None, made)
                continue
        holding = [w for w in article.windows if w.token_start <= span[0] and span[1] < w.token_end]
        if holding:  # an answer longer than a window is left out
            chosen = holding + negatives[: config.negatives_per_question]
            features.add_group(question, article.tokens, chosen, template, span, ANSWERABLE)
            if paragraph_rng.random() < config.own_paragraph_fraction:
                paragraph = articles[a]["paragraphs"][p]["context"]
                tokens = tokenize_document(tokenizer, paragraph)
                start = qa["answers"][0]["answer_start"]
                own = answer_tokens(tokens, start, start + len(answer_text))
                windows = document_windows(tokens, template, settings)
                features.add_group(question, tokens, windows, template, own, OWN_PARAGRAPH)
        if swap_rng.random() < config.entity_swap_fraction:
            paragraph = articles[a]["paragraphs"][p]["context"]
            swapped = entity_swapped(qa["question"], article.text, paragraph, swap_rng)
            if swapped is not None:
                tokens = tokenize_document(tokenizer, paragraph)
                windows = document_windows(tokens, template, settings)
                asked = tokenize_question(tokenizer, swapped, settings.max_question_tokens)
                features.add_group(asked, tokens, windows, template, None, ENTITY_SWAPPED)
    return features


def entities(text: str, mid_sentence: bool = False) -> list[tuple[int, int, str]]:
    """The names (runs of capitalised words; words that start questions left out) and
    years in ``text``, as (start, end, text); with ``mid_sentence``, only names that
    do not start a sentence (a capital there names nothing)."""
    found = []
    for match in NAME.finditer(text):
        start, name = match.start(), match.group()
        while name.split(" ", 1)[0] in NOT_NAMES:  # "When Beyoncé" -> "Beyoncé"
            head, _, name = name.partition(" ")
            start += len(head) + 1
            name = name.lstrip()
        before = text[:start].rstrip()
        if mid_sentence and (not before or before[-1] in '.!?:;"“(\n'):
            continue
        if len(name) > 1:
            found.append((start, start + len(name), name))
    found += [(m.start(), m.end(), m.group()) for m in YEAR.finditer(text)]
    return found


def entity_swapped(
    question: str, article: str, paragraph: str, rng: np.random.Generator
) -> str | None:
    """The question with one of its names or years swapped for another of the same kind
    (a year for a year, a name of as many words for a name) from the article that the
    paragraph never mentions; None where there is none to swap."""
    own = paragraph.casefold()
    mentioned = [e for e in entities(question) if e[2].casefold() in own]
    if not mentioned:
        return None
    start, end, name = mentioned[int(rng.integers(len(mentioned)))]
    year = YEAR.fullmatch(name) is not None
    words = len(name.split())
    pool = sorted({
        other for _, _, other in entities(article, mid_sentence=True)
        if other.casefold() not in own and (YEAR.fullmatch(other) is not None) == year
        and (year or len(other.split()) == words)
    })  # fmt: skip
    if not pool:
        return None
    return question[:start] + pool[int(rng.integers(len(pool)))] + question[end:]


def _unanswerable(
    kind: str,
    articles: list[Any],
    prepared: list[_Article],
    library: WindowIndex,
    asked: tuple[int, int, Any],
    negatives: list[Window],
    tokenizer: QATokenizer,
    config: TrainConfig,
) -> tuple[DocumentTokens, list[Window], str] | None:
    """Windows that do not answer the question, of the drawn ``kind`` where it can be
    made, else of the article's windows that lack the answer (None: there are none)."""
    a, p, qa = asked
    answer = qa["answers"][0]["text"].casefold()
    size = 1 + config.negatives_per_question
    if kind == UNANSWERABLE_KINDS[1]:
        start = qa["answers"][0]["answer_start"]
        rest = without_sentence(articles[a]["paragraphs"][p]["context"], start, start + len(answer))
        if rest and answer not in rest.casefold():
            settings = ReaderSettings(max_seq_len=config.max_seq_len, stride=config.stride)
            tokens = tokenize_document(tokenizer, rest)
            return tokens, document_windows(tokens, tokenizer.template, settings), kind
    if kind == UNANSWERABLE_KINDS[2]:
        other = _nearest_other_article(library, qa["question"], a)
        if other is not None:
            found = prepared[other[0]]
            lacking = [found.windows[w] for w in other[1] if answer not in found.window_texts[w]]
            if lacking:
                return found.tokens, lacking[:size], kind
    if negatives:
        return prepared[a].tokens, negatives[:size], UNANSWERABLE_KINDS[0]
    return None


def _negatives(
    article: _Article,
    question: str,
    span: tuple[int, int],
    answer: str,
    rng: np.random.Generator,
) -> list[Window]:
    """The article's windows that lack the answer, best BM25 match to the question
    first, then the others in a random order."""
    matched = [w for _, w in article.index.matches(question)]
    seen = set(matched)
    rest = [int(w) for w in rng.permutation(len(article.windows)) if int(w) not in seen]
    found = []
    for number in [*matched, *rest]:
        window = article.windows[number]
        overlaps = window.token_start <= span[1] and span[0] < window.token_end
        if not overlaps and answer not in article.window_texts[number]:
            found.append(window)
    return found


def _nearest_other_article(
    library: WindowIndex, question: str, own: int
) -> tuple[int, list[int]] | None:
    """The article (other than ``own``) of the window that matches the question best,
    with its matching windows, best first."""
    matches = [pair for pair in library.matches(question) if pair[0] != own]
    if not matches:
        return None
    number = matches[0][0]
    return number, [w for d, w in matches if d == number]
