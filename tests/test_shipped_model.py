"""The models shipped in models/ answer real questions through the normal reader.

Only properties that hold for any model are asserted: answers are spans of the
document text, on valid pages, with boxes that read the answer back from the PDF.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.chunking import encode_windows, tokenize_question
from desktop_qa.core.model import (
    FAST_BUILT_IN,
    SHIPPED_MODELS_DIR,
    ModelInfo,
    resolve_model,
    shipped_models,
)
from tests.conftest import shared_file

SHIPPED = SHIPPED_MODELS_DIR / FAST_BUILT_IN
BUILT_IN = shipped_models() if SHIPPED.is_dir() else []
each_built_in = pytest.mark.parametrize("built_in", BUILT_IN, ids=[m.name for m in BUILT_IN])

pytestmark = pytest.mark.skipif(not SHIPPED.is_dir(), reason="no model shipped in models/")


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).replace("-", "").split())


def test_the_default_is_the_fast_built_in_model_unless_the_accurate_one_answers_in_1_s() -> None:
    info = resolve_model(None)
    assert BUILT_IN[0].path == SHIPPED and BUILT_IN[0].tier == "Fast"  # fastest first
    accurate = [m for m in BUILT_IN if m.tier == "Accurate"]
    quick = bool(accurate) and accurate[0].measured_figures["seconds_per_question"] < 1.0
    assert info.tier == ("Accurate" if quick else "Fast")
    assert (SHIPPED / "model_quantized.onnx").stat().st_size < 40_000_000


@each_built_in
def test_each_built_in_model_describes_itself(
    built_in: ModelInfo, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop_qa.cli import main

    assert resolve_model(built_in.name).path == built_in.path  # --model NAME picks it
    assert not built_in.stand_in and built_in.no_answer and built_in.shared_normalization
    assert built_in.calibration is not None  # trained to say "not found", with a fitted threshold
    manifest = built_in.manifest
    assert {"base_model", "training_data", "recipe", "training", "evaluation"} <= set(manifest)
    for graph in ("fp32", "int8"):
        assert 0 < manifest["evaluation"][graph]["f1"] <= 100
    assert built_in.measured is not None  # the figures Settings and the About box show
    assert main(["model", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"built-in, {built_in.tier}: {built_in.path}" in listed


def middle_band(box: tuple[float, float, float, float]) -> pymupdf.Rect:
    """The box without its top and bottom 30%: a raised footnote mark in the answer
    stretches the box up, and the line above must not be read back with it."""
    x0, y0, x1, y1 = box
    inset = 0.3 * (y1 - y0)
    return pymupdf.Rect(x0, y0 + inset, x1, y1 - inset)


@each_built_in
def test_each_built_in_model_answers_alexnet_from_the_text_with_boxes(built_in: ModelInfo) -> None:
    qa = json.loads(shared_file("corpus", "alexnet.qa.json").read_text(encoding="utf-8"))
    assistant = Assistant(built_in)
    assert assistant.provider == "cpu"
    opened = assistant.open(shared_file("corpus", "alexnet.pdf"))
    document = opened.document
    pdf = pymupdf.open(document.path)
    for item in qa["questions"]:
        result = assistant.ask(opened, item["question"])
        assert result.answers  # listed even under "not found", as the best guesses
        scores = [answer.score for answer in result.answers]
        assert scores == sorted(scores, reverse=True)
        for answer in result.answers:
            assert answer.text == document.text[answer.char_start : answer.char_end]
            assert answer.text.strip()
            assert answer.page == document.page_at(answer.char_start)
            assert 1 <= answer.page <= document.page_count
            read_back = "".join(
                pdf[f.page - 1].get_textbox(middle_band(f.box)) for f in answer.fragments
            )
            # A box may also touch the punctuation glyph right after the answer.
            assert squash(answer.text) in squash(read_back)
            assert len(squash(read_back)) - len(squash(answer.text)) <= 2


def test_cli_ask_works_with_no_model_configured(tmp_path: Path) -> None:
    import subprocess
    import sys

    alexnet = shared_file("corpus", "alexnet.pdf")
    completed = subprocess.run(
        [sys.executable, "-m", "desktop_qa", "ask", str(alexnet), "What is dropout?", "--json"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr
    payload = json.loads(completed.stdout)
    assert payload["answers"] and payload["provider"] == "cpu"
    assert "stand-in" not in completed.stderr


def test_a_windows_int8_logits_do_not_depend_on_its_batch_mates() -> None:
    assistant = Assistant(resolve_model(None))
    reader = assistant.reader
    opened = assistant.open(shared_file("corpus", "alexnet.pdf"))
    question = tokenize_question(reader.tokenizer, "What top-1 error rate was achieved?", 64)
    windows = opened.windows[:4]
    together = reader.model.logits(
        encode_windows(reader.tokenizer.template, question, opened.tokens, windows)
    )
    for row, window in enumerate(windows):
        alone = reader.model.logits(
            encode_windows(reader.tokenizer.template, question, opened.tokens, [window])
        )
        width = alone[0].shape[1]
        np.testing.assert_array_equal(together[0][row, :width], alone[0][0])
        np.testing.assert_array_equal(together[1][row, :width], alone[1][0])
