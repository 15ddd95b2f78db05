"""Calibrated confidence: the fit, its threshold, ECE, and the reader deciding on it."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.calibration import (
    FEATURES,
    Calibration,
    Evidence,
    best_threshold,
    expected_calibration_error,
    fit_calibration,
    in_words,
    reliability,
)
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import Document
from desktop_qa.core.errors import BrokenModelError
from desktop_qa.core.model import load_model_info
from tests.oracle import OracleLogits, calibrated_copy, token_span


def synthetic_questions(count: int, seed: int) -> list[tuple[list[Evidence], list[float], bool]]:
    """Questions whose best answer is right more often the higher it scores."""
    rng = np.random.default_rng(seed)
    questions = []
    for _ in range(count):
        answerable = rng.random() < 0.6
        score = rng.normal(6.0 if answerable else 2.0, 2.5)
        margin = abs(rng.normal(1.0, 1.0))
        best = Evidence(score, score - 1.0, margin, rng.random() * 5, int(rng.integers(1, 40)), 1)
        other = Evidence(score - margin, score - margin - 1.0, -margin, 0.0, 10, 1)
        right = answerable and rng.random() < 1 / (1 + np.exp(-(score - 5.0)))
        questions.append(([best, other], [1.0 if right else 0.0, 0.0], bool(answerable)))
    return questions


def test_the_fit_is_calibrated_monotone_in_the_score_and_reproducible() -> None:
    fitted = fit_calibration(synthetic_questions(3000, seed=1), {"data": "synthetic"})
    again = fit_calibration(synthetic_questions(3000, seed=1), {"data": "synthetic"})
    assert fitted == again  # deterministic for a fixed seed of the data

    held_out = synthetic_questions(3000, seed=2)
    confidences = [fitted.probability(ev[0]) for ev, _, _ in held_out]
    right = [f1s[0] >= 0.5 for _, f1s, _ in held_out]
    assert expected_calibration_error(confidences, right) < 0.05
    assert expected_calibration_error([0.9] * 100, [True] * 50 + [False] * 50) == pytest.approx(0.4)

    scores = np.linspace(-5, 15, 41)
    probabilities = [fitted.probability(Evidence(s, s - 1.0, 1.0, 2.0, 10, 1)) for s in scores]
    assert all(b >= a for a, b in itertools.pairwise(probabilities))
    assert probabilities[0] < 0.1 < 0.9 < probabilities[-1]
    assert 0 < fitted.no_answer_threshold < 1
    assert Calibration.from_json(json.loads(json.dumps(fitted.to_json()))).probability(
        Evidence(5.0, 4.0, 1.0, 2.0, 10, 1)
    ) == pytest.approx(fitted.probability(Evidence(5.0, 4.0, 1.0, 2.0, 10, 1)), abs=1e-4)


def test_the_threshold_maximises_squad2_f1() -> None:
    # Unanswerable questions score 1 when abstained on; answerable ones their F1 when answered.
    confidences = [0.9, 0.8, 0.3, 0.2, 0.1]
    f1s = [1.0, 1.0, 0.0, 0.0, 1.0]
    answerable = [True, True, False, False, True]
    threshold = best_threshold(confidences, f1s, answerable)
    assert 0.3 < threshold <= 0.8  # abstain on the two unanswerable ones, lose the last
    assert best_threshold([0.9, 0.8], [1.0, 1.0], [True, True]) <= 0.8


def test_reliability_bins_and_words() -> None:
    bins = reliability([0.05, 0.15, 0.95, 0.92], [False, False, True, False])
    assert [size for _, _, size in bins] == [1, 1, 2]
    assert bins[-1][1] == 0.5
    assert in_words(0.87) == "likely right" and in_words(0.05) == "unlikely"


def test_a_malformed_calibration_is_a_broken_model() -> None:
    with pytest.raises(BrokenModelError, match="calibration is malformed"):
        Calibration.from_json({"features": ["score"], "mean": [0.0]})
    fitted = fit_calibration(synthetic_questions(300, seed=3), {}).to_json()
    with pytest.raises(BrokenModelError, match="distinct ones"):
        Calibration.from_json({**fitted, "features": ["score", *fitted["features"][1:-1], "x"]})


def test_a_calibration_fitted_before_a_feature_was_added_still_reads() -> None:
    fitted = fit_calibration(synthetic_questions(1000, seed=4), {}).to_json()
    older = {**fitted, **{k: fitted[k][:-1] for k in ("features", "mean", "scale", "weights")}}
    calibration = Calibration.from_json(older)
    assert calibration.features == FEATURES[:-1]
    evidence = Evidence(5.0, 4.0, 1.0, 2.0, 10, document_windows=400)
    z = sum(
        w * (v - m) / s
        for w, v, m, s in zip(
            older["weights"], evidence.vector()[:-1], older["mean"], older["scale"], strict=True
        )
    )
    assert calibration.probability(evidence) == pytest.approx(1 / (1 + np.exp(-z - older["bias"])))


def by_document_size(
    midpoints: dict[int, float], count: int, seed: int
) -> list[tuple[list[Evidence], list[float], bool]]:
    """Answers from documents of each size (windows), right more often the higher
    they score: even odds at that size's midpoint score."""
    rng = np.random.default_rng(seed)
    questions = []
    for _ in range(count):
        windows = int(rng.choice(list(midpoints)))
        score = rng.normal(5.0, 2.0)
        right = rng.random() < 1 / (1 + np.exp(-(score - midpoints[windows])))
        questions.append(
            ([Evidence(score, score - 1.0, 1.0, 0.0, 10, windows)], [float(right)], True)
        )
    return questions


