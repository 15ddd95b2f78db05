"""Fuzzing: mutated real PDF bytes through opening, windowing and the whole ask path.

Only the project's own documented errors (``DesktopQAError``) may come out.
CI runs a bounded number of examples; for a longer run:

    DESKTOP_QA_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/robustness -k fuzz
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.errors import DesktopQAError
from desktop_qa.core.model import load_model_info
from tests.conftest import CORPUS
from tests.pdfs import text_pdf

EXAMPLES = int(os.environ.get("DESKTOP_QA_FUZZ_EXAMPLES", "40"))
SEEDS = ["text-find-ligatures.pdf", "test_4415.pdf", "widgettest.pdf", "test-2812.pdf"]


def seed_documents(folder: Path) -> list[bytes]:
    made = text_pdf(folder / "seed.pdf", ["Rollo led the Normans.", "They came in 911."])
    seeds = [made.read_bytes()]
    seeds += [(CORPUS / "odd" / n).read_bytes() for n in SEEDS if (CORPUS / "odd" / n).is_file()]
    return seeds


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "zero", "duplicate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 4096))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "zero":
            data[at : at + 64] = bytes(len(data[at : at + 64]))
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 512))]
    return bytes(data)


@pytest.fixture(scope="module")
def fuzz_setup(
    tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Assistant, list[bytes], Path]:
    folder = tmp_path_factory.mktemp("fuzz")
    settings_ = ReaderSettings(max_seq_len=128, stride=32)
    assistant = Assistant(
        load_model_info(tiny_model), settings_, cache=DocumentCache(folder / "cache")
    )
    return assistant, seed_documents(folder), folder


def test_mutated_pdfs_give_answers_or_documented_errors(
    fuzz_setup: tuple[Assistant, list[bytes], Path],
) -> None:
    assistant, seeds, folder = fuzz_setup

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=mutated(seeds), question=st.text(max_size=300))
    def fuzz(data: bytes, question: str) -> None:
        path = folder / "fuzzed.pdf"
        path.write_bytes(data)
        try:
            opened = assistant.open(path)
            result = assistant.ask(opened, question or "what?")
        except DesktopQAError:
            return
        for answer in result.answers:
            assert answer.text == opened.document.text[answer.char_start : answer.char_end]

    fuzz()
