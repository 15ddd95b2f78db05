"""scripts/recover_run.py: the shipped int8 graph's weights back in a trainable model."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from desktop_qa.core.config import shipped_dir
from desktop_qa.core.convert import calibration_windows
from desktop_qa.core.model import FAST_BUILT_IN, INT8_GRAPH, MANIFEST_NAME, TOKENIZER_NAME

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("onnx")

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "recover_run.py"


def recover_run() -> ModuleType:
    spec = importlib.util.spec_from_file_location("recover_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_recovered_weights_answer_as_the_shipped_int8_graph(tmp_path: Path) -> None:
    import onnxruntime as ort
    from transformers import BertConfig, BertForQuestionAnswering

    shipped = shipped_dir("models") / FAST_BUILT_IN
    script = recover_run()
    saved = torch.load(script.recover(shipped, tmp_path / "run"), weights_only=False)
    manifest = json.loads((shipped / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert saved["step"] == manifest["training"]["steps"]
    assert saved["init"] == manifest["recipe"]["init"]  # earlier stages stay on record
    assert saved["identity"]["recovered"] == script.RECOVERED

    _, shape = script.graph_weights(shipped / INT8_GRAPH)
    model = BertForQuestionAnswering(BertConfig(**shape))
    model.load_state_dict(saved["model"])
    model.eval()
    session = ort.InferenceSession(str(shipped / INT8_GRAPH))
    windows = calibration_windows(shipped / TOKENIZER_NAME, 384)
    agree = 0
    for window in windows:
        feed = {name: array.astype(np.int64) for name, array in window.items()}
        graph_start, graph_end = session.run(["start_logits", "end_logits"], feed)
        with torch.no_grad():
            out = model(**{name: torch.from_numpy(array) for name, array in feed.items()})
        start, end = out.start_logits.numpy(), out.end_logits.numpy()
        assert np.abs(start - graph_start).max() < 1.5  # int8 rounding of the activations
        agree += int(start.argmax() == graph_start.argmax() and end.argmax() == graph_end.argmax())
    assert agree >= len(windows) - 2
