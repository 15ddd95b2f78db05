"""How likely an answer is to be right: reader evidence -> a fitted probability.

A model's raw scores (logit sums) mean something different for every model, so
each model brings its own calibration in its manifest (``"calibration"``),
fitted on held-out articles it never trained on. The probability is that of the
answer being right (F1 >= 0.5 against the gold answers), from a logistic
regression (Platt scaling over several features) whose weights on the score and
its margins are kept non-negative, so that a higher-scoring answer is never
less likely to be right.

The same fit gives the threshold below which the best answer is reported as
"not found", chosen to maximise SQuAD 2.0-style F1 on the fitting questions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop_qa.core.errors import BrokenModelError, DatasetError

if TYPE_CHECKING:
    from desktop_qa.core.config import ReaderSettings
    from desktop_qa.core.model import ModelInfo
    from desktop_qa.core.squad import SquadQuestion

#: The evidence, in this order: the model's own score (start + end logits), its
#: margin over the document's "no answer" score, its margin over the best other
#: distinct answer (negative for every answer but the best), the retrieval bonus
#: of its window, the log of its length in characters, the log of how many
#: windows the document has (a long document offers more plausible wrong spans),
#: how much of the question the sentences around it say (``support``), and its
#: margin over ``[CLS]`` when its own block is read alone (``second_reading``).
FEATURES = (
    "score",
    "null_margin",
    "runner_up_margin",
    "retrieval_bonus",
    "log_length",
    "log_document_windows",
    "question_support",
    "block_margin",
)
#: The features whose weights stay non-negative (more of them never makes an answer
#: less likely to be right).
MONOTONE = frozenset(
    {"score", "null_margin", "runner_up_margin", "question_support", "block_margin"}
)
#: The features whose weights stay non-positive: a longer document offers more
#: plausible wrong spans, never fewer. (Fitted on whole articles alone, the weight
#: would otherwise come out slightly positive and, extrapolated to a one-window
#: paragraph, cost its answers' confidences 0.7 in logit.)
NON_INCREASING = frozenset({"log_document_windows"})
#: What "right" means when fitting: the answer's F1 against the gold is at least this.
RIGHT_F1 = 0.5
#: The runner-up margin of an answer with no rival (a score gap no real rival reaches).
NO_RIVAL_MARGIN = 20.0


@dataclass(frozen=True)
class Evidence:
    """What the reader knows of one answer when it is listed."""

    score: float
    null_margin: float
    runner_up_margin: float
    retrieval_bonus: float
    length: int
    document_windows: int
    question_support: float = 0.0
    block_margin: float = 0.0

    def vector(self, features: Sequence[str] = FEATURES) -> np.ndarray:
        """The named features' values, in the order given."""
        values = {
            "score": self.score,
            "null_margin": self.null_margin,
            "runner_up_margin": min(self.runner_up_margin, NO_RIVAL_MARGIN),
            "retrieval_bonus": self.retrieval_bonus,
            "log_length": math.log1p(self.length),
            "log_document_windows": math.log(max(self.document_windows, 1)),
            "question_support": self.question_support,
            "block_margin": self.block_margin,
        }
        return np.array([values[name] for name in features])


