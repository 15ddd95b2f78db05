"""Retrieval recall@k: is a window holding the gold answer among the top k?

    python benchmarks/retrieval_recall.py [--model DIR] [--json OUT]

Measured on ``../shared/corpus/alexnet.qa.json`` (questions about a real paper;
a window holding any place the paper states the answer counts), on
``../shared/squad/dev-v2.0-sample.json`` with all its contexts joined into one
long document (answerable questions only), and on the training's eight held-out
SQuAD v1.1 articles, each joined into one document, asked one document at a
time and as one library of nine (with the sample: the gold window must then be
in the right document). Uses the model's tokenizer and the reader's default
windows and ranking (BM25, with the best document's opening window kept in the
first k, as the app reads them); no model is run.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from desktop_qa.core.assistant import Assistant, OpenDocument
from desktop_qa.core.config import TrainConfig
from desktop_qa.core.document import Document
from desktop_qa.core.model import resolve_model
from desktop_qa.core.retrieval import WindowIndex
from desktop_qa.core.training import split_articles

SHARED = Path(__file__).resolve().parents[2] / "shared"
KS = (1, 2, 4, 6, 8, 16)


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


def library_recall(cases: list[Case], documents: list[OpenDocument]) -> dict[int, float]:
    """Recall@k when all ``documents`` are ranked together, as ``ask --library`` does."""
    index = WindowIndex([(o.document.text, o.tokens, o.windows) for o in documents])
    number = {id(o): n for n, o in enumerate(documents)}
    hits = dict.fromkeys(KS, 0)
    for opened, question, places in cases:
        gold = set().union(*(gold_windows(opened, start, end) for start, end in places))
        wanted = {(number[id(opened)], window) for window in gold}
        for k in KS:
            hits[k] += bool(wanted & set(index.ranked(question, lead_within=k)[:k]))
    return {k: hits[k] / len(cases) for k in KS}


def alexnet_cases(assistant: Assistant) -> list[Case]:
    """Every place the paper states the first accepted answer counts as gold."""
    qa = json.loads((SHARED / "corpus" / "alexnet.qa.json").read_text(encoding="utf-8"))
    opened = assistant.open(SHARED / "corpus" / "alexnet.pdf")
    text = opened.document.text
    cases = []
    for item in qa["questions"]:
        answer = item["answers"][0]
        places = [(m.start(), m.end()) for m in re.finditer(re.escape(answer), text)]
        cases.append((opened, item["question"], places))
    return cases


def article_cases(assistant: Assistant, article: dict[str, Any]) -> list[Case]:
    """A SQuAD article as one document; each answerable question's first answer is gold."""
    parts, questions, offset = [], [], 0
    for paragraph in article["paragraphs"]:
        context = paragraph["context"]
        for qa in paragraph["qas"]:
            if qa.get("answers"):
                answer = qa["answers"][0]
                start = offset + answer["answer_start"]
                questions.append((qa["question"], start, start + len(answer["text"])))
        parts.append(context)
        offset += len(context) + 2
    opened = assistant.prepare(Document.from_text("\n\n".join(parts), article["title"]))
    return [(opened, q, [(s, e)]) for q, s, e in questions]


def squad_sample(assistant: Assistant) -> list[Case]:
    data = json.loads((SHARED / "squad" / "dev-v2.0-sample.json").read_text(encoding="utf-8"))
    return [case for article in data["data"] for case in article_cases(assistant, article)]


def held_out(assistant: Assistant) -> list[Case]:
    """Training's held-out SQuAD v1.1 articles, one document each."""
    _, articles = split_articles(
        SHARED / "squad" / "train-v1.1.json", TrainConfig.validation_articles
    )
    return [case for article in articles for case in article_cases(assistant, article)]


def windows_of(cases: list[Case]) -> int:
    return sum(len(o.windows) for o in {id(c[0]): c[0] for c in cases}.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    info = resolve_model(args.model)
    assistant = Assistant(info)
    rows: dict[str, dict[str, Any]] = {}
    alexnet = alexnet_cases(assistant)
    sample = squad_sample(assistant)
    articles = held_out(assistant)
    library = articles + sample
    documents = list({id(c[0]): c[0] for c in library}.values())
    for name, cases, measured in (
        ("alexnet.pdf", alexnet, recall(alexnet)),
        ("SQuAD sample as one document", sample, recall(sample)),
        ("8 held-out SQuAD articles", articles, recall(articles)),
        ("the 9 articles as one library", library, library_recall(library, documents)),
    ):
        rows[name] = {"questions": len(cases), "windows": windows_of(cases), "recall": measured}
    print(
        f"{'corpus':<30}{'questions':>10}{'windows':>9}" + "".join(f"{'@' + str(k):>8}" for k in KS)
    )
    for name, row in rows.items():
        cells = "".join(f"{row['recall'][k]:>8.1%}" for k in KS)
        print(f"{name:<30}{row['questions']:>10}{row['windows']:>9}{cells}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
