"""Turn QA models into the ONNX graphs the reader runs, and check int8 against fp32.

Exporting from PyTorch needs the dev extra (torch, transformers); quantizing and
verifying need only onnxruntime (and the ``onnx`` package for quantization).
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from desktop_qa.core.chunking import (
    EncodedBatch,
    QATokenizer,
    encode_windows,
    plan_windows,
    tokenize_document,
    tokenize_question,
)
from desktop_qa.core.errors import BrokenModelError, ModelError, ModelNotFoundError

INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAMES = ["start_logits", "end_logits"]


def export_qa_onnx(model: Any, path: Path) -> Path:
    """Export a ``*ForQuestionAnswering`` torch model with dynamic batch and length.

    The graph takes the inputs the model's ``forward`` accepts of ``input_ids``,
    ``attention_mask`` and ``token_type_ids`` (DistilBERT and MPNet have no token
    types); the reader feeds what the graph asks for. The model is switched to
    eager attention first: its exported pattern is the one onnxruntime's
    transformer optimizer fuses (see ``quantize_int8``).
    """
    import torch

    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    names = model_input_names(model)

    class Positional(torch.nn.Module):  # type: ignore[misc]  # torch is untyped here
        """The model with its inputs positional and its two logits as outputs."""

        def __init__(self) -> None:
            super().__init__()
            self.qa = model

        def forward(self, *inputs: Any) -> tuple[Any, Any]:
            out = self.qa(**dict(zip(names, inputs, strict=True)))
            return out.start_logits, out.end_logits

    example = {
        "input_ids": torch.full((2, 16), 5, dtype=torch.long),
        "attention_mask": torch.ones((2, 16), dtype=torch.long),
        "token_type_ids": torch.zeros((2, 16), dtype=torch.long),
    }
    dynamic = {name: {0: "batch", 1: "sequence"} for name in [*names, *OUTPUT_NAMES]}
    model.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Positional(),
            tuple(example[name] for name in names),
            str(path),
            input_names=names,
            output_names=OUTPUT_NAMES,
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    return path


def model_input_names(model: Any) -> list[str]:
    """Which of ``INPUT_NAMES`` a torch QA model's ``forward`` takes."""
    import inspect

    accepted = inspect.signature(model.forward).parameters
    return [name for name in INPUT_NAMES if name in accepted]


@dataclass(frozen=True)
class AttentionShape:
    """What onnxruntime's transformer optimizer must be told to fuse attention."""

    heads: int
    hidden: int

    @classmethod
    def of_config(cls, config: dict[str, Any]) -> AttentionShape | None:
        """From a Hugging Face ``config.json`` (BERT's or DistilBERT's names), if it says."""
        heads = config.get("num_attention_heads", config.get("n_heads"))
        hidden = config.get("hidden_size", config.get("dim"))
        if isinstance(heads, int) and isinstance(hidden, int):
            return cls(heads, hidden)
        return None


# An activation whose largest magnitude is this many times its 99.9th percentile is
# dominated by a few outlier features: dynamic int8 scales the whole tensor by its
# range, so the other values keep only a few of the 256 steps. Measured on the
# built-in model: the inputs of the first four feed-forward output layers reach 7-10x
# (every other input of its matrix products stays under 6x), and keeping those four
# in float brought held-out F1 from 0.9 below fp32 to fp32's own. MPNet-base has
# 27 such inputs (up to 43x), which in float made its int8 graph 269 MB.
OUTLIER_RATIO = 6.0
# Outlier-fed products get int8 weights in blocks of this many input rows, and
# their activations are quantized row by row (one token at a time), so one
# token's outliers cost only its own precision: on MPNet stage A (300 held-out
# questions) 116 MB and fp32's answer 93.4% of the time, against 269 MB and 94.1%
# with those products in float, and 110 MB and 79.5% with them plain int8.
PER_ROW_BLOCK = 32


