"""Find a QA model directory and read what it says about itself.

A model directory holds ``model.onnx`` and/or ``model_quantized.onnx``,
``tokenizer.json`` and a small manifest, ``desktop_qa.json``::

    {"name": "...", "version": "...", "no_answer": false, "stand_in": false,
     "max_seq_len": 512}

``stand_in`` marks the random-weight models the project builds for tests and
benchmarks; they answer nonsense and are never picked as a default.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from desktop_qa.core.calibration import Calibration
from desktop_qa.core.config import installed_models_dir, shipped_dir
from desktop_qa.core.errors import BrokenModelError, ModelError, ModelNotFoundError

MANIFEST_NAME = "desktop_qa.json"
FP32_GRAPH = "model.onnx"
INT8_GRAPH = "model_quantized.onnx"
TOKENIZER_NAME = "tokenizer.json"
DEFAULT_MODEL_NAME = "default"
#: Models that come with desktop-qa (the repository's ``models/`` folder, or a wheel's copy).
SHIPPED_MODELS_DIR = shipped_dir("models")
FAST_BUILT_IN = "desktop-qa-minilm-squad"
#: A built-in model more accurate than the fastest is the default when it answers a
#: question on the benchmark's paper within this many seconds on the measuring machine.
DEFAULT_WITHIN_S = 1.0


@dataclass(frozen=True)
class ModelInfo:
    """A model directory and its manifest."""

    path: Path
    name: str
    version: str
    no_answer: bool
    stand_in: bool
    max_seq_len: int
    manifest: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def tokenizer_path(self) -> Path:
        return self.path / TOKENIZER_NAME

    @cached_property
    def calibration(self) -> Calibration | None:
        """The manifest's fitted confidence calibration, if it has one."""
        data = self.manifest.get("calibration")
        return Calibration.from_json(data) if data is not None else None

    @property
    def shared_normalization(self) -> bool:
        """Whether the model was trained with one softmax over a question's windows."""
        return bool(self.manifest.get("shared_normalization", False))

    @property
    def facts(self) -> list[str]:
        """What a user should know of the model: its window, "no answer", confidence,
        held-out scores."""
        if self.no_answer:
            says = "trained to say 'not found'"
        elif self.calibration is not None:
            says = "says 'not found' when unsure"
        else:
            says = "always answers (no 'not found')"
        calibrated = (
            "calibrated confidence" if self.calibration is not None else "no calibrated confidence"
        )
        facts = [f"windows of {self.max_seq_len} tokens", says, calibrated]
        scores = self.manifest.get("evaluation", {}).get("int8")
        if self.measured:
            facts.append(self.measured)
        elif scores:
            facts.append(f"held-out SQuAD EM {scores['exact']} / F1 {scores['f1']} (int8)")
        return facts

    @property
    def tier(self) -> str | None:
        """A built-in model's place beside the others, "Fast" or "Accurate" (its
        manifest's ``tier``); None for other models."""
        tier = self.manifest.get("tier")
        return str(tier) if tier else None

    @property
    def measured_figures(self) -> dict[str, Any]:
        """The benchmark's figures for a built-in model (its manifest's ``measured``,
        written by ``benchmarks/answer_quality.py --record``); empty for others."""
        measured = self.manifest.get("measured")
        return measured if isinstance(measured, dict) else {}

    @property
    def measured(self) -> str | None:
        """The benchmark's speed and F1 for a built-in model, in words."""
        measured = self.measured_figures
        try:
            return (
                f"F1 {measured['paragraph_f1']} by paragraph, {measured['whole_article_f1']} "
                f"asked of a whole article; {measured['seconds_per_question']} s a question "
                f"on a {measured['pages']}-page paper ({measured['machine']})"
            )
        except KeyError:
            return None

    def graph_for(self, on_gpu: bool) -> Path:
        """The int8 graph for the CPU when there is one; the fp32 graph on a GPU."""
        preferred = (FP32_GRAPH, INT8_GRAPH) if on_gpu else (INT8_GRAPH, FP32_GRAPH)
        for name in preferred:
            if (self.path / name).is_file():
                return self.path / name
        raise BrokenModelError(f"{self.path}: no {FP32_GRAPH} or {INT8_GRAPH} in the model folder")

    def check_sha256(self, file: Path) -> None:
        """Refuse a model file whose sha256 differs from the one its manifest records."""
        expected = self.manifest.get("sha256", {}).get(file.name)
        if expected and file_sha256(file) != expected:
            raise BrokenModelError(
                f"{file}: the file is damaged (it fails its sha256 check); install or import "
                "the model again, or leave out --model to use the built-in model"
            )


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def load_model_info(path: str | Path) -> ModelInfo:
    """Read a model directory's manifest, checking that its files are there."""
    path = Path(path)
    if not path.exists():
        raise ModelNotFoundError(f"model folder {path} does not exist")
    if not path.is_dir():
        raise BrokenModelError(f"{path}: a model is a folder, not a file")
    manifest: dict[str, Any] = {}
    manifest_path = path / MANIFEST_NAME
    if manifest_path.is_file():
        try:
            loaded = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BrokenModelError(f"{manifest_path}: unreadable manifest ({exc})") from exc
        if not isinstance(loaded, dict):
            raise BrokenModelError(f"{manifest_path}: the manifest must be a JSON object")
        manifest = loaded
    if not (path / TOKENIZER_NAME).is_file():
        raise BrokenModelError(f"{path}: no {TOKENIZER_NAME} in the model folder")
    info = ModelInfo(
        path=path,
        name=str(manifest.get("name", path.name)),
        version=str(manifest.get("version", "")),
        no_answer=bool(manifest.get("no_answer", False)),
        stand_in=bool(manifest.get("stand_in", False)),
        max_seq_len=_int_field(manifest, "max_seq_len", 512, manifest_path),
        manifest=manifest,
    )
    info.graph_for(on_gpu=False)  # fails early when neither graph is there
    return info


