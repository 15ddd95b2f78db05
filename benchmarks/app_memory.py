"""Peak memory of the app's own work: a BERT-base-shaped int8 model loaded and a
library of about 700 pages opened, indexed and asked (and the median time of a
question across it).

    python benchmarks/app_memory.py [--model DIR] [--json OUT]

The library is ``../shared/corpus/library`` and the other shared papers, plus a
generated PDF of SQuAD training paragraphs that brings it to about 700 pages.
This process loads no PyTorch: its peak RSS is what the app itself needs
(``benchmarks/run.py`` runs it as a child and prints the figure). Without
``--model`` it uses the BERT-base-shaped stand-in built by ``run.py``.
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
from pathlib import Path

import pymupdf

from desktop_qa.core.assistant import Assistant, ask_library
from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.model import MANIFEST_NAME, load_model_info

ROOT = Path(__file__).resolve().parent
SHARED = ROOT.parents[1] / "shared"
TARGET_PAGES = 700
QUESTIONS = (
    "What is the word error rate?",
    "How many parameters does the network have?",
    "When was the cathedral built?",
)


def peak_rss_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss on Linux, it does
    not count what the parent process held before it started this one)."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def filler_pdf(path: Path, pages: int) -> Path:
    """A text PDF of ``pages`` pages of SQuAD training paragraphs (real English prose)."""
    articles = json.loads((SHARED / "squad" / "train-v1.1.json").read_text(encoding="utf-8"))
    paragraphs = (p["context"] for a in articles["data"] for p in a["paragraphs"])
    document = pymupdf.open()
    for _ in range(pages):
        text = "\n\n".join(next(paragraphs) for _ in range(3))
        document.new_page().insert_textbox(pymupdf.Rect(54, 54, 558, 760), text, fontsize=9)
    document.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / ".models" / "bert-base-standin")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--make-filler", nargs=2, metavar=("PDF", "PAGES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.make_filler:
        filler_pdf(Path(args.make_filler[0]), int(args.make_filler[1]))
        return
    if not (args.model / MANIFEST_NAME).is_file():
        raise SystemExit(f"{args.model}: no model; python benchmarks/run.py builds the stand-in")
    if "torch" in sys.modules:
        raise SystemExit("this figure must be taken without PyTorch loaded")
    papers = sorted((SHARED / "corpus" / "library").glob("*.pdf"))
    papers += sorted((SHARED / "corpus").glob("*.pdf"))
    with tempfile.TemporaryDirectory() as folder:
        shared_pages = 0
        for paper in papers:
            with pymupdf.open(paper) as pdf:
                shared_pages += pdf.page_count
        filler = Path(folder) / "squad.pdf"
        # made by another process, so reading the SQuAD file does not count here
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--make-filler",
                str(filler),
                str(TARGET_PAGES - shared_pages),
            ],
            check=True,
        )
        papers.append(filler)
        after_setup = peak_rss_mib()
        began = time.perf_counter()
        settings = ReaderSettings(widen_below=float("-inf"))  # one round, as a trained model
        assistant = Assistant(
            load_model_info(args.model), settings, cache=DocumentCache(Path(folder))
        )
        documents = [assistant.open(paper) for paper in papers]
        seconds = time.perf_counter() - began
        asking = []
        for question in QUESTIONS:
            began = time.perf_counter()
            result = ask_library(assistant, documents, question)
            asking.append(time.perf_counter() - began)
    figures = {
        "documents": len(documents),
        "pages": sum(o.document.page_count for o in documents),
        "windows": sum(len(o.windows) for o in documents),
        "windows_read": result.windows,
        "first_open_s": round(seconds, 1),
        "question_s": round(statistics.median(asking), 2),
        "peak_rss_mib": round(peak_rss_mib()),
        "rss_before_app_mib": round(after_setup),
        "model": load_model_info(args.model).name,
    }
    print(json.dumps(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
