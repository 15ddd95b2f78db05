"""Building and asking a library on Ray with 1 and 2 workers, against the local pool.

    python benchmarks/ray_library.py [--documents 200] [--pages 15] [--questions 20]
        [--json OUT]

The corpus is ``library_scale.py``'s (generated once into its folder). For each
worker count: ``library add --workers N`` (the local process pool: the baseline,
run in this same session), then a Ray head started here with N CPUs
(``ray start --head --num-cpus N``, token authentication on) running
``library build --ray`` (from an empty document cache, as the local build
started) and ``ask --questions --ray`` (N reader actors), and stopped. Prints
pages/s for each build and seconds per question for each batch, with the ratio
of Ray to the local pool. Needs the [cluster] extra.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library_scale import generate, paragraphs

RAY = Path(sys.executable).with_name("ray")


def run(args: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "desktop_qa", *args], env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - began


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--pages", type=int, default=15)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    contexts, asked = paragraphs()
    rng = random.Random(7)
    carriers = rng.sample(range(args.documents), min(args.questions, args.documents))
    planted = {doc: rng.randrange(len(contexts)) for doc in carriers}
    corpus = Path(tempfile.gettempdir()) / "dqa-scale" / f"{args.documents}x{args.pages}"
    generate(corpus, args.documents, args.pages, planted)
    pages = args.documents * args.pages
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    rows: list[dict[str, Any]] = []
    for workers in (1, 2):
        data = Path(tempfile.mkdtemp(prefix="dqa-ray-bench-"))
        env = {**os.environ, **auth, "DESKTOP_QA_DATA_DIR": str(data),
               "RAY_USAGE_STATS_ENABLED": "0"}  # fmt: skip
        questions = data / "questions.txt"
        questions.write_text("".join(asked[planted[d]]["question"] + "\n" for d in carriers))
        local_build = run(["library", "add", str(corpus), "--library", "local",
                           "--workers", str(workers)], env)  # fmt: skip
        local_ask = run(["ask", "--library", "local", "--questions", str(questions),
                         "--no-history"], env)  # fmt: skip
        port = free_port()
        temp = Path(f"/tmp/dqa-rb-{os.getpid()}")
        subprocess.run(
            [str(RAY), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
             "--num-cpus", str(workers), "--include-dashboard", "false", "--temp-dir",
             str(temp), "--disable-usage-stats"],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        try:
            address = f"127.0.0.1:{port}"
            shutil.rmtree(data / "cache", ignore_errors=True)  # Ray parses the PDFs too
            ray_build = run(["library", "build", str(corpus), "--library", "ray", "--ray",
                             address], env)  # fmt: skip
            ray_ask = run(["ask", "--library", "ray", "--questions", str(questions), "--ray",
                           address, "--readers", str(workers)], env)  # fmt: skip
        finally:
            subprocess.run([str(RAY), "stop", "--force"], env=env, capture_output=True)
            shutil.rmtree(temp, ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
        rows.append({
            "workers": workers,
            "local_pages_per_s": round(pages / local_build, 1),
            "ray_pages_per_s": round(pages / ray_build, 1),
            "local_s_per_question": round(local_ask / len(carriers), 2),
            "ray_s_per_question": round(ray_ask / len(carriers), 2),
        })  # fmt: skip
    print(f"{args.documents} documents x {args.pages} pages, {len(carriers)} questions "
          "(whole commands: process start, model load and Ray start-up included)")  # fmt: skip
    print("workers | local pool pages/s | Ray pages/s (ratio) | local s/question | "
          "Ray s/question (ratio)")  # fmt: skip
    for r in rows:
        print(
            f"{r['workers']} | {r['local_pages_per_s']} | {r['ray_pages_per_s']} "
            f"({r['ray_pages_per_s'] / r['local_pages_per_s']:.2f}) | "
            f"{r['local_s_per_question']} | {r['ray_s_per_question']} "
            f"({r['ray_s_per_question'] / r['local_s_per_question']:.2f})"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
