"""Retrieval recall@k: is a window holding the gold answer among the top k?

    python benchmarks/retrieval_recall.py [--model DIR] [--json OUT]

Measured on ``../shared/corpus/alexnet.qa.json`` (questions about a real paper;
a window holding any place the paper states the answer counts) and on
``../shared/squad/dev-v2.0-sample.json`` with all its contexts joined into one
long document (answerable questions only). Uses the model's tokenizer and the
reader's default windows and ranking (BM25, with the best document's opening
window kept in the first k, as the app reads them); no model is run.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from desktop_qa.core.assistant import Assistant, OpenDocument
from desktop_qa.core.document import Document
from desktop_qa.core.model import resolve_model

SHARED = Path(__file__).resolve().parents[2] / "shared"
KS = (1, 2, 4, 8, 16)


def gold_windows(opened: OpenDocument, start: int, end: int) -> set[int]:
    offsets = opened.tokens.offsets
    return {
        number
        for number, w in enumerate(opened.windows)
        if offsets[w.token_start, 0] <= start and end <= offsets[w.token_end - 1, 1]
    }


Case = tuple[OpenDocument, str, list[tuple[int, int]]]


def recall(cases: list[Case]) -> dict[int, float]:
    hits = dict.fromkeys(KS, 0)
    for opened, question, places in cases:
        gold = set().union(*(gold_windows(opened, start, end) for start, end in places))
        for k in KS:
            ranked = [window for _, window in opened.index.ranked(question, lead_within=k)]
            hits[k] += bool(gold & set(ranked[:k]))
    return {k: hits[k] / len(cases) for k in KS}


def alexnet_cases(assistant: Assistant) -> tuple[list[Case], int]:
    """Every place the paper states the first accepted answer counts as gold."""
    qa = json.loads((SHARED / "corpus" / "alexnet.qa.json").read_text(encoding="utf-8"))
    opened = assistant.open(SHARED / "corpus" / "alexnet.pdf")
    text = opened.document.text
    cases = []
    for item in qa["questions"]:
        answer = item["answers"][0]
        places = [(m.start(), m.end()) for m in re.finditer(re.escape(answer), text)]
        cases.append((opened, item["question"], places))
    return cases, len(opened.windows)


def squad_cases(assistant: Assistant) -> tuple[list[Case], int]:
    data = json.loads((SHARED / "squad" / "dev-v2.0-sample.json").read_text(encoding="utf-8"))
    parts, questions, offset = [], [], 0
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            for qa in paragraph["qas"]:
                if qa.get("answers"):
                    answer = qa["answers"][0]
                    start = offset + answer["answer_start"]
                    questions.append((qa["question"], start, start + len(answer["text"])))
            parts.append(context)
            offset += len(context) + 2
    opened = assistant.prepare(Document.from_text("\n\n".join(parts), "SQuAD sample"))
    return [(opened, q, [(s, e)]) for q, s, e in questions], len(opened.windows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    info = resolve_model(args.model)
    assistant = Assistant(info)
    rows: dict[str, dict[str, Any]] = {}
    for name, make in (
        ("alexnet.pdf", alexnet_cases),
        ("SQuAD sample as one document", squad_cases),
    ):
        cases, windows = make(assistant)
        rows[name] = {"questions": len(cases), "windows": windows, "recall": recall(cases)}
    print(
        f"{'corpus':<30}{'questions':>10}{'windows':>9}" + "".join(f"{'@' + str(k):>8}" for k in KS)
    )
    for name, row in rows.items():
        cells = "".join(f"{row['recall'][k]:>8.0%}" for k in KS)
        print(f"{name:<30}{row['questions']:>10}{row['windows']:>9}{cells}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
