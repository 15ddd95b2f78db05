"""Every odd or broken PDF of the shared corpus opens or fails with a documented error."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_qa.core.document import open_pdf
from desktop_qa.core.errors import DocumentError
from tests.conftest import CORPUS

ODD = sorted((CORPUS / "odd").glob("*.pdf")) if (CORPUS / "odd").is_dir() else []


@pytest.mark.skipif(not ODD, reason="../shared/corpus/odd is not available")
@pytest.mark.parametrize("path", ODD, ids=lambda p: p.name)
@pytest.mark.timeout(60)  # a hang fails the test instead of stalling the run
def test_odd_pdf_opens_or_fails_with_a_document_error(path: Path) -> None:
    try:
        document = open_pdf(path)
    except DocumentError as error:
        assert str(error).startswith(str(path))
        return
    assert document.text.strip()
    assert len(document.char_box) == len(document.text)
    for page in document.pages:
        assert 0 <= page.char_start <= page.char_end <= len(document.text)