def test_answers_in_longer_documents_are_judged_by_their_length() -> None:
    # At the same scores, an answer from a 40-window document is right less often.
    fitted = fit_calibration(by_document_size({1: 4.0, 40: 7.0}, 3000, seed=5), {})
    short, long = (fitted.probability(Evidence(5.0, 4.0, 1.0, 0.0, 10, w)) for w in (1, 40))
    assert short == pytest.approx(1 / (1 + np.exp(-1.0)), abs=0.06)
    assert long == pytest.approx(1 / (1 + np.exp(2.0)), abs=0.06)


def test_a_longer_document_never_raises_an_answers_confidence() -> None:
    # Here answers from long documents happen to be right more often; the fit does
    # not learn that (it would extrapolate to one-window paragraphs badly).
    fitted = fit_calibration(by_document_size({20: 6.0, 40: 3.0}, 2000, seed=6), {})
    assert fitted.weights[FEATURES.index("log_document_windows")] == 0.0
    short, long = (fitted.probability(Evidence(5.0, 4.0, 1.0, 0.0, 10, w)) for w in (1, 40))
    assert short == pytest.approx(long)


PASSAGE = " ".join(
    f"Sentence {i} tells that the castle number {i} was built in year {1000 + i}."
    for i in range(60)
)


def test_the_reader_gives_confidences_and_decides_not_found_on_them(
    tiny_model: Path, tmp_path: Path
) -> None:
    folder = calibrated_copy(tiny_model, tmp_path / "calibrated", threshold=0.5)
    oracle = OracleLogits(None)
    assistant = Assistant(
        load_model_info(folder), ReaderSettings(retrieval_weight=0, retrieval_k=1), oracle
    )
    opened = assistant.prepare(Document.from_text(PASSAGE))
    start = PASSAGE.index("year 1007")
    strong = token_span(opened.tokens, start, start + len("year 1007"))
    oracle.span = strong  # start + end = 20: confidence 1 / (1 + e^-5)
    sure = assistant.ask(opened, "When was castle 7 built?")
    assert not sure.no_answer and sure.answers[0].text == "year 1007"
    assert sure.answers[0].confidence == pytest.approx(1 / (1 + np.exp(-5)), abs=1e-6)
    assert all(a.confidence is not None for a in sure.answers)
    assert sure.windows < len(opened.windows)  # sure after the first round: no widening
    # Every sentence of the passage says "castle" and "built"; none says "palace".
    assert sure.evidence[0].question_support == pytest.approx(1.0)
    elsewhere = assistant.ask(opened, "When was the palace finished?")
    assert elsewhere.answers[0].text == "year 1007"
    assert elsewhere.evidence[0].question_support == 0.0

    oracle.span = None
    oracle.others = {strong: 4.75}  # start + end = 9.5: confidence 1 / (1 + e^0.25) < 0.5
    unsure = assistant.ask(opened, "When was castle 7 built?")
    assert unsure.no_answer and unsure.answers[0].text == "year 1007"  # still the best guess
    assert unsure.answers[0].confidence is not None and unsure.answers[0].confidence < 0.5
    assert unsure.windows == 2  # just below "not found": it widened, for the default two rounds

    oracle.others = {strong: 4.0}  # start + end = 8: 1 / (1 + e^1), below 0.75 * 0.5
    doubtful = assistant.ask(opened, "When was castle 7 built?")
    assert doubtful.no_answer and doubtful.windows == 1

    lenient = Assistant(
        load_model_info(folder), ReaderSettings(retrieval_weight=0, no_answer_threshold=0.1), oracle
    )
    assert not lenient.ask(lenient.prepare(Document.from_text(PASSAGE)), "When?").no_answer

    oracle.others = {strong: 2.0}  # start + end = 4: confidence 1 / (1 + e^3) < 0.75 * 0.5
    hopeless = assistant.ask(opened, "When was castle 7 built?")
    assert hopeless.no_answer and hopeless.answers[0].text == "year 1007"
    assert hopeless.windows == 1  # far below "not found": another round would not help
    keen = Assistant(
        load_model_info(folder),
        ReaderSettings(retrieval_weight=0, retrieval_k=1, widen_from_confidence=0.0),
        oracle,
    )
    assert keen.ask(keen.prepare(Document.from_text(PASSAGE)), "When?").windows == 2


def test_a_model_without_calibration_shows_no_confidence(tiny_model: Path) -> None:
    oracle = OracleLogits(None)
    assistant = Assistant(load_model_info(tiny_model), ReaderSettings(), oracle)
    result = assistant.ask(assistant.prepare(Document.from_text(PASSAGE)), "Which castle?")
    assert result.answers and all(a.confidence is None for a in result.answers)
    assert result.answers[0].to_json()["confidence"] is None
