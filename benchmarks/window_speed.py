"""How long one 384-token window takes through a model's int8 and fp32 graphs.

    python benchmarks/window_speed.py [MODEL_DIR] [--runs N] [--json OUT]

Prints a table of median milliseconds per window at batch sizes 1 and 8, with
each figure's ratio against the fp32 graph measured in the same run (the
baseline), so the comparison holds on a noisy machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from desktop_qa.core.chunking import EncodedBatch, Window
from desktop_qa.core.model import FP32_GRAPH, INT8_GRAPH, resolve_model
from desktop_qa.core.reader import OnnxQAModel

WINDOW = 384


def batch_of(size: int, vocab: int) -> EncodedBatch:
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, vocab, size=(size, WINDOW))
    types = np.zeros_like(ids)
    types[:, 20:] = 1
    return EncodedBatch(ids, np.ones_like(ids), types, 20, tuple(Window(0, 363) for _ in ids))


def median_ms_per_window(model: OnnxQAModel, batch: EncodedBatch, runs: int) -> float:
    model.logits(batch)  # warm-up
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        model.logits(batch)
        times.append((time.perf_counter() - began) * 1000 / len(batch.windows))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    info = resolve_model(args.model)
    graphs = [g for g in (FP32_GRAPH, INT8_GRAPH) if (info.path / g).is_file()]
    vocab = len(json.loads((info.path / "tokenizer.json").read_text())["model"]["vocab"])
    rows = []
    for size in (1, 8):
        batch = batch_of(size, vocab)
        figures = {
            g: median_ms_per_window(OnnxQAModel(info, "cpu", info.path / g), batch, args.runs)
            for g in graphs
        }
        for graph, ms in figures.items():
            baseline = figures.get(FP32_GRAPH)
            ratio = baseline / ms if baseline else None
            rows.append({"graph": graph, "batch": size, "ms_per_window": round(ms, 2),
                         "speedup_vs_fp32": round(ratio, 2) if ratio else None})  # fmt: skip
    print(f"{info.name}: {WINDOW}-token windows, median of {args.runs} runs, CPU")
    print(f"{'graph':<22}{'batch':>6}{'ms/window':>12}{'vs fp32':>10}")
    for row in rows:
        speedup = f"{row['speedup_vs_fp32']}x" if row["speedup_vs_fp32"] else "-"
        print(f"{row['graph']:<22}{row['batch']:>6}{row['ms_per_window']:>12}{speedup:>10}")
    if args.json:
        args.json.write_text(json.dumps({"model": info.name, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
