"""SQuAD scoring with the official normalisation."""

from __future__ import annotations

import json
from pathlib import Path

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
    squad2_groups,
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


def test_a_calibration_is_fitted_on_whole_articles_and_on_single_paragraphs() -> None:
    articles = json.loads(shared_file("squad", "dev-v2.0-sample.json").read_text())["data"]
    groups = calibration_groups(articles)
    whole, single = squad2_groups(articles), paragraphs_of(articles)
    assert groups == whole + single
    contexts = {q.context for group in groups for q in group}
    article_texts = {q.context for group in whole for q in group}
    paragraph_texts = {p["context"] for a in articles for p in a["paragraphs"]}
    assert article_texts < contexts and paragraph_texts <= contexts
    asked = [q.qid for group in single for q in group]
    assert sorted(asked) == sorted(q.qid for group in whole for q in group)