@dataclass(frozen=True)
class Calibration:
    """A fitted map from evidence to the probability that an answer is right.

    Attributes:
        mean, scale: Standardisation of the features (``features`` order).
        weights, bias: The logistic regression over standardised features.
        no_answer_threshold: Below this probability, the best answer is "not found".
        fitted_on: Where it was fitted (the manifest's record).
        features: The evidence it reads (a subset of ``FEATURES``: a calibration
            fitted before a feature was added reads without it).
    """

    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    no_answer_threshold: float
    fitted_on: dict[str, Any]
    features: tuple[str, ...] = FEATURES

    def probability(self, evidence: Evidence) -> float:
        """The probability that an answer with this evidence is right."""
        return float(self.probabilities(evidence.vector(self.features)[None, :])[0])

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = ((features - np.array(self.mean)) / np.array(self.scale)) @ np.array(self.weights)
        result: np.ndarray = 1.0 / (1.0 + np.exp(-(z + self.bias)))
        return result

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(v, 6) for v in self.mean],
            "scale": [round(v, 6) for v in self.scale],
            "weights": [round(v, 6) for v in self.weights],
            "bias": round(self.bias, 6),
            "no_answer_threshold": round(self.no_answer_threshold, 4),
            "fitted_on": self.fitted_on,
        }

    @classmethod
    def from_json(cls, data: Any) -> Calibration:
        """Read a manifest's ``"calibration"``; a malformed one is a broken model."""
        try:
            features = tuple(str(name) for name in data["features"])
            distinct = set(features)
            if not features or len(distinct) != len(features) or not distinct <= set(FEATURES):
                raise ValueError(f"features {list(features)} are not distinct ones of {FEATURES}")
            mean, scale, weights = (
                tuple(float(v) for v in data[k]) for k in ("mean", "scale", "weights")
            )
            if any(len(p) != len(features) for p in (mean, scale, weights)) or min(scale) <= 0:
                raise ValueError("mean, scale and weights need a value per feature, scales > 0")
            return cls(
                mean,
                scale,
                weights,
                bias=float(data["bias"]),
                no_answer_threshold=float(data["no_answer_threshold"]),
                fitted_on=dict(data.get("fitted_on", {})),
                features=features,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BrokenModelError(f"the model's calibration is malformed ({exc})") from exc


def fit_logistic(
    features: np.ndarray, labels: np.ndarray, iterations: int = 4000, l2: float = 1e-3
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Mean, scale, weights and bias of a logistic regression of ``labels`` on
    ``features`` (columns in ``FEATURES`` order), by projected gradient descent
    (deterministic): the weights of the ``MONOTONE`` features stay non-negative, those
    of the ``NON_INCREASING`` ones non-positive."""
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = (features - mean) / scale
    weights = np.zeros(x.shape[1])
    bias = float(np.log((labels.mean() + 1e-6) / (1 - labels.mean() + 1e-6)))
    step = 4.0 / (x.shape[1] + 1)  # 1 / Lipschitz bound of the loss on standardised features
    monotone = np.array([name in MONOTONE for name in FEATURES])
    non_increasing = np.array([name in NON_INCREASING for name in FEATURES])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
        error = p - labels
        weights -= step * (x.T @ error / len(labels) + l2 * weights)
        bias -= step * float(error.mean())
        weights[monotone] = np.maximum(weights[monotone], 0.0)
        weights[non_increasing] = np.minimum(weights[non_increasing], 0.0)
    return mean, scale, weights, bias


def best_threshold(
    confidences: Sequence[float], f1s: Sequence[float], answerable: Sequence[bool]
) -> float:
    """The "not found" threshold that maximises SQuAD 2.0-style F1: a question whose
    best answer falls below it scores 1 if it has no answer and 0 if it has one."""
    confidence = np.asarray(confidences, dtype=float)
    f1 = np.asarray(f1s, dtype=float)
    has = np.asarray(answerable, dtype=bool)
    candidates = np.unique(np.concatenate(([0.0], confidence, [1.0 + 1e-9])))
    best, best_score = 0.0, -1.0
    for threshold in candidates:
        abstain = confidence < threshold
        score = np.where(abstain, ~has, np.where(has, f1, 0.0)).mean()
        if score > best_score + 1e-12:
            best, best_score = float(threshold), float(score)
    return best


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> float:
    """ECE: the gap between confidence and accuracy, averaged over equal-width bins
    weighted by how many answers fall in each."""
    confidence = np.asarray(confidences, dtype=float)
    right = np.asarray(correct, dtype=float)
    if not len(confidence):
        return 0.0
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.sum() * abs(confidence[inside].mean() - right[inside].mean())
    return float(total / len(confidence))


def reliability(
    confidences: Sequence[float], correct: Sequence[bool], bins: int = 10
) -> list[tuple[float, float, int]]:
    """Each non-empty bin's mean confidence, accuracy and size (a reliability diagram)."""
    confidence = np.asarray(confidences, dtype=float)
    right = np.asarray(correct, dtype=float)
    which = np.minimum((confidence * bins).astype(int), bins - 1)
    return [
        (
            float(confidence[which == b].mean()),
            float(right[which == b].mean()),
            int((which == b).sum()),
        )
        for b in range(bins)
        if (which == b).any()
    ]


def in_words(probability: float) -> str:
    """A confidence as a person would say it."""
    if probability >= 0.8:
        return "likely right"
    if probability >= 0.5:
        return "probably right"
    if probability >= 0.2:
        return "unsure"
    return "unlikely"


def fit_calibration(
    questions: Sequence[tuple[Sequence[Evidence], Sequence[float], bool]],
    fitted_on: dict[str, Any],
) -> Calibration:
    """Fit on answered questions: each one's listed answers' evidence (best first),
    those answers' F1 against the gold, and whether it has an answer at all. Every
    listed answer is a fitting example (right: F1 >= ``RIGHT_F1``); the "not found"
    threshold is then chosen on the best answers."""
    vectors = [e.vector() for evidence, _, _ in questions for e in evidence]
    right = [f1 >= RIGHT_F1 for _, f1s, _ in questions for f1 in f1s]
    if len(set(right)) < 2:
        verdict = "right" if right and right[0] else "wrong"
        raise DatasetError(
            f"a calibration needs both right and wrong answers to fit on; all {len(right)} "
            f"answers were {verdict}"
        )
    mean, scale, weights, bias = fit_logistic(np.array(vectors), np.array(right, dtype=float))
    fitted = Calibration(
        tuple(mean.tolist()), tuple(scale.tolist()), tuple(weights.tolist()), bias, 0.0, {}
    )
    tops = [(fitted.probability(ev[0]), f1s[0], has) for ev, f1s, has in questions if ev]
    threshold = best_threshold(*zip(*tops, strict=True)) if tops else 0.0
    record = {
        **fitted_on,
        "questions": len(questions),
        "answers": len(vectors),
        "ece_top_answer": round(
            expected_calibration_error(
                [c for c, _, _ in tops], [f >= RIGHT_F1 for _, f, _ in tops]
            ),
            4,
        ),
    }
    return Calibration(fitted.mean, fitted.scale, fitted.weights, bias, threshold, record)


def calibrate(
    model: ModelInfo,
    groups: list[list[SquadQuestion]],
    fitted_on: dict[str, Any],
    settings: ReaderSettings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Fit ``model``'s calibration by asking it every question of ``groups`` (SQuAD
    questions grouped by document) as the app asks them.

    Which windows the reader reads depends on the calibration (it widens while
    unsure), so the questions are asked twice: first with the raw-score rule, then
    with the first fit in place, and the second fit is kept.
    """
    from dataclasses import replace

    from desktop_qa.core.assistant import Assistant
    from desktop_qa.core.squad import ask_all

    plain = replace(model, manifest={k: v for k, v in model.manifest.items() if k != "calibration"})
    fitted: Calibration | None = None
    for round_number in range(2):
        used = plain
        if fitted is not None:
            used = replace(plain, manifest={**plain.manifest, "calibration": fitted.to_json()})
        asked = ask_all(Assistant(used, settings), groups, _both_rounds(progress, round_number))
        fitted = fit_calibration(
            [(a.result.evidence, a.f1s(), a.question.answerable) for a in asked], fitted_on
        )
    assert fitted is not None
    return fitted


def _both_rounds(
    progress: Callable[[int, int], None] | None, round_number: int
) -> Callable[[int, int], None] | None:
    """Progress of one of the two rounds, counted over both."""
    if progress is None:
        return None
    report = progress
    return lambda done, total: report(round_number * total + done, 2 * total)
