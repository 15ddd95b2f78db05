"""Document-level training features and the shared-normalization loss."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from desktop_qa.core.chunking import QATokenizer
from desktop_qa.core.config import TrainConfig
from desktop_qa.core.squad import article_text, without_sentence
from desktop_qa.core.training_data import (
    ANSWERABLE,
    ENTITY_SWAPPED,
    OWN_PARAGRAPH,
    UNANSWERABLE_KINDS,
    Features,
    _questions,
    entity_swapped,
    make_features,
)
from tests.conftest import shared_file

SHIPPED_TOKENIZER = Path(__file__).resolve().parents[2] / "models" / "desktop-qa-minilm-squad"


def squad_articles(count: int) -> list[dict[str, object]]:
    """The first ``count`` articles of the shared SQuAD v1.1 training file."""
    data = json.loads(shared_file("squad", "train-v1.1.json").read_text(encoding="utf-8"))
    return list(data["data"][:count])


@pytest.fixture(scope="module")
def tokenizer() -> QATokenizer:
    return QATokenizer.from_file(SHIPPED_TOKENIZER / "tokenizer.json")


def config(**recipe: object) -> TrainConfig:
    return TrainConfig(base=Path(), data=Path(), out=Path(), **recipe)  # type: ignore[arg-type]


def test_article_text_joins_paragraphs_and_says_where_each_starts() -> None:
    article = {"paragraphs": [{"context": "First one."}, {"context": "Second."}]}
    text, starts = article_text(article)
    assert text == "First one.\n\nSecond."
    assert [text[s : s + 7] for s in starts] == ["First o", "Second."]


def test_the_answers_sentence_is_deleted_and_the_rest_kept() -> None:
    context = "The tower is tall. It was built in 1889 by Eiffel. Visitors come daily."
    start = context.index("1889")
    assert without_sentence(context, start, start + 4) == "The tower is tall. Visitors come daily."
    across = context.index("tall")
    assert without_sentence(context, across, context.index("built")) == "Visitors come daily."


def test_article_groups_hold_the_answer_and_negatives_that_lack_it(
    tokenizer: QATokenizer,
) -> None:
    articles = squad_articles(12)
    features, questions = make_features(
        articles, tokenizer, config(limit_questions=400, negatives_per_question=3, seed=1)
    )
    assert questions == 400 and len(features.groups) <= 400
    assert set(features.kinds) <= {ANSWERABLE, *UNANSWERABLE_KINDS}
    assert all(features.kinds[kind] > 0 for kind in (ANSWERABLE, *UNANSWERABLE_KINDS))
    decode = tokenizer.tokenizer.decode
    answers = _answer_texts(articles)
    checked = 0
    for first, end in features.groups:
        rows = range(first, end)
        question = decode(
            features.input_ids[first][1 : features.passage_starts[first] - 1].tolist()
        )
        if len(answers[question]) > 1:  # two questions read alike: which answer is unclear
            continue
        (answer,) = answers[question]
        normalized = decode(tokenizer.encode_text(answer)[0].tolist())
        held = [r for r in rows if features.starts[r]]
        assert len(rows) - len(held) <= 3 or not held  # at most 3 negatives beside an answer
        for row in rows:
            passage = decode(
                features.input_ids[row][
                    features.passage_starts[row] : features.passage_ends[row]
                ].tolist()
            )
            if row in held:
                start, stop = features.starts[row], features.ends[row]
                span = decode(features.input_ids[row][start : stop + 1].tolist())
                assert normalized in span and len(span) < len(normalized) + 20
            else:  # a negative, or a window of an unanswerable group: no trace of the answer
                assert not re.search(rf"(?<!\w){re.escape(normalized)}(?!\w)", passage)
                checked += 1
    assert checked > 400


def _answer_texts(articles: list[dict[str, object]]) -> dict[str, set[str]]:
    """The first answers of each question, by the question as the tokenizer decodes it."""
    tokenizer = QATokenizer.from_file(SHIPPED_TOKENIZER / "tokenizer.json")
    found: dict[str, set[str]] = {}
    for article in articles:
        for paragraph in article["paragraphs"]:  # type: ignore[attr-defined]
            for qa in paragraph["qas"]:
                ids, _ = tokenizer.encode_text(" ".join(qa["question"].split()))
                key = tokenizer.tokenizer.decode(ids[:64].tolist())
                found.setdefault(key, set()).add(qa["answers"][0]["text"])
    return found


def test_paragraph_context_makes_one_group_per_window_and_no_unanswerable_ones(
    tokenizer: QATokenizer,
) -> None:
    features, _ = make_features(
        squad_articles(3), tokenizer, config(context="paragraph", limit_questions=100)
    )
    assert all(end - first == 1 for first, end in features.groups)
    assert set(features.kinds) == {ANSWERABLE}


def test_features_are_the_same_for_the_same_seed(tokenizer: QATokenizer) -> None:
    articles = squad_articles(4)
    one, _ = make_features(articles, tokenizer, config(limit_questions=60, seed=2))
    two, _ = make_features(articles, tokenizer, config(limit_questions=60, seed=2))
    assert one.groups == two.groups and one.starts == two.starts and one.kinds == two.kinds
    assert all(np.array_equal(a, b) for a, b in zip(one.input_ids, two.input_ids, strict=True))


PARAGRAPH = (
    "Alexander Graham Bell was born in Edinburgh in 1847. He moved to Boston, where he "
    "taught the deaf."
)
ARTICLE = (
    PARAGRAPH + "\n\nLater, Thomas Watson joined him in Boston. In 1876 the telephone was "
    "shown at the Centennial Exhibition in Philadelphia. Returning home, Bell rested."
)


def test_a_name_or_year_is_swapped_for_one_the_paragraph_never_mentions() -> None:
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(40):
        swapped = entity_swapped("When did Bell move to Boston in 1847?", ARTICLE, PARAGRAPH, rng)
        assert swapped is not None
        seen.add(swapped)
    assert seen <= {
        "When did Watson move to Boston in 1847?",
        "When did Philadelphia move to Boston in 1847?",
        "When did Bell move to Philadelphia in 1847?",
        "When did Bell move to Watson in 1847?",
        "When did Bell move to Boston in 1876?",
    }  # "Returning" starts a sentence: not a name; Edinburgh is in the paragraph
    assert "When did Bell move to Boston in 1876?" in seen and len(seen) >= 3
    assert entity_swapped("How was the weather?", ARTICLE, PARAGRAPH, rng) is None


def _without_and_with(
    tokenizer: QATokenizer, kind: str, **option: float
) -> tuple[Features, Features]:
    """Features of four articles without and with a later recipe ``option``; checks that
    it adds groups of ``kind`` only, and joins a run's identity only when set."""
    ((name, value),) = option.items()
    articles = squad_articles(4)
    plain, _ = make_features(articles, tokenizer, config(limit_questions=80, seed=3))
    added, _ = make_features(articles, tokenizer, config(limit_questions=80, seed=3, **option))
    assert {k: v for k, v in added.kinds.items() if k != kind} == plain.kinds
    assert name not in config().identity()
    assert config(**option).identity()[name] == str(value)
    return plain, added


