"""Finding a model folder and reading its manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from desktop_qa.core import model
from desktop_qa.core.config import installed_models_dir
from desktop_qa.core.errors import BrokenModelError, ModelNotFoundError
from desktop_qa.core.model import available_models, load_model_info, resolve_model


def test_stand_in_manifest_is_read(tiny_model: Path) -> None:
    info = load_model_info(tiny_model)
    assert info.stand_in and info.name == "stand-in-tiny" and info.max_seq_len == 512
    assert info.graph_for(on_gpu=False).name == "model.onnx"


def test_cpu_prefers_the_int8_graph_and_gpu_the_fp32_one(tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(tiny_model, folder)
    shutil.copy(folder / "model.onnx", folder / "model_quantized.onnx")
    info = load_model_info(folder)
    assert info.graph_for(on_gpu=False).name == "model_quantized.onnx"
    assert info.graph_for(on_gpu=True).name == "model.onnx"


def test_model_from_environment_then_installed_default(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(model, "SHIPPED_MODELS_DIR", tmp_path / "nothing-shipped")
    with pytest.raises(ModelNotFoundError, match="no QA model is installed"):
        resolve_model(None)
    monkeypatch.setenv("DESKTOP_QA_MODEL", str(tiny_model))
    assert resolve_model(None).path == tiny_model
    monkeypatch.delenv("DESKTOP_QA_MODEL")
    default = installed_models_dir() / "default"
    shutil.copytree(tiny_model, default)
    with pytest.raises(ModelNotFoundError):
        resolve_model(None)  # a stand-in is never picked as the default
    manifest = json.loads((default / "desktop_qa.json").read_text())
    manifest["stand_in"] = False
    (default / "desktop_qa.json").write_text(json.dumps(manifest))
    assert resolve_model(None).path == default


def test_incomplete_model_folders_are_refused(tiny_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "partial"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"x")
    with pytest.raises(BrokenModelError, match=r"no tokenizer\.json"):
        load_model_info(folder)
    shutil.copy(tiny_model / "tokenizer.json", folder)
    (folder / "model.onnx").unlink()
    with pytest.raises(BrokenModelError, match=r"no model\.onnx"):
        load_model_info(folder)
    (folder / "model.onnx").write_bytes(b"x")
    (folder / "desktop_qa.json").write_text("[1, 2]")
    with pytest.raises(BrokenModelError, match="JSON object"):
        load_model_info(folder)


def test_shipped_model_is_the_fallback_and_stand_ins_are_never_listed(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped = tmp_path / "shipped"
    real = built_in(shipped / model.FAST_BUILT_IN, tiny_model, "Fast", 0.5)
    shutil.copytree(tiny_model, shipped / "a-stand-in")
    monkeypatch.setattr(model, "SHIPPED_MODELS_DIR", shipped)
    assert resolve_model(None).path == real
    assert [(where, info.path) for where, info in available_models()] == [("shipped", real)]


def built_in(
    folder: Path, tiny_model: Path, tier: str, seconds: float, whole_f1: float = 78.0
) -> Path:
    """A shipped model folder with a tier and measured figures (the tiny model's files)."""
    shutil.copytree(tiny_model, folder)
    manifest = json.loads((folder / "desktop_qa.json").read_text())
    measured = {"paragraph_f1": 80.0, "whole_article_f1": whole_f1, "seconds_per_question": seconds,
                "pages": 15, "machine": "2-core x86_64 CPU"}  # fmt: skip
    manifest.update(name=folder.name, stand_in=False, tier=tier, measured=measured)
    (folder / "desktop_qa.json").write_text(json.dumps(manifest))
    return folder


def test_built_in_models_are_picked_by_name_fastest_first_and_installed_ones_win(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped = tmp_path / "shipped"
    accurate = built_in(shipped / "accurate-model", tiny_model, "Accurate", 0.9)
    fast = built_in(shipped / "fast-model", tiny_model, "Fast", 0.2, whole_f1=63.0)
    monkeypatch.setattr(model, "SHIPPED_MODELS_DIR", shipped)
    assert [info.path for info in model.shipped_models()] == [fast, accurate]
    assert resolve_model(None).path == accurate  # more accurate, and under 1 s a question
    assert resolve_model("accurate-model").path == accurate
    facts = "; ".join(resolve_model("accurate-model").facts)
    assert "F1 80.0 by paragraph, 78.0 asked of a whole article" in facts
    assert "0.9 s a question on a 15-page paper" in facts
    mine = installed_models_dir() / "accurate-model"
    shutil.copytree(tiny_model, mine)
    assert resolve_model("accurate-model").path == mine
    with pytest.raises(ModelNotFoundError, match="no installed or built-in model named 'other'"):
        resolve_model("other")


def test_the_fast_built_in_model_stays_the_default_where_the_accurate_one_is_slow(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shipped = tmp_path / "shipped"
    built_in(shipped / "accurate-model", tiny_model, "Accurate", 1.4)
    fast = built_in(shipped / "fast-model", tiny_model, "Fast", 0.2, whole_f1=63.0)
    monkeypatch.setattr(model, "SHIPPED_MODELS_DIR", shipped)
    assert resolve_model(None).path == fast
