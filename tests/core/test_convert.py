"""Importing and verifying models: a real checkpoint in, a verified ONNX folder out."""

from __future__ import annotations

import json
from pathlib import Path

import onnxruntime
import pytest

from desktop_qa.core.config import SHAPES, installed_models_dir
from desktop_qa.core.convert import (
    AttentionShape,
    import_model,
    model_file_hashes,
    quantize_int8,
    verify_model,
)
from desktop_qa.core.errors import BrokenModelError, ModelError, ModelNotFoundError
from desktop_qa.core.model import load_model_info, remove_model, resolve_model
from tests.checkpoints import checkpoint, mpnet_checkpoint

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


def test_import_a_checkpoint_exports_quantizes_verifies_and_installs(
    tiny_model: Path, tmp_path: Path
) -> None:
    source = checkpoint(tmp_path / "my-bert-qa", tiny_model / "tokenizer.json")
    target = import_model(source)
    assert target == installed_models_dir() / "my-bert-qa"
    info = load_model_info(target)
    assert not info.stand_in and info.max_seq_len == 512
    assert (target / "model.onnx").is_file() and (target / "model_quantized.onnx").is_file()
    assert info.manifest["verify"]["agreement"] >= 0.8
    assert resolve_model("my-bert-qa").path == target
    report = verify_model(target)
    assert report.passed and report.pairs == 12 and report.max_logit_difference < 1.0
    assert "QAttention" in operators(target / "model_quantized.onnx")  # shape from config.json
    with pytest.raises(ModelError, match="installed already"):
        import_model(source)
    assert remove_model("my-bert-qa") == target and not target.exists()


def test_an_mpnet_checkpoint_imports_without_token_types_and_reads_a_pdf(
    tmp_path: Path,
) -> None:
    from desktop_qa.core.assistant import Assistant
    from tests.pdfs import text_pdf

    target = import_model(mpnet_checkpoint(tmp_path / "my-mpnet-qa"))
    for graph in ("model.onnx", "model_quantized.onnx"):
        inputs = {i.name for i in onnxruntime.InferenceSession(str(target / graph)).get_inputs()}
        assert inputs == {"input_ids", "attention_mask"}
    assert verify_model(target).passed
    pdf = text_pdf(tmp_path / "castle.pdf", ["The castle was built in 1066 by the duke."])
    assistant = Assistant(load_model_info(target))
    opened = assistant.open(pdf)
    result = assistant.ask(opened, "When was the castle built?")
    assert result.answers  # a random model's answers, so only what must hold for any
    for answer in result.answers:
        assert answer.text == opened.document.text[answer.char_start : answer.char_end]
        assert answer.page == 1 and answer.fragments


def operators(graph: Path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(graph)).graph.node}


