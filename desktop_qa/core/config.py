"""Settings for reading and training, stand-in model shapes, and where desktop-qa keeps its data."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from desktop_qa.core.errors import InputError

APP_NAME = "desktop-qa"
PROVIDER_CHOICES = ("auto", "cpu", "cuda", "directml")


@dataclass(frozen=True)
class ReaderSettings:
    """How questions are windowed, read and decoded.

    Attributes:
        top_k: How many answers to return.
        max_seq_len: Largest model input, special tokens included.
        stride: Tokens shared by two consecutive windows (their overlap), as
            in Hugging Face's ``stride``; it is not the step between windows.
        max_question_tokens: Longer questions are truncated with a warning.
        max_answer_tokens: Longest answer span, in tokens.
        n_best_per_window: Candidate spans kept from each window.
        no_answer_threshold: For a model with a calibration, "not found" is
            reported when the best answer's confidence is below this probability
            (None: the model's own fitted threshold); for an uncalibrated
            no-answer model, when the null score exceeds the best span score by
            more than this (None: 0).
        batch_size: Windows run through the model at once.
        provider: ``auto``, ``cpu``, ``cuda`` or ``directml``.
        retrieval_k: Windows read per round, best BM25 matches first; 0 reads
            every window in one round ("thorough").
        widen_below_confidence: Another round is read while the best answer's
            confidence is below this (models with a calibration; None: the
            model's "not found" threshold, so reading goes on only where the
            answer would otherwise be "not found").
        widen_from_confidence: ... and only while it is at least this (None:
            three quarters of the "not found" threshold, ``WIDEN_FROM_SHARE``): an
            answer further below it stays "not found" after another round.
        max_rounds: Rounds of ``retrieval_k`` windows read at most while widening
            (0: until every window is read). Reading 16 windows instead of 6 gained
            0.3 F1 on whole SQuAD articles, and an answer that is not in the
            document would otherwise read all of it.
        widen_below: For a model without a calibration, another round is read
            while the best answer's reader score (start + end logit sum, without
            retrieval bonus) is below this; what counts as weak depends on the model.
        retrieval_weight: Added to the score of an answer in proportion to how well
            its window matches the question (BM25 relative to the best-matching
            window, which gives the whole weight); 0 ranks answers by the model
            alone.
        open_budget_s: Seconds one document may take to open (text and OCR)
            before it is given up; 0 means no limit.
        threads: CPU threads for the model; 0: one per physical core.
    """

    top_k: int = 5
    max_seq_len: int = 512
    stride: int = 128
    max_question_tokens: int = 64
    max_answer_tokens: int = 30
    n_best_per_window: int = 20
    no_answer_threshold: float | None = None
    batch_size: int = 8
    provider: str = "auto"
    retrieval_k: int = 6
    widen_below_confidence: float | None = None
    widen_from_confidence: float | None = None
    max_rounds: int = 2
    widen_below: float = 5.0
    retrieval_weight: float = 5.0
    open_budget_s: float = 600.0
    threads: int = 0

    def __post_init__(self) -> None:
        positive = {
            "top_k": self.top_k,
            "max_answer_tokens": self.max_answer_tokens,
            "n_best_per_window": self.n_best_per_window,
            "batch_size": self.batch_size,
            "max_question_tokens": self.max_question_tokens,
        }
        for name, value in positive.items():
            if value < 1:
                raise InputError(f"{name.replace('_', '-')} must be at least 1, not {value}")
        non_negative = {
            "retrieval-k": self.retrieval_k,
            "max-rounds": self.max_rounds,
            "threads": self.threads,
            "open-timeout": self.open_budget_s,
            "retrieval-weight": self.retrieval_weight,
            "stride": self.stride,
        }
        for flag, number in non_negative.items():
            if number < 0:
                raise InputError(f"{flag} must not be negative, not {number}")
        if self.max_seq_len < self.max_question_tokens + 8:
            raise InputError(
                f"max sequence length {self.max_seq_len} leaves no room for a passage "
                f"after a {self.max_question_tokens}-token question"
            )
        if self.provider not in PROVIDER_CHOICES:
            raise InputError(
                f"unknown provider {self.provider!r}; choose one of {', '.join(PROVIDER_CHOICES)}"
            )


#: Settings that must match for a run to resume from a checkpoint.
RUN_IDENTITY = (
    "base", "data", "max_seq_len", "stride", "epochs", "learning_rate", "batch_size",
    "warmup", "weight_decay", "seed", "limit_questions", "validation_articles", "precision",
    "init", "context", "negatives_per_question", "unanswerable_fraction",
)  # fmt: skip
#: Recipe fields added later: part of a run's identity only when set, so that runs
#: started before them still resume.
LATER_IDENTITY = {
    "entity_swap_fraction": 0.0, "fresh_questions": False, "own_paragraph_fraction": 0.0
}  # fmt: skip
TRAIN_PRECISIONS = ("fp32", "bf16")
#: Where a run trains: "auto" is a CUDA GPU where PyTorch sees one, else the CPU.
TRAIN_DEVICES = ("auto", "cpu", "cuda")
TRAIN_CONTEXTS = ("article", "paragraph")


@dataclass(frozen=True)
class TrainConfig:
    """One training recipe for ``desktop-qa model train``.

    ``out`` receives checkpoints and, at the end, the exported model in ``out/model``.
    ``context``, ``negatives_per_question``, ``unanswerable_fraction``,
    ``entity_swap_fraction`` and ``own_paragraph_fraction`` say how questions become
    groups of windows (``training_data``); all but ``context`` apply to the article
    context only.
    """

    base: Path
    data: Path
    out: Path
    max_seq_len: int = 384
    stride: int = 128
    epochs: float = 1.0
    learning_rate: float = 1e-4
    batch_size: int = 32
    warmup: float = 0.1
    weight_decay: float = 0.01
    seed: int = 0
    limit_questions: int | None = None
    validation_articles: int = 8
    validation_limit: int | None = None
    checkpoint_every: int = 50
    stop_after_steps: int | None = None
    precision: str = "fp32"  # "bf16": mixed precision, about 2x faster on CPUs with AVX512-BF16
    init: Path | None = None  # an earlier run folder whose trained weights this run starts from
    name: str = "desktop-qa-minilm-squad"
    context: str = "article"
    negatives_per_question: int = 2
    unanswerable_fraction: float = 0.33
    entity_swap_fraction: float = 0.0
    own_paragraph_fraction: float = 0.0
    fresh_questions: bool = False  # leave out the questions the --init stages trained on
    device: str = "auto"  # not part of the run's identity: a run resumes on any device

    def __post_init__(self) -> None:
        if self.device not in TRAIN_DEVICES:
            raise InputError(f"device must be one of {', '.join(TRAIN_DEVICES)}")
        if self.context not in TRAIN_CONTEXTS:
            raise InputError(f"context must be one of {', '.join(TRAIN_CONTEXTS)}")
        if self.fresh_questions and self.init is None:
            raise InputError("--fresh-questions needs --init: there are no earlier stages")
        if self.validation_limit is not None and self.validation_limit < 1:
            raise InputError("validation-limit must be at least 1")
        if self.negatives_per_question < 0:
            raise InputError("negatives-per-question must not be negative")
        if not 0 <= self.unanswerable_fraction < 1:
            raise InputError("unanswerable-fraction must be at least 0 and below 1")
        if not 0 <= self.entity_swap_fraction <= 1:
            raise InputError("entity-swap-fraction must be between 0 and 1")
        if not 0 <= self.own_paragraph_fraction <= 1:
            raise InputError("own-paragraph-fraction must be between 0 and 1")

    def identity(self) -> dict[str, str]:
        values = asdict(self)
        later = {k: str(values[k]) for k, default in LATER_IDENTITY.items() if values[k] != default}
        return {**{key: str(values[key]) for key in RUN_IDENTITY}, **later}


@dataclass(frozen=True)
class StandInShape:
    """Sizes of a stand-in BERT (``desktop-qa model make-test --size``)."""

    vocab_size: int
    hidden: int
    layers: int
    heads: int
    intermediate: int
    max_seq_len: int = 512


SHAPES = {
    "tiny": StandInShape(vocab_size=8000, hidden=64, layers=2, heads=2, intermediate=128),
    "base": StandInShape(vocab_size=30522, hidden=768, layers=12, heads=12, intermediate=3072),
    # distilbert-base-cased-distilled-squad's size and windows: BERT-base with half the layers
    "distil": StandInShape(
        30522, hidden=768, layers=6, heads=12, intermediate=3072, max_seq_len=384
    ),
}


def shipped_dir(name: str) -> Path:
    """A folder that comes with desktop-qa (``models``, ``resources``): beside the
    package in a checkout, else under ``<prefix>/share/desktop-qa`` of a wheel install."""
    import sys

    checkout = Path(__file__).resolve().parents[2] / name
    installed = Path(sys.prefix) / "share" / APP_NAME / name
    return checkout if checkout.is_dir() or not installed.is_dir() else installed


def data_dir() -> Path:
    """The per-user data folder (``DESKTOP_QA_DATA_DIR`` overrides it)."""
    override = os.environ.get("DESKTOP_QA_DATA_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def installed_models_dir() -> Path:
    """Where installed models live, one folder each."""
    return data_dir() / "models"
