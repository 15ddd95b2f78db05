"""Turn a PyTorch QA model into the ONNX graphs the reader runs (needs the dev extra)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OUTPUT_NAMES = ["start_logits", "end_logits"]


def export_qa_onnx(model: Any, path: Path) -> Path:
    """Export a ``*ForQuestionAnswering`` torch model with dynamic batch and length."""
    import torch

    example = torch.ones((2, 16), dtype=torch.long)
    dynamic = {name: {0: "batch", 1: "sequence"} for name in [*INPUT_NAMES, *OUTPUT_NAMES]}
    model.eval()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example, example, torch.zeros_like(example)),
            str(path),
            input_names=INPUT_NAMES,
            output_names=OUTPUT_NAMES,
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    return path


def quantize_int8(fp32_path: Path, int8_path: Path) -> Path:
    """Dynamic int8 quantization, per channel (per-tensor int8 costs a small model ~5 F1)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8)
    return int8_path