def test_entity_swapped_groups_are_unanswerable_and_leave_other_draws_alone(
    tokenizer: QATokenizer,
) -> None:
    plain, swaps = _without_and_with(tokenizer, ENTITY_SWAPPED, entity_swap_fraction=0.5)
    assert swaps.kinds[ENTITY_SWAPPED] >= 10
    swapped_rows = 0
    for first, end in swaps.groups:
        if not any(swaps.starts[first:end]):
            swapped_rows += end - first
    assert swapped_rows > sum(
        end - first for first, end in plain.groups if not any(plain.starts[first:end])
    )


def test_own_paragraph_groups_ask_the_paragraph_alone_and_leave_other_draws_alone(
    tokenizer: QATokenizer,
) -> None:
    plain, mixed = _without_and_with(tokenizer, OWN_PARAGRAPH, own_paragraph_fraction=0.5)
    own = mixed.kinds[OWN_PARAGRAPH]
    assert 0 < own < plain.kinds[ANSWERABLE]  # a share of the answered questions
    articles = squad_articles(4)
    decode = tokenizer.tokenizer.decode
    paragraphs = {
        decode(tokenizer.encode_text(paragraph["context"])[0].tolist())
        for article in articles
        for paragraph in article["paragraphs"]  # type: ignore[attr-defined]
    }
    answers = _answer_texts(articles)
    asked_alone = 0
    for row, end in mixed.groups:
        passage = decode(
            mixed.input_ids[row][mixed.passage_starts[row] : mixed.passage_ends[row]].tolist()
        )
        if end - row != 1 or passage not in paragraphs:
            continue
        question = decode(mixed.input_ids[row][1 : mixed.passage_starts[row] - 1].tolist())
        span = decode(mixed.input_ids[row][mixed.starts[row] : mixed.ends[row] + 1].tolist())
        assert mixed.starts[row] and any(
            decode(tokenizer.encode_text(answer)[0].tolist()) == span
            for answer in answers[question]
        )
        asked_alone += 1
    assert own - 3 <= asked_alone <= own  # a paragraph longer than a window is several


def test_fresh_questions_leave_out_what_every_earlier_stage_drew() -> None:
    articles = squad_articles(3)
    everything = _questions(articles, config(seed=9))  # no limit: every question, in file order
    count = len(everything)
    first = config(context="paragraph", seed=0, limit_questions=40)
    drawn_first = _questions(articles, first)
    assert len(drawn_first) == 40
    second = config(
        context="paragraph", seed=1, limit_questions=40, fresh_questions=True, init=Path("a")
    )
    drawn_second = _questions(articles, second, [(0, 40, False)])
    ids = [{qa["id"] for _, _, qa in drawn} for drawn in (drawn_first, drawn_second)]
    assert len(ids[1]) == 40 and not ids[0] & ids[1]
    # a third stage leaves out both, the second's sample drawn as it was (fresh)
    rest = _questions(articles, config(seed=2), [(0, 40, False), (1, 40, True)])
    assert {qa["id"] for _, _, qa in rest} == {
        qa["id"] for _, _, qa in _questions(articles, config(seed=2))
    } - ids[0] - ids[1]
    assert len(rest) == count - 80
    # without earlier stages the sample is the one runs drew before fresh questions came
    order = np.sort(np.random.default_rng(1).permutation(count)[:40])
    assert [qa["id"] for _, _, qa in _questions(articles, config(seed=1, limit_questions=40))] == [
        everything[i][2]["id"] for i in order
    ]
