"""EM/F1 when every question is asked of its whole article, not its paragraph.

    python benchmarks/long_document_qa.py [--model DIR] [--per-paragraph N] [--json OUT]

Asks the training's eight held-out SQuAD v1.1 articles and the SQuAD 2.0 dev
sample (answerable questions), each article joined into one long document, as
the app reads a paper: retrieval picks the windows, the reader answers. Prints
EM/F1 with the default settings and with the model's scores alone (no
retrieval bonus), and the time per question.
``--per-paragraph N`` asks only the first N questions of each paragraph.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.config import ReaderSettings, TrainConfig
from desktop_qa.core.model import resolve_model
from desktop_qa.core.squad import SquadQuestion, articles_of, evaluate, predict
from desktop_qa.core.training import split_articles

SHARED = Path(__file__).resolve().parents[2] / "shared"


def questions(per_paragraph: int) -> list[list[SquadQuestion]]:
    """Held-out and dev-sample articles, answerable questions only."""
    _, held_out = split_articles(
        SHARED / "squad" / "train-v1.1.json", TrainConfig.validation_articles
    )
    sample = json.loads((SHARED / "squad" / "dev-v2.0-sample.json").read_text(encoding="utf-8"))
    articles = held_out + sample["data"]
    for article in articles:
        for paragraph in article["paragraphs"]:
            answerable = [qa for qa in paragraph["qas"] if qa.get("answers")]
            paragraph["qas"] = answerable[:per_paragraph] if per_paragraph else answerable
    return articles_of(articles)


def measure(assistant: Assistant, grouped: list[list[SquadQuestion]]) -> dict[str, Any]:
    began = time.perf_counter()
    predictions = predict(assistant, grouped)
    seconds = time.perf_counter() - began
    scores = evaluate([q for article in grouped for q in article], predictions)
    return {
        "exact": scores["exact"],
        "f1": scores["f1"],
        "ms_per_question": 1000 * seconds / len(predictions),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--per-paragraph", type=int, default=0, metavar="N")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    info = resolve_model(args.model)
    grouped = questions(args.per_paragraph)
    count = sum(len(article) for article in grouped)
    defaults = ReaderSettings()
    rows = {}
    for name, settings in (
        ("default settings", defaults),
        ("model scores alone (--retrieval-weight 0)", replace(defaults, retrieval_weight=0.0)),
    ):
        rows[name] = measure(Assistant(info, settings), grouped)
    print(f"{info.name}: {len(grouped)} articles asked whole, {count} questions")
    print(f"{'settings':<44}{'EM':>7}{'F1':>7}{'ms':>7}")
    for name, row in rows.items():
        print(f"{name:<44}{row['exact']:>7.1f}{row['f1']:>7.1f}{row['ms_per_question']:>7.0f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
