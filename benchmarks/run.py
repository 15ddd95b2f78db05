"""desktop-qa against the plain approach, measured side by side in one run.

    python benchmarks/run.py [--runs N] [--json OUT] [--skip-library]

The plain approach (the baseline): PyTorch fp32 ``BertForQuestionAnswering``
over every window of the document, batch of 1, no cache. desktop-qa: the same
BERT-base-shaped model (a random-weight stand-in, built once into
``benchmarks/.models``) exported to ONNX and quantized to int8, with the
document cache and BM25 retrieval reading one round of windows (a stand-in's
answers are never strong, so widening is off). The same question is also timed
with a distilbert-shaped stand-in (6 layers) against its own baseline, and the
app's peak memory is measured in a child process without PyTorch
(``app_memory.py``: BERT-base int8 and a 700-page library). Every figure is the
median of ``--runs`` runs and is printed with its ratio against the baseline
measured in the same process, so the comparison holds on a noisy machine.
Needs the dev extra and ``../shared/corpus``.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from desktop_qa.core.assistant import Assistant, ask_library
from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.chunking import encode_windows, tokenize_document, tokenize_question
from desktop_qa.core.config import SHAPES, ReaderSettings
from desktop_qa.core.convert import AttentionShape, quantize_int8
from desktop_qa.core.document import open_pdf
from desktop_qa.core.model import FP32_GRAPH, INT8_GRAPH, load_model_info
from desktop_qa.core.reader import OnnxQAModel
from desktop_qa.core.standin import make_stand_in

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parents[1] / "shared"
QUESTION = "How many parameters does the network have?"


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def stand_in_model(size: str) -> Path:
    """A random-weight stand-in of this shape, fp32 and int8 (built once)."""
    folder = ROOT / ".models" / f"{'bert-base' if size == 'base' else size}-standin"
    if not (folder / INT8_GRAPH).is_file():
        make_stand_in(folder, size, seed=0)
        shape = SHAPES[size]
        quantize_int8(
            folder / FP32_GRAPH, folder / INT8_GRAPH, AttentionShape(shape.heads, shape.hidden)
        )
    return folder


class Baseline:
    """PyTorch fp32 BertForQuestionAnswering, every window, batch of 1, no cache."""

    def __init__(self, folder: Path) -> None:
        import torch
        from tokenizers import Tokenizer
        from transformers import BertConfig, BertForQuestionAnswering

        shape = json.loads((folder / "desktop_qa.json").read_text())["shape"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        config = BertConfig(
            vocab_size=self.tokenizer.get_vocab_size(), hidden_size=shape["hidden"],
            num_hidden_layers=shape["layers"], num_attention_heads=shape["heads"],
            intermediate_size=shape["intermediate"],
        )  # fmt: skip
        torch.manual_seed(0)
        self.model = BertForQuestionAnswering(config).eval()
        self.torch = torch

    def answer(self, pdf: Path, question: str) -> int:
        import pymupdf

        with pymupdf.open(pdf) as document:
            text = "\n".join(page.get_text() for page in document)
        self.tokenizer.enable_truncation(384, stride=128, strategy="only_second")
        encoding = self.tokenizer.encode(question, text)
        windows = [encoding, *encoding.overflowing]
        with self.torch.no_grad():
            for window in windows:
                ids = self.torch.tensor([window.ids])
                self.model(input_ids=ids, token_type_ids=self.torch.tensor([window.type_ids]))
        return len(windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--skip-library", action="store_true")
    args = parser.parse_args()
    runs = args.runs
    rows: list[dict[str, Any]] = []

    def row(name: str, value: float, unit: str, speedup: float | None = None) -> None:
        """One figure; ``speedup`` is how many times faster than the baseline."""
        ratio = None if speedup is None else round(speedup, 2)
        rows.append({"figure": name, "value": round(value, 4), "unit": unit, "speedup": ratio})
        shown = f"{speedup:.1f}x" if speedup else "-"
        print(f"{name:<62}{value:>10.3f} {unit:<10}{shown:>8}", flush=True)

    folder = stand_in_model("base")
    info = load_model_info(folder)
    alexnet = SHARED / "corpus" / "alexnet.pdf"
    paper = SHARED / "corpus" / "flashattn.pdf"
    print(f"{'figure':<62}{'value':>10} {'unit':<10}{'speedup':>8}")

    pages = open_pdf(paper).page_count
    first_open = median_seconds(lambda: open_pdf(paper), runs)
    row(f"first open + extraction ({pages}-page paper)", pages / first_open, "pages/s")
    with tempfile.TemporaryDirectory() as cache_dir:
        cache = DocumentCache(Path(cache_dir))
        # A random-weight model never scores an answer as strong, so reading would
        # always widen to every window; one round is what a trained model reads.
        settings = ReaderSettings(widen_below=float("-inf"))
        assistant = Assistant(info, settings, cache=cache)
        assistant.open(paper)
        row(
            "second open (cached text, boxes, tokens)",
            median_seconds(lambda: assistant.open(paper), runs),
            "s",
        )

        document = open_pdf(paper)
        tokens = tokenize_document(assistant.tokenizer, document.text)
        windowing = median_seconds(
            lambda: tokenize_document(assistant.tokenizer, document.text), runs
        )
        row("tokenising and windowing", len(tokens) / windowing, "tokens/s")

        baseline = Baseline(folder)
        opened = assistant.open(alexnet)
        batch_windows = opened.windows[:8]
        question = tokenize_question(assistant.tokenizer, QUESTION, 64)
        batch = encode_windows(assistant.tokenizer.template, question, opened.tokens, batch_windows)
        one = encode_windows(
            assistant.tokenizer.template, question, opened.tokens, batch_windows[:1]
        )
        torch = baseline.torch
        with torch.no_grad():
            ids, types = torch.tensor(one.input_ids), torch.tensor(one.token_type_ids)
            torch_one = median_seconds(
                lambda: baseline.model(input_ids=ids, token_type_ids=types), runs
            )
        row("reader, PyTorch fp32, batch 1 (baseline)", 1 / torch_one, "windows/s", 1.0)
        for graph in (FP32_GRAPH, INT8_GRAPH):
            logits = OnnxQAModel(info, "cpu", folder / graph).logits
            seconds = median_seconds(partial(logits, batch), runs) / len(batch_windows)
            row(
                f"reader, ONNX {graph}, 8 windows a call",
                1 / seconds,
                "windows/s",
                torch_one / seconds,
            )

        def question_on_alexnet(
            baseline: Baseline, assistant: Assistant, baseline_name: str, our_name: str
        ) -> None:
            """The plain approach, then desktop-qa on the opened document (one round)."""
            plain = median_seconds(lambda: baseline.answer(alexnet, QUESTION), max(1, runs - 2))
            row(f"one question on alexnet.pdf, {baseline_name}", plain, "s", 1.0)
            opened = assistant.open(alexnet)
            ours = median_seconds(lambda: assistant.ask(opened, QUESTION), runs)
            row(f"one question on alexnet.pdf, {our_name}", ours, "s", plain / ours)

        question_on_alexnet(
            baseline, assistant, "baseline (every window)", "desktop-qa (opened, retrieval)"
        )
        distil = stand_in_model("distil")
        question_on_alexnet(
            Baseline(distil),
            Assistant(load_model_info(distil), settings, cache=cache),
            "distilbert-shaped baseline",
            "desktop-qa distilbert-shaped int8",
        )

        if not args.skip_library:
            library = sorted((SHARED / "corpus" / "library").glob("*.pdf"))
            documents = [assistant.open(p) for p in library]
            pages_total = sum(o.document.page_count for o in documents)
            windows = sum(len(o.windows) for o in documents)
            estimate = windows * torch_one  # running it would take many minutes
            asked = "What is the word error rate?"
            ours = median_seconds(lambda: ask_library(assistant, documents, asked), runs)
            row(
                f"library question, baseline estimate ({windows} windows at batch 1)",
                estimate,
                "s",
                1.0,
            )
            row(
                f"library question, desktop-qa ({len(documents)} PDFs, {pages_total} pages)",
                ours,
                "s",
                estimate / ours,
            )

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row("peak RSS of this process (PyTorch and ONNX models loaded)", peak, "MiB")
    if not args.skip_library:
        measured = subprocess.run(
            [sys.executable, str(ROOT / "app_memory.py"), "--model", str(folder)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        app = json.loads(measured.stdout.splitlines()[-1])
        estimate = app["windows"] * torch_one
        row(f"{app['pages']}-page library question, baseline estimate", estimate, "s", 1.0)
        row(
            f"{app['pages']}-page library question, desktop-qa (BERT-base int8)",
            app["question_s"],
            "s",
            estimate / app["question_s"],
        )
        row(
            f"peak RSS, app alone: BERT-base int8, {app['pages']}-page library indexed and asked",
            app["peak_rss_mib"],
            "MiB",
        )
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
