"""EM/F1 and page accuracy of a model on the QA file of a real paper.

    python benchmarks/corpus_qa.py [--model DIR] [--json OUT]

Runs ``../shared/corpus/alexnet.qa.json`` through the app's own pipeline (PDF
extraction, retrieval, reading) twice, with the default retrieval and with
every window read ("thorough"), and prints SQuAD-normalised EM/F1 of the best
answer against the accepted answers, how often its page is the gold page, and
the median time per question.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.model import resolve_model
from desktop_qa.core.squad import exact_match, f1_score

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    info = resolve_model(args.model)
    assistant = Assistant(info)
    qa = json.loads((SHARED / "corpus" / "alexnet.qa.json").read_text(encoding="utf-8"))
    opened = assistant.open(SHARED / "corpus" / "alexnet.pdf")
    rows: dict[str, dict[str, Any]] = {}
    for mode, thorough in (("retrieval", False), ("thorough", True)):
        exact = f1 = pages = 0.0
        times, answers = [], []
        for item in qa["questions"]:
            result = assistant.ask(opened, item["question"], thorough=thorough)
            best = result.answers[0] if result.answers else None
            text = best.text if best else ""
            exact += max(exact_match(text, gold) for gold in item["answers"])
            f1 += max(f1_score(text, gold) for gold in item["answers"])
            pages += bool(best and best.page == item["page"])
            times.append(result.elapsed_ms)
            answers.append({"id": item["id"], "answer": text, "windows": result.windows})
        n = len(qa["questions"])
        rows[mode] = {
            "exact": round(100 * exact / n, 1),
            "f1": round(100 * f1 / n, 1),
            "page_correct": round(100 * pages / n, 1),
            "median_ms": round(statistics.median(times)),
            "answers": answers,
        }
    print(f"{info.name}: alexnet.qa.json, {len(qa['questions'])} questions")
    print(f"{'mode':<12}{'EM':>7}{'F1':>7}{'page ok':>9}{'median ms':>11}")
    for mode, row in rows.items():
        print(
            f"{mode:<12}{row['exact']:>7}{row['f1']:>7}{row['page_correct']:>9}{row['median_ms']:>11}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
