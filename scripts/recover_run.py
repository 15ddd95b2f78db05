"""Rebuild a training run folder from a shipped model's int8 graph (for ``--init``).

    python scripts/recover_run.py models/desktop-qa-minilm-squad runs/shipped

Only the int8 graph of the built-in model is kept in the repository; the run
folders that trained it live on one machine and can be lost. This reads every
weight back out of the (fused, dynamically quantized) ONNX graph, dequantizes
it (``(q - zero_point) * scale``, per output channel, or per block of a row
for the matrix products quantized per row), loads it into a
``BertForQuestionAnswering`` of the graph's shape and writes a
``checkpoint.pt`` that ``desktop-qa model train --init`` accepts, carrying the
shipped model's recipe, steps and earlier stages. The weights differ from the
lost fp32 ones by the int8 rounding only: the model answers as the shipped int8
graph does, and a further stage of training starts from there.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from desktop_qa.core.model import INT8_GRAPH, MANIFEST_NAME
from desktop_qa.core.training import CHECKPOINT_NAME

RECOVERED = "weights dequantized from the shipped int8 graph"


def graph_weights(graph: Path) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """Every weight of a fused int8 BERT-QA graph under its PyTorch parameter name,
    and the model's shape (``BertConfig`` arguments)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(graph))
    # graphs exported through convert.export_qa_onnx's wrapper name everything under "qa."
    stored = {_unwrapped(i.name): numpy_helper.to_array(i) for i in model.graph.initializer}

    def value(name: str) -> np.ndarray:
        if name in stored:
            return np.asarray(stored[name], dtype=np.float32)
        q, scale, zero = (stored[f"{name}_{part}"] for part in ("quantized", "scale", "zero_point"))
        return np.asarray((q.astype(np.float32) - zero.astype(np.float32)) * scale, np.float32)

    weights: dict[str, np.ndarray] = {}
    heads = 0
    for node in model.graph.node:
        if node.op_type == "QEmbedLayerNormalization":
            for name in node.input[2:7]:
                plain = _unwrapped(name).removesuffix("_quantized")
                weights[plain] = value(plain)
        elif node.op_type == "QAttention":
            layer = int(node.name.split("_")[1])
            heads = next(a.i for a in node.attribute if a.name == "num_heads")
            qkv = value(_unwrapped(node.input[1]).removesuffix("_quantized"))
            bias = stored[_unwrapped(node.input[2])]
            prefix = f"bert.encoder.layer.{layer}.attention.self"
            for part, columns, biases in zip(
                ("query", "key", "value"),
                np.split(qkv, 3, axis=1),
                np.split(bias, 3),
                strict=True,
            ):
                weights[f"{prefix}.{part}.weight"] = columns.T.copy()
                weights[f"{prefix}.{part}.bias"] = biases.astype(np.float32)
        elif node.op_type in ("MatMulInteger", "MatMul") and node.name.startswith("/"):
            matrix = value(_unwrapped(node.input[1]).removesuffix("_quantized"))
            weights[f"{_module_of(node.name)}.weight"] = matrix.T.copy()
        elif node.op_type == "MatMulNBits":  # a matrix product quantized per row
            module = _module_of(node.name.removesuffix("_Q8"))
            weights[f"{module}.weight"] = _blockwise_weight(node, stored)
    for name, array in stored.items():
        if name.startswith(("bert.encoder.", "qa_outputs.")) and name not in weights:
            weights[name] = array.astype(np.float32)
    words = weights["bert.embeddings.word_embeddings.weight"]
    shape = {
        "vocab_size": words.shape[0],
        "hidden_size": words.shape[1],
        "max_position_embeddings": weights["bert.embeddings.position_embeddings.weight"].shape[0],
        "type_vocab_size": weights["bert.embeddings.token_type_embeddings.weight"].shape[0],
        "num_hidden_layers": sum(name.endswith("query.weight") for name in weights),
        "num_attention_heads": heads,
        "intermediate_size": weights["bert.encoder.layer.0.intermediate.dense.weight"].shape[0],
    }
    return weights, shape


def _module_of(node_name: str) -> str:
    """The PyTorch module of an exported matrix product: ``/qa/bert/.../dense/MatMul``
    is ``bert....dense``."""
    return node_name.removeprefix("/qa").removeprefix("/").rsplit("/", 1)[0].replace("/", ".")


def _blockwise_weight(node: Any, stored: dict[str, np.ndarray]) -> np.ndarray:
    """The ``(N, K)`` weight of a ``MatMulNBits`` node: its packed 8-bit blocks, each
    ``(q - zero_point) * scale``, the zero point 128 where the graph stores none
    (symmetric quantization)."""
    attributes = {a.name: a.i for a in node.attribute}
    if attributes["bits"] != 8:
        raise SystemExit(f"{node.name}: {attributes['bits']}-bit weights are not supported")
    n, k = attributes["N"], attributes["K"]
    blocks = stored[_unwrapped(node.input[1])].astype(np.float32)  # (N, blocks, block_size)
    scales = stored[_unwrapped(node.input[2])].reshape(n, -1, 1)
    zero: float | np.ndarray = 128.0
    if len(node.input) > 3 and node.input[3]:
        zero = stored[_unwrapped(node.input[3])].reshape(n, -1, 1).astype(np.float32)
    return np.asarray(((blocks - zero) * scales).reshape(n, -1)[:, :k], np.float32)


def _unwrapped(name: str) -> str:
    return name.removeprefix("qa.")


def recover(model_folder: Path, out: Path) -> Path:
    """Write ``out/checkpoint.pt`` with the shipped model's weights and its record."""
    import torch
    from transformers import BertConfig, BertForQuestionAnswering

    manifest = json.loads((model_folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    weights, shape = graph_weights(model_folder / INT8_GRAPH)
    model = BertForQuestionAnswering(BertConfig(**shape))
    state = model.state_dict()
    missing = [k for k in state if k not in weights and not k.endswith("position_ids")]
    if missing:
        raise SystemExit(f"the graph holds no weight for {', '.join(missing[:5])}")
    for name, array in weights.items():
        if state[name].shape != array.shape:
            raise SystemExit(f"{name}: graph {array.shape} but model {tuple(state[name].shape)}")
        state[name] = torch.from_numpy(array)
    model.load_state_dict(state)
    recipe: dict[str, Any] = dict(manifest["recipe"])
    init = recipe.pop("init", None)
    recipe["recovered"] = RECOVERED
    out.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "identity": recipe,
            "step": manifest["training"]["steps"],
            "seconds": manifest["training"]["seconds"],
            "init": init,
            "model": model.state_dict(),
        },
        out / CHECKPOINT_NAME,
    )
    return out / CHECKPOINT_NAME


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a model folder holding an int8 graph")
    parser.add_argument("out", type=Path, help="the run folder to write")
    args = parser.parse_args()
    print(f"wrote {recover(args.model, args.out)}")
