"""The document cache: a second open skips extraction and tokenisation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from desktop_qa.core import document as document_module
from desktop_qa.core.assistant import Assistant
from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.model import load_model_info
from tests.conftest import shared_file
from tests.pdfs import encrypted_pdf


@pytest.fixture
def assistant(tiny_model: Path, tmp_path: Path) -> Assistant:
    return Assistant(load_model_info(tiny_model), cache=DocumentCache(tmp_path / "cache"))


def test_a_second_open_comes_from_the_cache_even_after_a_move(
    assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = Path(shutil.copy(shared_file("corpus", "alexnet.pdf"), tmp_path / "a.pdf"))
    first = assistant.open(pdf)
    assert len(list((tmp_path / "cache").rglob("*.npz"))) == 2

    def no_extraction(*args: object) -> None:
        raise AssertionError("extraction ran although the document is cached")

    monkeypatch.setattr(document_module, "_build_document", no_extraction)
    monkeypatch.setattr("desktop_qa.core.assistant.tokenize_document", no_extraction)
    moved = pdf.rename(tmp_path / "moved.pdf")
    second = assistant.open(moved)
    assert second.document.path == moved and second.document.text == first.document.text
    assert second.document.pages == first.document.pages
    np.testing.assert_array_equal(second.document.char_box, first.document.char_box)
    np.testing.assert_array_equal(second.tokens.offsets, first.tokens.offsets)
    assert second.document.fragments(100, 120) == first.document.fragments(100, 120)


def test_a_damaged_cache_entry_is_rebuilt(assistant: Assistant, tmp_path: Path) -> None:
    pdf = shared_file("corpus", "alexnet.pdf")
    first = assistant.open(pdf)
    for entry in (tmp_path / "cache").rglob("*.npz"):
        entry.write_bytes(b"not an npz file")
    again = assistant.open(pdf)
    assert again.document.text == first.document.text
    assert len(again.tokens) == len(first.tokens)


def test_encrypted_documents_are_never_cached(assistant: Assistant, tmp_path: Path) -> None:
    secret = encrypted_pdf(tmp_path / "secret.pdf", "pw")
    assert "launch" in assistant.open(secret, password="pw").document.text
    assert not list((tmp_path / "cache").rglob("*.npz"))
