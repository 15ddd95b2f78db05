"""The whole pipeline on a real paper, driven by oracle logits.

For every question of ``alexnet.qa.json`` the gold answer is located in the
document text on its gold page and turned into the token span an oracle reader
would pick. The pipeline must return exactly the gold text, on the gold page,
with boxes that read back the answer from the PDF itself.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pymupdf
import pytest

from desktop_qa.core.assistant import Assistant, OpenDocument
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.model import load_model_info
from tests.conftest import shared_file
from tests.oracle import OracleLogits, token_span

QA_FILE = "alexnet.qa.json"


def questions() -> list[dict[str, object]]:
    path = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / QA_FILE
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8"))["questions"])


@pytest.fixture(scope="module")
def pipeline(tiny_model: Path) -> tuple[Assistant, OracleLogits, OpenDocument]:
    oracle = OracleLogits(None)
    assistant = Assistant(load_model_info(tiny_model), ReaderSettings(), oracle)
    return assistant, oracle, assistant.open(shared_file("corpus", "alexnet.pdf"))


def squash(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.mark.parametrize("item", questions(), ids=lambda item: str(item["id"]))
def test_oracle_span_comes_back_as_the_gold_text_on_the_gold_page_with_its_boxes(
    pipeline: tuple[Assistant, OracleLogits, OpenDocument], item: dict[str, object]
) -> None:
    assistant, oracle, opened = pipeline
    document = opened.document
    gold_text = str(item["answers"][0])  # type: ignore[index]
    page = document.pages[int(item["page"]) - 1]  # type: ignore[call-overload]
    char_start = document.text.index(gold_text, page.char_start, page.char_end)
    oracle.span = token_span(opened.tokens, char_start, char_start + len(gold_text))

    result = assistant.ask(opened, str(item["question"]))

    best = result.answers[0]
    assert best.text == gold_text
    assert best.page == item["page"]
    assert (best.char_start, best.char_end) == (char_start, char_start + len(gold_text))
    pdf = pymupdf.open(document.path)
    read_back = ""
    for fragment in best.fragments:
        assert fragment.page == item["page"]
        read_back += pdf[fragment.page - 1].get_textbox(pymupdf.Rect(fragment.box))
    assert squash(read_back) == squash(gold_text)