def quantize_int8(
    fp32_path: Path,
    int8_path: Path,
    attention: AttentionShape | None,
    calibration: Sequence[dict[str, np.ndarray]] = (),
) -> list[str]:
    """Dynamic int8 quantization, per channel, of the graph with its BERT layers fused.

    With the attention shape known, attention, layer norms and GELU are fused first
    (onnxruntime's transformer optimizer), so the int8 graph runs onnxruntime's
    quantized attention kernels; a graph the optimizer does not recognise is
    quantized as it is. Weights are per channel: per-tensor int8 cost a small
    model about 5 F1. They are uint8: with int8 weights (U8S8), x86 CPUs without
    VNNI (AVX2 only) add the products in 16 bits that saturate, and the built-in
    model lost 0.9 of its best guesses' F1 on such a CPU. Matrix products whose
    input, over the ``calibration`` windows, is dominated by outliers (see
    ``OUTLIER_RATIO``) are quantized per row instead (``MatMulNBits``, 8-bit
    weights, int8 compute on each token's own scale; see ``PER_ROW_BLOCK``).

    Returns:
        The names of the matrix products quantized per row.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # both tools log advice to the root logger
    try:
        with tempfile.TemporaryDirectory() as scratch:
            fused = Path(scratch) / "fused.onnx"
            source = (attention and _fused_bert(fp32_path, attention, fused)) or fp32_path
            per_row = outlier_matmuls(source, calibration)
            if per_row:
                source = _quantized_per_row(source, per_row, Path(scratch) / "per-row.onnx")
            quantize_dynamic(
                str(source),
                str(int8_path),
                per_channel=True,
                # uint8 weights: int8 ones (U8S8) saturate on x86 CPUs without VNNI
                weight_type=QuantType.QUInt8,
                # fused operators have no ONNX shape inference: their outputs are float
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )
    except Exception as exc:  # onnx and onnxruntime raise many types for a bad graph
        raise BrokenModelError(f"{fp32_path.name} cannot be quantized ({exc})") from exc
    finally:
        logging.disable(logging.NOTSET)
    return per_row


def _quantized_per_row(source: Path, nodes: list[str], out: Path) -> Path:
    """``source`` with ``nodes`` (MatMuls) as 8-bit ``MatMulNBits`` whose activations
    are quantized row by row (accuracy level 4: int8 compute)."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    chosen = set(nodes)
    others = [
        node.name
        for node in onnx.load(str(source), load_external_data=False).graph.node
        if node.op_type == "MatMul" and node.name not in chosen
    ]  # the quantizer takes every MatMul that is not excluded
    quantizer = MatMulNBitsQuantizer(
        str(source), bits=8, block_size=PER_ROW_BLOCK, is_symmetric=True, accuracy_level=4,
        nodes_to_exclude=others,
    )  # fmt: skip
    quantizer.process()
    quantizer.model.save_model_to_file(str(out), use_external_data_format=False)
    return out


def outlier_matmuls(graph_path: Path, calibration: Sequence[dict[str, np.ndarray]]) -> list[str]:
    """The MatMul nodes whose input over the calibration windows is dominated by outliers."""
    import onnx
    import onnxruntime as ort

    if not calibration:
        return []
    graph = onnx.load(str(graph_path))
    matmuls = [node for node in graph.graph.node if node.op_type == "MatMul"]
    inputs = sorted({node.input[0] for node in matmuls})
    for name in inputs:
        graph.graph.output.append(
            onnx.helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, None)
        )
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    feeds = _feeds_for(session, calibration)
    magnitudes: dict[str, list[np.ndarray]] = {name: [] for name in inputs}
    for feed in feeds:
        for name, value in zip(inputs, session.run(inputs, feed), strict=True):
            magnitudes[name].append(np.abs(value).ravel())
    outliers = set()
    for name, parts in magnitudes.items():
        values = np.concatenate(parts)
        if values.max() > OUTLIER_RATIO * np.percentile(values, 99.9):
            outliers.add(name)
    return [node.name for node in matmuls if node.input[0] in outliers]


def _feeds_for(session: Any, windows: Sequence[dict[str, np.ndarray]]) -> list[dict[str, Any]]:
    """The windows as ``session`` takes them: only its inputs, in its integer type."""
    types = {
        i.name: np.int32 if i.type == "tensor(int32)" else np.int64 for i in session.get_inputs()
    }
    return [{name: window[name].astype(kind) for name, kind in types.items()} for window in windows]


def calibration_windows(tokenizer_path: Path, max_seq_len: int) -> list[dict[str, np.ndarray]]:
    """The fixed verification questions as model inputs, one window each."""
    tokenizer = QATokenizer.from_file(tokenizer_path)
    return [
        {
            "input_ids": batch.input_ids,
            "attention_mask": batch.attention_mask,
            "token_type_ids": batch.token_type_ids,
        }
        for batch, _ in _verification_batches(tokenizer, max_seq_len)
    ]


def _fused_bert(fp32_path: Path, attention: AttentionShape, out: Path) -> Path | None:
    """The graph with BERT attention fused into single operators, or None if none was found.

    The optimizer matches known graph patterns; on a graph it trips over, the
    model is quantized unfused rather than refused.
    """
    import onnx
    from onnxruntime.transformers.optimizer import optimize_model

    try:
        graph = onnx.load(str(fp32_path))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fused = optimize_model(
                graph,
                model_type="bert",
                num_heads=attention.heads,
                hidden_size=attention.hidden,
                opt_level=0,
            )
    except Exception:  # any failure of an optional speed-up just means: no fusion
        return None
    if not fused.get_fused_operator_statistics().get("Attention"):
        return None
    fused.save_model_to_file(str(out))
    return out


