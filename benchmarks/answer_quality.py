"""How often answers are right, and whether the app knows when they are not.

    python benchmarks/answer_quality.py [--model DIR ...] [--plot OUT.png] [--json OUT]

For each model (default: the built-in one), on articles nothing was trained or
fitted on (the first half of the training's held-out articles, see
``training.held_out_parts``, and the shared SQuAD 2.0 dev sample):

- paragraph: each held-out question asked of its own paragraph;
- SQuAD 2.0-style: the dev sample asked whole (54% unanswerable) plus the held-out
  articles asked whole with unanswerable questions made from them
  (``squad.with_unanswerable``), and its parts: "whole article" (the held-out
  articles' own questions, as the app reads a paper), the dev sample, the made
  unanswerable questions. EM/F1 count "not found" as the answer "";
  ``best_guess_f1`` is the F1 had the best guess been given instead;
- ECE (10 bins) of the best answers' confidences on the SQuAD 2.0-style set, and a
  reliability plot PNG (``--plot``; one file per model, the name suffixed);
- the median time of a question on a 15-page paper (``PAPER``), opened beforehand;
- the trade-off between answering and "not found" on the SQuAD 2.0-style set: its
  F1, answerable F1 and no-answer accuracy had "not found" been said below each of
  several confidences instead of the model's threshold (the same reads), so that
  two models compare at equal no-answer accuracy and not only at their own fit.

``--record`` writes the headline figures into each model's manifest (``measured``),
where Settings and the About box read a built-in model's F1 and speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.calibration import RIGHT_F1, reliability
from desktop_qa.core.config import TrainConfig
from desktop_qa.core.model import MANIFEST_NAME, ModelInfo, resolve_model
from desktop_qa.core.squad import (
    Asked,
    ask_all,
    evaluate,
    load_articles,
    paragraphs_of,
    scored_confidence,
    squad2_groups,
)
from desktop_qa.core.training import held_out_parts, split_articles

SHARED = Path(__file__).resolve().parents[2] / "shared"
PAPER = SHARED / "corpus" / "library" / "paper26.pdf"  # 15 pages
PAPER_QUESTIONS = (
    "What algorithm is proposed?",
    "Which datasets are used in the experiments?",
    "How many inner steps are taken?",
    "What is the learning rate?",
    "Who are the authors?",
    "What does the method approximate?",
)


def paper_seconds(info: ModelInfo) -> float:
    """The median seconds a question takes on ``PAPER`` (opened beforehand)."""
    assistant = Assistant(info)
    opened = assistant.open(PAPER)
    times = []
    for question in PAPER_QUESTIONS:
        began = time.perf_counter()
        assistant.ask(opened, question)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def report_articles(per_paragraph: int) -> tuple[list[Any], list[Any]]:
    """The held-out articles reported on and the SQuAD 2.0 dev sample, each paragraph
    cut to its first ``per_paragraph`` questions (0: all)."""
    _, held_out = split_articles(
        SHARED / "squad" / "train-v1.1.json", TrainConfig.validation_articles
    )
    report, _ = held_out_parts(held_out)
    sample = load_articles(SHARED / "squad" / "dev-v2.0-sample.json")
    if per_paragraph:
        for article in report + sample:
            for paragraph in article["paragraphs"]:
                paragraph["qas"] = paragraph["qas"][:per_paragraph]
    return report, sample


def measure(info: ModelInfo, per_paragraph: int) -> tuple[dict[str, Any], list[Asked]]:
    """Every figure of one model; the SQuAD 2.0-style readings for the plot."""
    report, sample = report_articles(per_paragraph)
    rows: dict[str, Any] = {}
    began = time.perf_counter()
    paragraph = ask_all(Assistant(info), paragraphs_of(report))
    rows["paragraph"] = scores_of(paragraph, time.perf_counter() - began)
    began = time.perf_counter()
    whole = ask_all(Assistant(info), squad2_groups(sample) + squad2_groups(report))
    seconds = (time.perf_counter() - began) / len(whole)
    in_report = {q["id"] for a in report for p in a["paragraphs"] for q in p["qas"]}
    in_sample = {q["id"] for a in sample for p in a["paragraphs"] for q in p["qas"]}
    subsets = {
        "whole article": [a for a in whole if a.question.qid in in_report],
        "SQuAD 2.0 dev sample": [a for a in whole if a.question.qid in in_sample],
        "made unanswerable": [a for a in whole if "/" in a.question.qid],
        "SQuAD 2.0-style": whole,
    }
    for name, subset in subsets.items():
        rows[name] = scores_of(subset, seconds * len(subset))
    return rows, whole


def record(info: ModelInfo, rows: dict[str, Any]) -> None:
    """Write the headline figures into the model's manifest as ``measured``."""
    measured = {
        "paragraph_f1": round(rows["paragraph"]["f1"], 1),
        "whole_article_f1": round(rows["whole article"]["f1"], 1),
        "squad2_style_f1": round(rows["SQuAD 2.0-style"]["f1"], 1),
        "seconds_per_question": round(rows["paper_seconds"], 2),
        "questions": {
            "paragraph": rows["paragraph"]["total"],
            "squad2_style": rows["SQuAD 2.0-style"]["total"],
        },
        "pages": _page_count(PAPER),
        "machine": f"{os.cpu_count()}-core {platform.machine()} CPU",
        "benchmark": "benchmarks/answer_quality.py, held-out SQuAD articles",
        "on": time.strftime("%Y-%m-%d"),
    }
    path = info.path / MANIFEST_NAME
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["measured"] = measured
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def _page_count(pdf: Path) -> int:
    import pymupdf

    with pymupdf.open(pdf) as document:
        return int(document.page_count)


