"""Shared fixtures: user folders in tmp_path, the shared corpus, a stand-in model."""

from __future__ import annotations

import os
from pathlib import Path

# Qt must know it has no screen before it loads (else the qapp fixture aborts).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data folder and no model from the environment."""
    monkeypatch.setenv("DESKTOP_QA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DESKTOP_QA_MODEL", raising=False)


def shared_file(*parts: str) -> Path:
    """A file from ../shared, or a clean skip where it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not available")
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight stand-in model (built once per test session)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from desktop_qa.core.standin import make_stand_in

    return make_stand_in(tmp_path_factory.mktemp("models") / "tiny", "tiny", seed=0)


@pytest.fixture(scope="session")
def tiny_no_answer_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny stand-in, marked as a SQuAD 2.0 no-answer model."""
    pytest.importorskip("torch")
    from desktop_qa.core.standin import make_stand_in

    return make_stand_in(tmp_path_factory.mktemp("models") / "tiny-na", "tiny", 0, no_answer=True)