@dataclass(frozen=True)
class VerifyReport:
    """How closely the int8 graph follows the fp32 graph on fixed inputs."""

    pairs: int
    same_best_span: int
    max_logit_difference: float
    min_agreement: float

    @property
    def agreement(self) -> float:
        return self.same_best_span / self.pairs

    @property
    def passed(self) -> bool:
        return self.agreement >= self.min_agreement

    def describe(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"verify {verdict}: int8 and fp32 agree on the best span for "
            f"{self.same_best_span}/{self.pairs} fixed questions (need {self.min_agreement:.0%}); "
            f"largest logit difference {self.max_logit_difference:.3f}"
        )


def verify_model(folder: Path, min_agreement: float = 0.8) -> VerifyReport:
    """Run the fixed verification questions through both graphs and compare.

    Raises:
        BrokenModelError: when the folder lacks one of the two graphs.
    """
    from desktop_qa.core.decode import best_spans
    from desktop_qa.core.model import FP32_GRAPH, INT8_GRAPH, load_model_info
    from desktop_qa.core.reader import OnnxQAModel

    info = load_model_info(folder)
    for graph in (FP32_GRAPH, INT8_GRAPH):
        if not (folder / graph).is_file():
            raise BrokenModelError(f"{folder}: verify needs both {FP32_GRAPH} and {INT8_GRAPH}")
    fp32 = OnnxQAModel(info, "cpu", folder / FP32_GRAPH)
    int8 = OnnxQAModel(info, "cpu", folder / INT8_GRAPH)
    tokenizer = QATokenizer.from_file(info.tokenizer_path)
    same = 0
    largest = 0.0
    batches = _verification_batches(tokenizer, info.max_seq_len)
    for batch, lengths in batches:
        spans = []
        for model in (fp32, int8):
            start, end = model.logits(batch)
            best = max(
                best_spans(start, end, batch.passage_start, lengths, 30, 1), key=lambda s: s.score
            )
            spans.append((best.start, best.end))
            if model is fp32:
                reference = (start, end)
            else:
                mask = batch.attention_mask.astype(bool)
                for ours, theirs in zip((start, end), reference, strict=True):
                    largest = max(largest, float(np.abs(ours - theirs)[mask].max()))
        same += spans[0] == spans[1]
    return VerifyReport(len(batches), same, largest, min_agreement)


def _verification_batches(
    tokenizer: QATokenizer, max_seq_len: int
) -> list[tuple[EncodedBatch, np.ndarray]]:
    """Each fixed verification question with its passage as one window, and its length."""
    batches = []
    for question_text, passage in _verify_pairs():
        tokens = tokenize_document(tokenizer, passage)
        question = tokenize_question(tokenizer, question_text, 64)
        capacity = max_seq_len - len(question.ids) - tokenizer.template.special_count
        window = plan_windows(tokens, capacity, 0)[0]
        batch = encode_windows(tokenizer.template, question, tokens, [window])
        batches.append((batch, np.array([window.token_end - window.token_start])))
    return batches


def _verify_pairs() -> list[tuple[str, str]]:
    text = resources.files("desktop_qa.resources").joinpath("verify_pairs.json").read_text("utf-8")
    return [(p["question"], p["passage"]) for p in json.loads(text)["pairs"]]


