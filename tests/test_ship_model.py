"""scripts/ship_model.py: ships the better model and keeps every recipe tried on record."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from desktop_qa.core.model import INT8_GRAPH, MANIFEST_NAME, TOKENIZER_NAME, load_model_info

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "ship_model.py"


def ship_model() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ship_model", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trained(folder: Path, version: str, f1: float, tiny_model: Path) -> Path:
    """A run's model folder as training leaves it (the tiny stand-in's files)."""
    folder.mkdir()
    (folder / INT8_GRAPH).write_bytes((tiny_model / "model.onnx").read_bytes())
    (folder / TOKENIZER_NAME).write_bytes((tiny_model / TOKENIZER_NAME).read_bytes())
    manifest = {
        "name": "desktop-qa-test", "version": version, "stand_in": False, "no_answer": False,
        "max_seq_len": 128, "recipe": {"epochs": "1.0"}, "training": {"steps": 3},
        "base_model": {"source": "microsoft/mpnet-base", "layers": "12"},
        "evaluation": {"int8": {"exact": f1 - 10, "f1": f1}},
        "measured": {"paragraph_f1": f1, "seconds_per_question": 0.2},
    }  # fmt: skip
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    return folder


def test_the_better_model_is_shipped_and_the_replaced_one_stays_on_record(
    tmp_path: Path, tiny_model: Path
) -> None:
    ship = ship_model().ship
    target = tmp_path / "shipped"
    first = trained(tmp_path / "a", "recipe-a", 65.4, tiny_model)
    with pytest.raises(SystemExit, match="new built-in model: say its --tier"):
        ship(first, target)
    ship(first, target, tier="Fast")
    assert load_model_info(target).version == "recipe-a"
    assert load_model_info(target).tier == "Fast"
    # the base model training recorded is kept (no --base)
    assert load_model_info(target).manifest["base_model"]["source"] == "microsoft/mpnet-base"
    worse = trained(tmp_path / "worse", "recipe-worse", 60.0, tiny_model)
    with pytest.raises(SystemExit, match=r"more than 1.0 below the shipped model.s 65\.4"):
        ship(worse, target)
    assert load_model_info(target).version == "recipe-a"
    ship(trained(tmp_path / "close", "recipe-close", 64.5, tiny_model), target)  # within 1
    assert load_model_info(target).version == "recipe-close"

    unmeasured = trained(tmp_path / "unmeasured", "recipe-unmeasured", 70.0, tiny_model)
    manifest = json.loads((unmeasured / MANIFEST_NAME).read_text())
    del manifest["measured"]
    (unmeasured / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(SystemExit, match=r"answer_quality\.py --record"):
        ship(unmeasured, target)

    ship(trained(tmp_path / "b", "recipe-b", 75.2, tiny_model), target)
    info = load_model_info(target)
    assert info.version == "recipe-b" and info.tier == "Fast"  # the replaced model's tier
    info.check_sha256(target / INT8_GRAPH)
    earlier = info.manifest["earlier_recipes"]
    assert [e["version"] for e in earlier] == ["recipe-a", "recipe-close"]
    assert earlier[0]["evaluation"]["int8"]["f1"] == 65.4
    ship(worse, target, force=True)
    assert [e["version"] for e in load_model_info(target).manifest["earlier_recipes"]] == [
        "recipe-a",
        "recipe-close",
        "recipe-b",
    ]
