"""A library at archive scale: index thousands of generated PDFs, then ask it.

    python benchmarks/library_scale.py [--documents 10000] [--pages 15] [--corpus DIR]
        [--workers N] [--questions 20] [--json OUT]

Generates ``--documents`` PDFs of ``--pages`` pages (once, into ``--corpus``;
kept for the next run) from SQuAD v1.1 train paragraphs, shuffled so that every
file is distinct, with one known paragraph placed in some of them for the
questions. Then, in a fresh data folder, with the built-in model's tokenizer:

- indexing: ``library add`` of the whole folder (a process pool over ``--workers``
  processes), pages per second, and the peak memory of the largest process (the
  indexer or one of its workers);
- size on disk: the library database and the document cache it filled;
- start: ``desktop-qa library list --json`` of the library, a fresh process each
  time (median of three);
- questions: ``desktop-qa ask --library --questions`` with the built-in model,
  the seconds each question took (from its JSON), whether the known paragraph's
  answer was found, and the process's peak memory; the same questions asked of
  only the 20 documents holding the answers (a one-folder baseline run in this
  same process) give the latency ratio against a small library.

Targets on the project's 2-core machine: indexing >= 60 pages/s, a question < 2 s,
start < 1 s, peak memory < 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

SHARED = Path(__file__).resolve().parents[2] / "shared"
PARAGRAPHS_PER_PAGE = 3
GB = 1 << 30


def paragraphs() -> tuple[list[str], list[dict[str, Any]]]:
    """All SQuAD train contexts, and the answerable questions of some of them."""
    data = json.loads((SHARED / "squad" / "train-v1.1.json").read_text(encoding="utf-8"))
    contexts, asked = [], []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            contexts.append(" ".join(paragraph["context"].split()))
            qa = paragraph["qas"][0]
            asked.append({"question": qa["question"], "answer": qa["answers"][0]["text"]})
    return contexts, asked


def write_pdf(path: Path, pages: list[str]) -> None:
    import pymupdf

    document = pymupdf.open()
    for text in pages:
        page = document.new_page()
        page.insert_textbox(pymupdf.Rect(60, 60, 552, 780), text, fontsize=9.5)
    document.save(path, garbage=1, deflate=True)


def _make(job: tuple[Path, int, int, int | None]) -> None:
    path, seed, pages, planted = job
    contexts = _contexts
    rng = random.Random(seed)
    texts = []
    for page in range(pages):
        chosen = [contexts[rng.randrange(len(contexts))] for _ in range(PARAGRAPHS_PER_PAGE)]
        if planted is not None and page == pages // 2:
            chosen[1] = contexts[planted]
        texts.append(f"Report {seed}, page {page + 1}.\n\n" + "\n\n".join(chosen))
    write_pdf(path, texts)


_contexts: list[str] = []


def _load_contexts() -> None:
    global _contexts
    _contexts = paragraphs()[0]


def generate(corpus: Path, documents: int, pages: int, planted: dict[int, int]) -> None:
    """Write the missing PDFs of the corpus (in parallel)."""
    corpus.mkdir(parents=True, exist_ok=True)
    jobs = [
        (corpus / f"report{n:05d}.pdf", n, pages, planted.get(n))
        for n in range(documents)
        if not (corpus / f"report{n:05d}.pdf").exists()
    ]
    if not jobs:
        return
    began = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count(), initializer=_load_contexts) as pool:
        for done, _ in enumerate(pool.map(_make, jobs, chunksize=16), 1):
            if done % 500 == 0 or done == len(jobs):
                print(f"generated {done} of {len(jobs)} PDFs", file=sys.stderr, flush=True)
    print(f"generation took {time.perf_counter() - began:.0f} s", file=sys.stderr)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measured(args: list[str], env: dict[str, str]) -> tuple[str, float, int]:
    """Run desktop-qa in a child; its stdout, wall seconds and the peak RSS in bytes of
    the largest process (it or one of its workers)."""
    began = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child becomes desktop-qa, with stdout to a file
        out = os.open(env["BENCH_OUT"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.execve(sys.executable, [sys.executable, "-m", "desktop_qa", *args], env)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"desktop-qa {' '.join(args)} failed")
    return Path(env["BENCH_OUT"]).read_text(encoding="utf-8"), seconds, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--pages", type=int, default=15)
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "dqa-scale")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not (SHARED / "squad" / "train-v1.1.json").is_file():
        raise SystemExit(f"needs {SHARED / 'squad' / 'train-v1.1.json'}")

    contexts, asked = paragraphs()
    rng = random.Random(7)
    carriers = rng.sample(range(args.documents), min(args.questions, args.documents))
    planted = {doc: rng.randrange(len(contexts)) for doc in carriers}
    corpus = args.corpus / f"{args.documents}x{args.pages}"
    generate(corpus, args.documents, args.pages, planted)

    data = Path(tempfile.mkdtemp(prefix="dqa-scale-data-"))
    env = {**os.environ, "DESKTOP_QA_DATA_DIR": str(data), "BENCH_OUT": str(data / "out.txt")}
    env.pop("DESKTOP_QA_MODEL", None)
    figures: dict[str, Any] = {"documents": args.documents, "pages_each": args.pages}
    try:
        out, seconds, rss = measured(
            ["library", "add", str(corpus), "--library", "scale", "--json",
             "--workers", str(args.workers)], env,
        )  # fmt: skip
        report = json.loads(out)
        figures |= {
            "indexed": report["indexed"], "failed": report["failed"], "pages": report["pages"],
            "index_seconds": round(seconds, 1),
            "pages_per_second": round(report["pages"] / seconds, 1),
            "index_peak_rss_gb": round(rss / GB, 3),
        }  # fmt: skip
        database = data / "libraries" / "scale.sqlite3"
        figures["library_db_mb"] = round(database.stat().st_size / 1e6, 1)
        figures["document_cache_mb"] = round(folder_size(data / "cache") / 1e6, 1)

        starts = [measured(["library", "list", "--library", "scale", "--json"], env)[1]
                  for _ in range(3)]  # fmt: skip
        figures["start_seconds"] = round(statistics.median(starts), 3)

        questions = data / "questions.txt"
        chosen = [asked[planted[doc]] for doc in carriers]
        questions.write_text("".join(q["question"] + "\n" for q in chosen), encoding="utf-8")
        out, seconds, rss = measured(
            ["ask", "--library", "scale", "--questions", str(questions), "--no-history"], env
        )
        results = [json.loads(line) for line in out.splitlines()]
        latency = [r["elapsed_ms"] / 1000 for r in results]
        found = sum(
            any(q["answer"] in a["text"] or a["text"] in q["answer"] for a in r["answers"][:1])
            for q, r in zip(chosen, results, strict=True)
        )
        figures |= {
            "question_seconds_median": round(statistics.median(latency), 3),
            "question_seconds_max": round(max(latency), 3),
            "ask_process_seconds": round(seconds, 1),
            "ask_peak_rss_gb": round(rss / GB, 3),
            "best_answer_right": f"{found} of {len(chosen)}",
        }  # fmt: skip

        small = data / "small"
        small.mkdir()
        for doc in carriers:
            shutil.copy(corpus / f"report{doc:05d}.pdf", small)
        out, _, _ = measured(
            ["ask", "--library", str(small), "--questions", str(questions), "--no-history"], env
        )
        baseline = [json.loads(line)["elapsed_ms"] / 1000 for line in out.splitlines()]
        figures["small_library_question_seconds_median"] = round(statistics.median(baseline), 3)
        figures["question_latency_ratio_vs_small"] = round(
            statistics.median(latency) / statistics.median(baseline), 2
        )
    finally:
        shutil.rmtree(data, ignore_errors=True)
    targets = {
        "pages_per_second": ">= 60", "question_seconds_median": "< 2",
        "start_seconds": "< 1", "index_peak_rss_gb": "< 1.5", "ask_peak_rss_gb": "< 1.5",
    }  # fmt: skip
    for key, value in figures.items():
        target = f"   (target {targets[key]})" if key in targets else ""
        print(f"{key:42} {value}{target}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