def import_model(
    source: Path,
    name: str | None = None,
    no_answer: bool = False,
    origin: dict[str, Any] | None = None,
) -> Path:
    """Make an installed model folder from a Hugging Face checkpoint or an ONNX export.

    ``origin`` says where the files came from (the manifest's ``source``; the
    folder's path by default).

    A checkpoint (``config.json`` + weights + tokenizer files, as ``save_pretrained``
    writes them) is exported to ONNX first (dev extra). The fp32 graph is kept for
    GPUs, an int8 graph is made for the CPU, and ``verify`` must pass before the
    folder is moved into place; a failed import leaves nothing behind.

    Raises:
        ModelNotFoundError, BrokenModelError, ModelError: with what is wrong.
    """
    from desktop_qa.core.config import installed_models_dir
    from desktop_qa.core.model import (
        FP32_GRAPH,
        INT8_GRAPH,
        MANIFEST_NAME,
        TOKENIZER_NAME,
        load_model_info,
    )

    if not source.is_dir():
        raise ModelNotFoundError(f"{source}: no such model folder")
    config = _json_object(source / "config.json")
    name = name or source.resolve().name
    target = installed_models_dir() / name
    if target.exists():
        raise ModelError(f"a model named {name!r} is installed already ({target})")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".importing-{name}-", dir=target.parent))
    try:
        if (source / FP32_GRAPH).is_file():
            shutil.copy(source / FP32_GRAPH, staging / FP32_GRAPH)
            kind = "onnx"
        elif (source / "config.json").is_file():
            _export_checkpoint(source, staging / FP32_GRAPH)
            kind = "checkpoint"
        else:
            raise BrokenModelError(
                f"{source}: neither an ONNX export ({FP32_GRAPH}) nor a Hugging Face "
                "checkpoint (config.json and weights)"
            )
        _copy_tokenizer(source, staging / TOKENIZER_NAME)
        quantized: dict[str, Any] = {}
        if (source / INT8_GRAPH).is_file():
            shutil.copy(source / INT8_GRAPH, staging / INT8_GRAPH)
        else:
            attention = AttentionShape.of_config(config)
            calibration = calibration_windows(staging / TOKENIZER_NAME, _max_positions(config))
            quantized["int8_per_row"] = quantize_int8(
                staging / FP32_GRAPH, staging / INT8_GRAPH, attention, calibration
            )
        manifest: dict[str, Any] = {
            "version": "imported",
            "no_answer": no_answer,
            "stand_in": False,
            "max_seq_len": _max_positions(config),
            **quantized,
            **_json_object(source / MANIFEST_NAME),
            "name": name,
            "source": origin or str(source.resolve()),
            "imported_from": kind,
        }
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        load_model_info(staging)
        report = verify_model(staging)
        if not report.passed:
            raise ModelError(f"{name}: refused, int8 does not follow fp32; {report.describe()}")
        manifest["verify"] = {
            "agreement": round(report.agreement, 4),
            "max_logit_difference": round(report.max_logit_difference, 4),
        }
        manifest["sha256"] = model_file_hashes(staging)
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _export_checkpoint(source: Path, out: Path) -> None:
    try:
        from transformers import AutoConfig, AutoModelForQuestionAnswering
    except ImportError as exc:
        raise ModelError(
            "importing a PyTorch checkpoint needs torch and transformers: pip install -e '.[dev]'"
        ) from exc
    try:
        config = AutoConfig.from_pretrained(str(source))
        architectures = getattr(config, "architectures", None) or []
        if not any(a.endswith("ForQuestionAnswering") for a in architectures):
            raise BrokenModelError(
                f"{source}: not a question-answering model (architectures: {architectures})"
            )
        model = AutoModelForQuestionAnswering.from_pretrained(str(source))
    except (OSError, ValueError) as exc:
        raise BrokenModelError(f"{source}: the checkpoint cannot be loaded ({exc})") from exc
    export_qa_onnx(model, out)


def _copy_tokenizer(source: Path, out: Path) -> None:
    """Copy ``tokenizer.json``, or build it from older tokenizer files with transformers."""
    if (source / "tokenizer.json").is_file():
        shutil.copy(source / "tokenizer.json", out)
        return
    try:
        from transformers import AutoTokenizer

        AutoTokenizer.from_pretrained(str(source), use_fast=True).backend_tokenizer.save(str(out))
    except (ImportError, OSError, ValueError, AttributeError) as exc:
        raise BrokenModelError(f"{source}: no usable tokenizer files ({exc})") from exc


def model_file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of a model folder's graphs and tokenizer, for its manifest."""
    from desktop_qa.core.model import FP32_GRAPH, INT8_GRAPH, TOKENIZER_NAME, file_sha256

    names = (FP32_GRAPH, INT8_GRAPH, TOKENIZER_NAME)
    return {name: file_sha256(folder / name) for name in names if (folder / name).is_file()}


def _json_object(path: Path) -> dict[str, Any]:
    """A JSON file's top-level object; empty where there is none or it cannot be read.

    Used for what a source folder says of itself: its Hugging Face ``config.json``
    and a desktop-qa manifest (an import keeps it, stand-in flag too).
    """
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return content if isinstance(content, dict) else {}


def _max_positions(config: dict[str, Any]) -> int:
    """The longest window the model's position embeddings allow, at most 512."""
    positions = int(config.get("max_position_embeddings", 512))
    # RoBERTa-style models reserve two positions for their padding offset.
    if config.get("model_type") in ("roberta", "xlm-roberta"):
        positions -= 2
    return min(positions, 512)