def test_int8_weights_are_unsigned_so_cpus_without_vnni_do_not_saturate(
    tiny_model: Path, tmp_path: Path
) -> None:
    """On x86 CPUs without VNNI (AVX2 only), onnxruntime multiplies uint8 activations
    by int8 weights with an instruction that saturates at 16 bits: there a stand-in's
    int8 graph picked fp32's best span for 5 of 12 questions. Unsigned weights take a
    kernel that does not saturate (11 of 12 there)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    target = import_model(checkpoint(tmp_path / "unsigned-qa", tiny_model / "tokenizer.json"))
    graph = onnx.load(str(target / "model_quantized.onnx")).graph
    quantized = [i for i in graph.initializer if i.name.endswith("_quantized")]
    assert quantized
    assert {numpy_helper.to_array(i).dtype for i in quantized} == {np.dtype(np.uint8)}
    assert verify_model(target).agreement > 0.9


def test_int8_runs_fused_quantized_attention_where_the_attention_shape_is_known(
    tiny_model: Path, tmp_path: Path
) -> None:
    import numpy as np
    import onnxruntime as ort

    shape = SHAPES["tiny"]
    fused, plain = tmp_path / "fused.onnx", tmp_path / "plain.onnx"
    quantize_int8(tiny_model / "model.onnx", fused, AttentionShape(shape.heads, shape.hidden))
    quantize_int8(tiny_model / "model.onnx", plain, None)
    assert "QAttention" in operators(fused) and "QAttention" not in operators(plain)

    ids = np.random.default_rng(0).integers(5, 4000, size=(2, 40))
    mask = np.ones_like(ids)
    mask[1, 30:] = 0  # a padded row: fused attention must honour the mask too
    feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    def logits(graph: Path) -> np.ndarray:
        session = ort.InferenceSession(str(graph), providers=["CPUExecutionProvider"])
        return np.stack(session.run(None, feed))[:, :, :30]  # padding positions aside

    exact = logits(tiny_model / "model.onnx")
    assert np.abs(logits(fused) - logits(plain)).max() < 0.05
    assert np.abs(logits(fused) - exact).max() < 0.1


def test_a_graph_the_fusion_trips_over_is_left_unfused(tmp_path: Path) -> None:
    from desktop_qa.core.convert import _fused_bert

    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a graph")
    assert _fused_bert(junk, AttentionShape(2, 64), tmp_path / "fused.onnx") is None


def test_import_an_onnx_export_folder_keeps_what_its_manifest_says(tiny_model: Path) -> None:
    target = import_model(tiny_model, name="from-onnx")
    info = load_model_info(target)
    assert info.manifest["imported_from"] == "onnx" and info.name == "from-onnx"
    assert info.stand_in, "an imported stand-in stays marked as one"
    assert (target / "model_quantized.onnx").is_file()


def test_a_model_without_a_qa_head_is_refused_and_nothing_is_left(
    tiny_model: Path, tmp_path: Path
) -> None:
    source = checkpoint(tmp_path / "encoder", tiny_model / "tokenizer.json", qa_head=False)
    with pytest.raises(BrokenModelError, match="not a question-answering model"):
        import_model(source)
    assert list(installed_models_dir().iterdir()) == []


def test_a_corrupted_onnx_graph_is_refused(tiny_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "corrupt"
    source.mkdir()
    graph = (tiny_model / "model.onnx").read_bytes()
    (source / "model.onnx").write_bytes(graph[: len(graph) // 2])
    (source / "tokenizer.json").write_bytes((tiny_model / "tokenizer.json").read_bytes())
    with pytest.raises(BrokenModelError):
        import_model(source)
    assert list(installed_models_dir().iterdir()) == []


def test_verify_refuses_a_quantized_graph_that_answers_differently(
    tiny_model: Path, tmp_path: Path
) -> None:
    good = checkpoint(tmp_path / "good", tiny_model / "tokenizer.json")
    target = import_model(good, name="good")
    other = checkpoint(tmp_path / "other", tiny_model / "tokenizer.json")
    torch.manual_seed(99)
    transformers.BertForQuestionAnswering(
        transformers.BertConfig.from_pretrained(other)
    ).save_pretrained(other)
    different = import_model(other, name="different")
    (target / "model_quantized.onnx").write_bytes((different / "model_quantized.onnx").read_bytes())
    manifest = json.loads((target / "desktop_qa.json").read_text())
    manifest["sha256"] = model_file_hashes(target)  # a consistent folder, only the graph is off
    (target / "desktop_qa.json").write_text(json.dumps(manifest))
    report = verify_model(target)
    assert not report.passed
    assert "FAILED" in report.describe()


def test_unknown_names_and_folders_are_reported() -> None:
    with pytest.raises(ModelNotFoundError, match="no installed or built-in model named"):
        resolve_model("nothing-like-this")
    with pytest.raises(ModelNotFoundError):
        remove_model("../escape")
    with pytest.raises(ModelNotFoundError, match="no such model folder"):
        import_model(Path("/nonexistent/folder"))


def test_a_damaged_installed_graph_fails_its_sha256_before_loading(tiny_model: Path) -> None:
    from desktop_qa.core.reader import OnnxQAModel

    target = import_model(tiny_model, name="checked")
    info = load_model_info(target)
    assert set(info.manifest["sha256"]) == {"model.onnx", "model_quantized.onnx", "tokenizer.json"}
    OnnxQAModel(info, "cpu")
    graph = target / "model_quantized.onnx"
    data = bytearray(graph.read_bytes())
    data[len(data) // 2] ^= 0xFF
    graph.write_bytes(bytes(data))
    with pytest.raises(BrokenModelError, match="sha256"):
        OnnxQAModel(info, "cpu")


def two_layer_graph(path: Path) -> Path:
    """ids -> embedding -> MatMul "spiky" -> Relu, clipped -> MatMul "smooth": token 7's
    embedding has one feature 100 times the others, an outlier only "spiky" sees."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    table = rng.normal(0, 1, (32, 64)).astype(np.float32)
    table[7, 3] = 100.0
    weights = {
        "table": table,
        "w_spiky": rng.normal(0, 0.1, (64, 64)).astype(np.float32),
        "w_smooth": rng.normal(0, 0.1, (64, 2)).astype(np.float32),
    }
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["embedded"], name="embed"),
        helper.make_node("MatMul", ["embedded", "w_spiky"], ["hidden"], name="spiky"),
        helper.make_node("Relu", ["hidden"], ["activated"], name="relu"),
        helper.make_node("Clip", ["activated", "", "cap"], ["capped"], name="clip"),
        helper.make_node("MatMul", ["capped", "w_smooth"], ["logits"], name="smooth"),
    ]
    graph = helper.make_graph(
        nodes,
        "two-layer",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, k) for k, v in weights.items()]
        + [numpy_helper.from_array(np.array(3.0, np.float32), "cap")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path))
    return path


def test_matrix_products_fed_by_outliers_are_quantized_row_by_row(tmp_path: Path) -> None:
    import numpy as np

    from desktop_qa.core.convert import outlier_matmuls

    graph = two_layer_graph(tmp_path / "two.onnx")
    ids = np.arange(128).reshape(2, 64) % 32  # token 7 is 4 of the 128 tokens
    without_token_7 = [{"input_ids": np.where(row == 7, 8, row)[None, :]} for row in ids]
    with_token_7 = [{"input_ids": row[None, :]} for row in ids]
    assert outlier_matmuls(graph, with_token_7) == ["spiky"]
    assert outlier_matmuls(graph, without_token_7) == []
    assert outlier_matmuls(graph, []) == []

    per_row = quantize_int8(graph, tmp_path / "int8.onnx", None, with_token_7)
    assert per_row == ["spiky"]
    assert operators(tmp_path / "int8.onnx") >= {"MatMulNBits", "MatMulInteger"}
    assert "MatMul" not in operators(tmp_path / "int8.onnx")  # every product in int8
    plain = quantize_int8(graph, tmp_path / "plain.onnx", None)
    assert plain == [] and "MatMulNBits" not in operators(tmp_path / "plain.onnx")
    assert "MatMul" not in operators(tmp_path / "plain.onnx")