def _int_field(manifest: dict[str, Any], key: str, default: int, where: Path) -> int:
    value = manifest.get(key, default)
    if not isinstance(value, int) or value < 16:
        raise BrokenModelError(f"{where}: {key} must be an integer of at least 16, not {value!r}")
    return value


def resolve_model(explicit: str | Path | None) -> ModelInfo:
    """The model to use: ``--model`` (a folder, or the name of an installed or
    built-in model), else ``DESKTOP_QA_MODEL``, else the installed default, else the
    default built-in model (``default_built_in``)."""
    if explicit is not None:
        explicit = Path(explicit)
        if not explicit.exists() and len(explicit.parts) == 1:
            return named_model(explicit.name)
        return load_model_info(explicit)
    from_env = os.environ.get("DESKTOP_QA_MODEL")
    if from_env:
        return load_model_info(from_env)
    installed = installed_models_dir() / DEFAULT_MODEL_NAME
    if installed.is_dir():
        info = load_model_info(installed)
        if not info.stand_in:
            return info
    built_in = default_built_in()
    if built_in is not None:
        return built_in
    raise ModelNotFoundError(
        "no QA model is installed; pass --model DIR (a folder with model.onnx and "
        "tokenizer.json) or set DESKTOP_QA_MODEL "
        f"(looked in {installed_models_dir() / DEFAULT_MODEL_NAME} and {SHIPPED_MODELS_DIR})"
    )


def available_models() -> list[tuple[str, ModelInfo]]:
    """Models the user can pick: installed ones, then those shipped with desktop-qa.

    Stand-ins are never listed. Each comes with where it was found.
    """
    found = []
    for where, root in (("installed", installed_models_dir()), ("shipped", SHIPPED_MODELS_DIR)):
        if not root.is_dir():
            continue
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            try:
                info = load_model_info(folder)
            except ModelError:
                continue
            if not info.stand_in:
                found.append((where, info))
    return found


def named_model(name: str) -> ModelInfo:
    """A model by name: an installed one, else one shipped with desktop-qa."""
    try:
        return installed_model(name)
    except ModelNotFoundError:
        shipped = SHIPPED_MODELS_DIR / name
        if Path(name).name != name or name.startswith(".") or not shipped.is_dir():
            raise ModelNotFoundError(
                f"no installed or built-in model named {name!r} (see: desktop-qa model list)"
            ) from None
        return load_model_info(shipped)


def shipped_models() -> list[ModelInfo]:
    """The built-in models (the shipped ones with a ``tier``), fastest first."""
    shipped = [info for where, info in available_models() if where == "shipped" and info.tier]
    return sorted(shipped, key=_seconds_per_question)


def default_built_in() -> ModelInfo | None:
    """The built-in model used when none is chosen: the most accurate one asked of
    whole articles that answers within ``DEFAULT_WITHIN_S``, else the fastest."""
    models = shipped_models()
    quick = [info for info in models if _seconds_per_question(info) < DEFAULT_WITHIN_S]
    if quick:
        return max(quick, key=lambda info: float(info.measured_figures.get("whole_article_f1", 0)))
    return models[0] if models else None


def _seconds_per_question(info: ModelInfo) -> float:
    seconds = info.measured_figures.get("seconds_per_question")
    return float(seconds) if isinstance(seconds, int | float) else float("inf")


def installed_model(name: str) -> ModelInfo:
    """An installed model by its folder name."""
    folder = installed_models_dir() / name
    if not folder.is_dir() or name.startswith(".") or Path(name).name != name:
        raise ModelNotFoundError(f"no installed model named {name!r} (see: desktop-qa model list)")
    return load_model_info(folder)


def remove_model(name: str) -> Path:
    """Delete an installed model's folder; shipped models cannot be removed."""
    folder = installed_model(name).path
    shutil.rmtree(folder)
    return folder
