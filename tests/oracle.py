"""Oracle logits: a model stand-in that knows which document span is right.

It peaks the start logit at the gold span's first token and the end logit at
its last token, in every window that holds the whole span; the null score at
position 0 is ``null_logit`` twice. ``others`` are more spans, each with its own
peak (a decoy the model likes, or a weak answer). This tests windowing, decoding, merging
and placement without depending on what a random-weight model would say.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from desktop_qa.core.chunking import DocumentTokens, EncodedBatch
from desktop_qa.core.model import MANIFEST_NAME

PEAK = 10.0
FLOOR = -5.0


def token_span(tokens: DocumentTokens, char_start: int, char_end: int) -> tuple[int, int]:
    """First and last token (inclusive) covering the characters [char_start, char_end)."""
    first = int(np.nonzero(tokens.offsets[:, 1] > char_start)[0][0])
    last = int(np.nonzero(tokens.offsets[:, 0] < char_end)[0][-1])
    return first, last


class OracleLogits:
    """Logits that point at one document token span."""

    def __init__(
        self,
        span: tuple[int, int] | None,
        null_logit: float = 0.0,
        others: dict[tuple[int, int], float] | None = None,
    ) -> None:
        self.span = span
        self.null_logit = null_logit
        self.others = others or {}
        self.batches: list[EncodedBatch] = []

    def logits(self, batch: EncodedBatch) -> tuple[np.ndarray, np.ndarray]:
        self.batches.append(batch)
        shape = batch.input_ids.shape
        start = np.full(shape, FLOOR, dtype=np.float32)
        end = np.full(shape, FLOOR, dtype=np.float32)
        start[:, 0] = end[:, 0] = self.null_logit
        spans = dict(self.others)
        if self.span is not None:
            spans[self.span] = PEAK
        for (first, last), peak in spans.items():
            for row, window in enumerate(batch.windows):
                if window.token_start <= first and last < window.token_end:
                    start[row, batch.passage_start + first - window.token_start] = peak
                    end[row, batch.passage_start + last - window.token_start] = peak
        return start, end


def calibrated_copy(model: Path, folder: Path, threshold: float) -> Path:
    """The tiny stand-in with a hand-set calibration: confidence rises with the score."""
    shutil.copytree(model, folder)
    manifest = json.loads((folder / MANIFEST_NAME).read_text())
    manifest["calibration"] = {
        "features": ["score", "null_margin", "runner_up_margin", "retrieval_bonus", "log_length"],
        "mean": [10.0, 0.0, 0.0, 0.0, 0.0], "scale": [2.0, 1.0, 1.0, 1.0, 1.0],
        "weights": [1.0, 0.0, 0.0, 0.0, 0.0], "bias": 0.0,
        "no_answer_threshold": threshold, "fitted_on": {"data": "by hand"},
    }  # fmt: skip
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    return folder


class PhraseOracle:
    """Logits that peak wherever a phrase's token ids appear in a window's passage, in
    whichever document the window is: an oracle for libraries."""

    def __init__(self, *phrases: tuple[int, ...]) -> None:
        self.phrases = phrases

    def logits(self, batch: EncodedBatch) -> tuple[np.ndarray, np.ndarray]:
        start = np.full(batch.input_ids.shape, FLOOR, dtype=np.float32)
        end = start.copy()
        start[:, 0] = end[:, 0] = 0.0
        for row, ids in enumerate(batch.input_ids.tolist()):
            length = int(batch.attention_mask[row].sum())
            for phrase in self.phrases:
                n = len(phrase)
                for i in range(batch.passage_start, length - n):
                    if tuple(ids[i : i + n]) == phrase:
                        start[row, i], end[row, i + n - 1] = PEAK, PEAK
        return start, end