def scores_of(asked: list[Asked], seconds: float) -> dict[str, Any]:
    predictions = {a.question.qid: a.prediction for a in asked}
    scores = evaluate([a.question for a in asked], predictions)
    scores.update(scored_confidence(asked))
    scores["ms_per_question"] = 1000 * seconds / len(asked)
    return scores


TRADEOFF_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def tradeoff(asked: list[Asked]) -> list[dict[str, float]]:
    """F1, answerable F1 and no-answer accuracy (percent) of ``asked`` had "not found"
    been said below each of ``TRADEOFF_THRESHOLDS`` (the best answer's confidence)."""
    table = []
    for threshold in TRADEOFF_THRESHOLDS:
        answerable, unanswerable = [], []
        for a in asked:
            best = a.result.answers[0] if a.result.answers else None
            declined = best is None or (best.confidence or 0.0) < threshold
            if a.question.answerable:
                answerable.append(0.0 if declined else a.f1s()[0])
            else:
                unanswerable.append(float(declined))
        table.append({
            "below": threshold,
            "f1": 100 * statistics.fmean(answerable + unanswerable),
            "HasAns_f1": 100 * statistics.fmean(answerable) if answerable else float("nan"),
            "no_answer_accuracy": (
                100 * statistics.fmean(unanswerable) if unanswerable else float("nan")
            ),
        })  # fmt: skip
    return table


def plot(asked: list[Asked], path: Path, title: str) -> None:
    """A reliability diagram: accuracy against confidence in 10 bins, the diagonal
    for reference, bar widths by how many answers fall in each bin."""
    import pymupdf

    rated = [a for a in asked if a.result.answers and a.result.answers[0].confidence is not None]
    bins = reliability(
        [float(a.result.answers[0].confidence or 0) for a in rated],
        [a.f1s()[0] >= RIGHT_F1 for a in rated],
    )
    size, margin = 420, 50
    document = pymupdf.open()
    page = document.new_page(width=size + 2 * margin, height=size + 2 * margin + 20)

    def at(x: float, y: float, dx: float = 0, dy: float = 0) -> pymupdf.Point:
        """Where (confidence x, accuracy y) lands on the page, moved by (dx, dy) points."""
        return pymupdf.Point(margin + x * size + dx, margin + 20 + (1 - y) * size + dy)

    page.insert_text((margin, 30), title, fontsize=11)
    page.draw_rect(pymupdf.Rect(at(0, 1), at(1, 0)), color=(0, 0, 0), width=0.8)
    page.draw_line(at(0, 0), at(1, 1), color=(0.6, 0.6, 0.6), dashes="[4] 0")
    total = sum(n for _, _, n in bins) or 1
    for confidence, accuracy, count in bins:
        left = int(confidence * 10) / 10
        page.draw_rect(
            pymupdf.Rect(at(left + 0.01, accuracy), at(left + 0.09, 0)),
            color=None, fill=(0.25, 0.45, 0.8), fill_opacity=0.3 + 0.7 * count / total,
        )  # fmt: skip
        page.draw_circle(at(confidence, accuracy), 3, color=(0.8, 0.2, 0.1), fill=(0.8, 0.2, 0.1))
    for tick in range(0, 11, 2):
        page.insert_text(at(tick / 10, 0, -6, 14), f"{tick / 10:.1f}", fontsize=8)
        page.insert_text(at(0, tick / 10, -26, 3), f"{tick / 10:.1f}", fontsize=8)
    page.insert_text(at(0.35, 0, 0, 30), "confidence of the best answer", fontsize=9)
    page.insert_text(at(0, 0.62, -40, 0), "right", fontsize=9)
    page.get_pixmap(dpi=144).save(str(path))
    document.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, action="append")
    parser.add_argument("--per-paragraph", type=int, default=0, metavar="N")
    parser.add_argument("--plot", type=Path, metavar="OUT.png")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--record", action="store_true", help="write the figures into manifests")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    for folder in args.model or [None]:
        info = resolve_model(folder)
        label = f"{info.name} {info.version}" + (f" ({folder})" if folder else "")
        rows, whole = measure(info, args.per_paragraph)
        if args.plot:
            target = args.plot.with_stem(f"{args.plot.stem}-{len(results) + 1}")
            plot(whole, target, f"{info.name}: reliability on the SQuAD 2.0-style set")
            rows["plot"] = str(target)
        rows["paper_seconds"] = paper_seconds(info)
        if any(a.result.answers and a.result.answers[0].confidence is not None for a in whole):
            rows["tradeoff"] = tradeoff(whole)
        results[label] = rows
        if args.record:
            record(info, rows)
        print(f"\n{label}: {rows['paper_seconds']:.2f} s a question on a 15-page paper")
        print(
            f"{'set':<22}{'q':>6}{'EM':>7}{'F1':>7}{'HasF1':>7}{'guessF1':>8}{'NoAns%':>7}"
            f"{'ECE':>7}{'ms':>6}"
        )
        for name, row in rows.items():
            if not isinstance(row, dict):
                continue
            print(
                f"{name:<22}{row['total']:>6}{row['exact']:>7.1f}{row['f1']:>7.1f}"
                f"{row.get('HasAns_f1', row['f1']):>7.1f}"
                f"{row.get('best_guess_f1', float('nan')):>8.1f}"
                f"{row.get('no_answer_accuracy', float('nan')):>7.1f}"
                f"{row.get('ece', float('nan')):>7.3f}{row['ms_per_question']:>6.0f}"
            )
        if "tradeoff" in rows:
            print('SQuAD 2.0-style set, "not found" below:')
            for point in rows["tradeoff"]:
                print(
                    f"  {point['below']:.1f}: F1 {point['f1']:.1f}, answerable F1 "
                    f"{point['HasAns_f1']:.1f}, no-answer {point['no_answer_accuracy']:.1f}%"
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
