"""SQuAD scoring with the official normalisation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop_qa.core.errors import DatasetError
from desktop_qa.core.squad import (
    SquadQuestion,
    calibration_groups,
    evaluate,
    exact_match,
    f1_score,
    load_squad,
    normalize_answer,
    paragraphs_of,
    spread,
    squad2_groups,
    with_unanswerable,
)
from tests.conftest import shared_file


def test_normalisation_drops_case_punctuation_articles_and_extra_space() -> None:
    assert normalize_answer("  The  Normans, of   Normandy!") == "normans of normandy"
    assert normalize_answer("an apple a day") == "apple day"


def test_exact_and_f1() -> None:
    assert exact_match("the Normans", "Normans") == 1.0
    assert f1_score("Normans of France", "the Normans") == pytest.approx(0.5)
    assert f1_score("", "") == 1.0 and f1_score("x", "") == 0.0


def test_evaluate_takes_the_best_gold_and_splits_has_and_no_answer() -> None:
    questions = [
        SquadQuestion("a", "q", "c", ("Rollo", "Rollo of Normandy")),
        SquadQuestion("b", "q", "c", ()),
        SquadQuestion("c", "q", "c", ("10th century",)),
    ]
    scores = evaluate(questions, {"a": "Rollo of Normandy", "b": "", "c": "the 9th century"})
    assert scores["HasAns_exact"] == 50.0 and scores["NoAns_exact"] == 100.0
    assert scores["exact"] == pytest.approx(200 / 3)
    assert scores["HasAns_f1"] == pytest.approx(75.0)


def test_load_real_squad_v2_sample() -> None:
    paragraphs = load_squad(shared_file("squad", "dev-v2.0-sample.json"))
    questions = [q for p in paragraphs for q in p]
    assert any(q.answerable for q in questions) and any(not q.answerable for q in questions)
    assert all(q.context for q in questions)


def test_whole_articles_group_questions_under_their_joined_article() -> None:
    path = shared_file("squad", "dev-v2.0-sample.json")
    paragraphs = load_squad(path)
    articles = load_squad(path, whole_articles=True)
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    assert len(articles) == len(data)
    by_paragraph = [q for p in paragraphs for q in p]
    by_article = [q for a in articles for q in a]
    assert [q.qid for q in by_article] == [q.qid for q in by_paragraph]
    for whole, own in zip(by_article, by_paragraph, strict=True):
        assert own.context in whole.context and len(whole.context) > len(own.context)
        assert all(answer in whole.context for answer in whole.answers)
    assert len({q.context for q in by_article}) == len(data)


def test_non_squad_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [{"title": "x"}]}')
    with pytest.raises(DatasetError, match="SQuAD format"):
        load_squad(bad)
    with pytest.raises(DatasetError, match="no such file"):
        load_squad(tmp_path / "absent.json")


def handmade_articles() -> list[dict[str, Any]]:
    """Three SQuAD v1.1 articles of two paragraphs, each paragraph with three questions."""
    facts = {
        "Castles": ["Arden Keep", "Bryn Tower"],
        "Rivers": ["Caldor", "Dunmere"],
        "Comets": ["Ebrill", "Fenwick"],
    }
    articles = []
    for order, (title, names) in enumerate(facts.items()):
        paragraphs = []
        for number, name in enumerate(names):
            sentences = [
                f"{name} was first described in {1700 + 10 * order + number}.",
                f"Its keeper was named Warden{order}{number}.",
                f"People in the valley call it the old {title.lower()} one.",
            ]
            context = " ".join(sentences)
            answers = [f"{1700 + 10 * order + number}", f"Warden{order}{number}", "old"]
            questions = [
                f"When was {name} first described?",
                f"Who kept {name}?",
                f"What do people call {name}?",
            ]
            paragraphs.append(
                {
                    "context": context,
                    "qas": [
                        {
                            "id": f"{title}-{number}-{i}",
                            "question": q,
                            "answers": [{"text": a, "answer_start": context.index(a)}],
                        }
                        for i, (q, a) in enumerate(zip(questions, answers, strict=True))
                    ],
                }
            )
        articles.append({"title": title, "paragraphs": paragraphs})
    return articles


@pytest.mark.parametrize("level", ["article", "paragraph"])
def test_unanswerable_questions_are_made_from_the_documents_of_each_level(level: str) -> None:
    articles = handmade_articles()
    groups = with_unanswerable(articles, level)  # type: ignore[arg-type]
    asked = [q for group in groups for q in group if q.answerable]
    made = [q for group in groups for q in group if not q.answerable]
    paragraphs = [p["context"] for a in articles for p in a["paragraphs"]]
    documents = (
        paragraphs
        if level == "paragraph"
        else ["\n\n".join(paragraphs[i : i + 2]) for i in (0, 2, 4)]
    )
    assert len(asked) == 18 and {q.context for q in asked} == set(documents)
    by_id = {q.qid: q for q in asked}
    kinds = {q.qid.split("/")[1] for q in made}
    assert kinds == {"sentence deleted", "other article"} and len(made) == 12
    for question in made:
        source = by_id[question.qid.split("/")[0]]
        assert question.question == source.question
        assert not any(a.casefold() in question.context.casefold() for a in source.answers)
        article_of = {d: n // (1 if level == "article" else 2) for n, d in enumerate(documents)}
        if question.qid.endswith("other article"):
            assert question.context in documents
            assert article_of[question.context] != article_of[source.context]
        else:
            assert len(question.context) < len(source.context)
            assert question.context not in documents


def test_a_calibration_is_fitted_on_whole_articles_and_on_single_paragraphs() -> None:
    articles = handmade_articles()
    groups = calibration_groups(articles)
    whole = squad2_groups(articles)
    single = squad2_groups(articles, "paragraph")
    assert groups == whole + single
    paragraph_texts = {p["context"] for a in articles for p in a["paragraphs"]}
    single_answerable = [q for group in single for q in group if q.answerable]
    assert {q.context for q in single_answerable} == paragraph_texts
    # Each level has its own unanswerable share, so the "not found" threshold fits both.
    for level in (whole, single):
        questions = [q for group in level for q in group]
        assert sum(not q.answerable for q in questions) / len(questions) == pytest.approx(0.4)


def test_a_squad2_file_is_asked_as_it_is_at_both_levels() -> None:
    articles = json.loads(shared_file("squad", "dev-v2.0-sample.json").read_text())["data"]
    whole, single = squad2_groups(articles), squad2_groups(articles, "paragraph")
    assert single == paragraphs_of(articles)
    assert sorted(q.qid for g in single for q in g) == sorted(q.qid for g in whole for q in g)


def test_a_spread_keeps_every_kth_question_across_documents_and_both_kinds() -> None:
    groups = calibration_groups(handmade_articles())  # 60 questions, 40% unanswerable
    everything = [q for group in groups for q in group]
    assert spread(groups, None) == groups and spread(groups, 60) == groups
    kept = spread(groups, 20)
    flat = [q for group in kept for q in group]
    assert flat == everything[::3]
    assert all(group for group in kept)
    # Both levels, every document and both kinds of question stay in.
    documents = {q.context for q in everything if q.answerable}
    assert {q.context for q in flat if q.answerable} == documents
    assert 0.2 < sum(not q.answerable for q in flat) / len(flat) < 0.6
