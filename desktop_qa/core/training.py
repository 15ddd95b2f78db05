"""Fine-tune a BERT-family encoder for extractive QA on SQuAD, then ship it as ONNX.

Features are made with the reader's own windowing (``training_data``): the same
tokenizer, the same question truncation, the same windows and character
offsets, so what the model learns is what the app asks of it. Each question's
windows are trained together under one softmax (shared normalization), toward
``[CLS]`` where none of them holds the answer.

Runs are deterministic from the seed and resumable: a checkpoint (model,
optimiser, schedule, random state, step) is written atomically every
``checkpoint_every`` steps and at the end, and a run started again with the
same settings and output folder goes on from the last one.

Needs the dev extra (torch, transformers, onnx).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from desktop_qa.core.chunking import QATokenizer
from desktop_qa.core.config import TRAIN_PRECISIONS, ReaderSettings, TrainConfig
from desktop_qa.core.convert import model_input_names
from desktop_qa.core.encoders import ORIGIN_NAME
from desktop_qa.core.errors import DatasetError, InputError
from desktop_qa.core.model import (
    FP32_GRAPH,
    INT8_GRAPH,
    MANIFEST_NAME,
    TOKENIZER_NAME,
    load_model_info,
)
from desktop_qa.core.squad import (
    LEVELS,
    Level,
    SquadQuestion,
    calibration_groups,
    evaluate,
    paragraphs_of,
    predict,
    spread,
)
from desktop_qa.core.training_data import Features, Sample, make_features

CHECKPOINT_NAME = "checkpoint.pt"
EXPORTED = "model"  # the run folder's subfolder holding the exported model
#: The weight files of a save_pretrained folder, either of which a base encoder has.
BASE_WEIGHTS = ("model.safetensors", "pytorch_model.bin")


def split_articles(path: Path, validation_articles: int) -> tuple[list[Any], list[Any]]:
    """Training and validation articles, split by article (never by question).

    Validation articles are those whose title hashes lowest, so the split does
    not depend on the seed and every recipe is measured on the same articles.
    """
    try:
        articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: not a readable SQuAD file ({exc})") from exc
    if len(articles) <= validation_articles:
        raise DatasetError(f"{path}: too few articles to hold {validation_articles} out")
    ranked = sorted(articles, key=lambda a: hashlib.sha256(a["title"].encode()).hexdigest())
    return ranked[validation_articles:], ranked[:validation_articles]


def held_out_parts(held_out: list[Any]) -> tuple[list[Any], list[Any]]:
    """The held-out articles in two halves: the first to report on, the second to fit
    calibrations and thresholds on (never the articles reported on)."""
    half = len(held_out) // 2
    return held_out[:half], held_out[half:]


def batch_plan(
    lengths: np.ndarray,
    batch_size: int,
    epochs: float,
    seed: int,
    groups: list[tuple[int, int]] | None = None,
) -> list[np.ndarray]:
    """Every step's feature indices, for the whole run.

    The units are ``groups`` of consecutive rows (one row each without): a group
    always lands whole in one step, its rows together. Each epoch shuffles the
    groups, sorts them by length within pools of about 50 batches (so a batch pads
    little), packs them into steps of at most ``batch_size`` rows (a larger group
    makes a step alone) and shuffles the steps; a fractional last epoch is cut short.
    """
    groups = groups if groups is not None else [(i, i + 1) for i in range(len(lengths))]
    widths = np.array([lengths[first:end].max() for first, end in groups])
    rows = sum(end - first for first, end in groups)
    pool = max(1, round(50 * batch_size * len(groups) / max(rows, 1)))
    steps: list[np.ndarray] = []
    total_steps: int | None = None
    epoch = 0
    while total_steps is None or len(steps) < total_steps:
        rng = np.random.default_rng([seed, epoch])
        order = rng.permutation(len(groups))
        batches: list[np.ndarray] = []
        for begin in range(0, len(order), pool):
            chunk = order[begin : begin + pool]
            packed: list[int] = []
            for unit in chunk[np.argsort(widths[chunk], kind="stable")]:
                first, end = groups[unit]
                if packed and len(packed) + end - first > batch_size:
                    batches.append(np.array(packed))
                    packed = []
                packed.extend(range(first, end))
            if packed:
                batches.append(np.array(packed))
        if total_steps is None:
            total_steps = math.ceil(epochs * len(batches))
        for index in rng.permutation(len(batches)):
            steps.append(batches[index])
        epoch += 1
    return steps[:total_steps]


def _pad(features: Features, indices: np.ndarray) -> dict[str, Any]:
    """A step's padded inputs, and what the loss needs: the positions a span may
    take (``[CLS]`` and the passage), the gold ones, and the groups' rows."""
    import torch

    width = max(len(features.input_ids[i]) for i in indices)
    ids = np.zeros((len(indices), width), dtype=np.int64)
    types = np.zeros((len(indices), width), dtype=np.int64)
    mask = np.zeros((len(indices), width), dtype=np.int64)
    allowed = np.zeros((len(indices), width), dtype=bool)
    starts = np.zeros((len(indices), width), dtype=bool)
    ends = np.zeros((len(indices), width), dtype=bool)
    row_of = {int(index): row for row, index in enumerate(indices)}
    for row, index in enumerate(indices):
        n = len(features.input_ids[index])
        ids[row, :n] = features.input_ids[index]
        types[row, :n] = features.token_types[index]
        mask[row, :n] = 1
        allowed[row, 0] = True
        allowed[row, features.passage_starts[index] : features.passage_ends[index]] = True
    groups = []
    for first, end in features.groups_of(indices):
        rows = [row_of[i] for i in range(first, end)]
        answered = any(features.starts[i] for i in range(first, end))
        for r, i in zip(rows, range(first, end), strict=True):
            if answered and features.starts[i]:
                starts[r, features.starts[i]] = ends[r, features.ends[i]] = True
            elif not answered:
                starts[r, 0] = ends[r, 0] = True  # no window holds it: toward [CLS]
        groups.append((rows[0], rows[-1] + 1))
    return {
        "inputs": {
            "input_ids": torch.from_numpy(ids),
            "token_type_ids": torch.from_numpy(types),
            "attention_mask": torch.from_numpy(mask),
        },
        "allowed": torch.from_numpy(allowed),
        "gold_starts": torch.from_numpy(starts),
        "gold_ends": torch.from_numpy(ends),
        "groups": groups,
    }


def shared_normalization_loss(
    start_logits: Any,
    end_logits: Any,
    allowed: Any,
    gold_starts: Any,
    gold_ends: Any,
    groups: list[tuple[int, int]],
) -> Any:
    """Mean negative log-likelihood of the gold starts and ends, each softmax taken
    over all allowed positions of all windows of a group at once (Clark & Gardner,
    2018): scores of one question's windows are trained on one scale. A group with
    several gold positions (the answer in two overlapping windows, or ``[CLS]`` of
    every window for a question they cannot answer) counts their total probability.
    """
    import torch

    losses = []
    for logits, gold in ((start_logits, gold_starts), (end_logits, gold_ends)):
        masked = logits.float().masked_fill(~allowed, float("-inf"))
        for first, end in groups:
            scores = masked[first:end].reshape(-1)
            target = gold[first:end].reshape(-1)
            losses.append(torch.logsumexp(scores, 0) - torch.logsumexp(scores[target], 0))
    return torch.stack(losses).sum() / (2 * len(groups))


def train(config: TrainConfig, log: TextIO = sys.stderr) -> dict[str, Any]:
    """Train (or resume), export fp32 and int8 ONNX, evaluate both; returns the manifest."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    _check_base(config.base)
    if config.precision not in TRAIN_PRECISIONS:
        raise InputError(f"precision must be one of {', '.join(TRAIN_PRECISIONS)}")
    torch.manual_seed(config.seed)
    torch.set_num_threads(os.cpu_count() or 1)
    device = training_device(config.device, torch.cuda.is_available(), _torch_build(torch))
    tokenizer = QATokenizer.from_file(config.base / TOKENIZER_NAME)
    train_articles, validation_articles = split_articles(config.data, config.validation_articles)
    model = _base_model(config)
    earlier = _load_init(config.init, model) if config.init else None
    model.to(device)
    torch.manual_seed(config.seed)  # dropout's draws: the same however the model was built
    trained_before = stage_samples(earlier, config) if earlier and config.fresh_questions else []
    features, question_count = make_features(train_articles, tokenizer, config, trained_before)
    if not len(features) and trained_before:
        raise DatasetError("--fresh-questions: the earlier stages trained on every question")
    if not len(features):
        raise DatasetError(f"{config.data}: no answered questions to train on")
    lengths = np.array([len(ids) for ids in features.input_ids])
    plan = batch_plan(lengths, config.batch_size, config.epochs, config.seed, features.groups)
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(features.kinds.items()))
    print(
        f"{question_count} questions -> {len(features.groups)} groups ({kinds}) of "
        f"{len(features)} windows, {len(plan)} steps of up to {config.batch_size}; "
        f"validation: {len(validation_articles)} held-out articles",
        file=log,
    )

    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": config.weight_decay,
        },
        {
            "params": [p for n, p in model.named_parameters() if n.endswith(no_decay)],
            "weight_decay": 0.0,
        },
    ]
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup * len(plan)), len(plan))
    config.out.mkdir(parents=True, exist_ok=True)
    state = _resume(config, model, optimizer, schedule, log)
    step, seconds_before, loss_sum = state["step"], state["seconds"], state["loss_sum"]

    model.train()
    began = time.perf_counter()
    started_at = step
    last_report = began
    mixed = config.precision == "bf16"
    takes = model_input_names(model)  # MPNet has no token types
    print(f"training on {machine_of(device)}", file=log)
    slow = emulated_bf16_warning(config.precision, device, _cpu_has_native_bf16(torch))
    if slow:
        print(slow, file=log)
    while step < len(plan):
        batch = _pad(features, plan[step])
        with torch.autocast(device, dtype=torch.bfloat16, enabled=mixed):
            output = model(**{name: batch["inputs"][name].to(device) for name in takes})
        loss = shared_normalization_loss(
            output.start_logits, output.end_logits, batch["allowed"].to(device),
            batch["gold_starts"].to(device), batch["gold_ends"].to(device), batch["groups"],
        )  # fmt: skip
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        step += 1
        loss_sum += loss.item()
        now = time.perf_counter()
        if now - last_report > 30 or step == len(plan):
            last_report = now
            per_step = (now - began) / (step - started_at)
            print(
                f"step {step}/{len(plan)}  loss {loss_sum / step:.3f}  "
                f"{per_step:.2f} s/step  ETA {_duration(per_step * (len(plan) - step))}",
                file=log,
                flush=True,
            )
        finished = step == len(plan)
        if step % config.checkpoint_every == 0 or finished:
            seconds = seconds_before + time.perf_counter() - began
            _save_checkpoint(config, model, optimizer, schedule, step, seconds, loss_sum, earlier)
        stop_now = (
            config.stop_after_steps is not None and step - started_at >= config.stop_after_steps
        )
        if stop_now and not finished:
            print(f"stopped after {step} steps; run again to resume", file=log)
            return {"stopped_at_step": step}
    seconds = seconds_before + time.perf_counter() - began
    return _ship(
        config, model.to("cpu"), tokenizer, validation_articles, step, seconds, question_count,
        earlier, log, machine_of(device),
    )  # fmt: skip


def training_device(requested: str, cuda_available: bool, torch_build: str) -> str:
    """The device a run trains on (``TrainConfig.device``): "auto" is the CUDA GPU where
    PyTorch sees one, else the CPU; "cuda" where it sees none is an error that says
    which PyTorch this is (a CPU-only build cannot see a GPU)."""
    if requested == "auto":
        return "cuda" if cuda_available else "cpu"
    if requested == "cuda" and not cuda_available:
        raise InputError(
            f"--device cuda: PyTorch sees no CUDA GPU here ({torch_build}); "
            "use --device cpu, or auto to take a GPU only where there is one"
        )
    return requested


def emulated_bf16_warning(precision: str, device: str, native_bf16: bool) -> str | None:
    """What to tell a bf16 run on a CPU without native bf16 (AVX512-BF16 or AMX):
    there bf16 is emulated, and a step took 16 times as long as in fp32 (219 s
    against 13 s for 32 windows of 384 tokens on a 2-core AVX2 machine)."""
    if precision != "bf16" or device != "cpu" or native_bf16:
        return None
    return (
        "warning: this CPU has no native bf16 (AVX512-BF16 or AMX), so --precision bf16 "
        "is emulated and many times slower than fp32 here; stop and use --precision fp32 "
        "(a new --out), unless this run must resume as it began"
    )


def _cpu_has_native_bf16(torch: Any) -> bool:
    """Whether oneDNN runs bf16 natively on this CPU (True where PyTorch cannot say)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return True


def _torch_build(torch: Any) -> str:
    cuda = torch.version.cuda
    built = f"built for CUDA {cuda}" if cuda else "a CPU-only build"
    return f"torch {torch.__version__}, {built}"


def machine_of(device: str) -> str:
    """What the manifest records of where a run trained."""
    cpu = f"{platform.machine()}, {os.cpu_count()} CPU threads"
    if device != "cuda":
        return cpu
    import torch

    return f"{torch.cuda.get_device_name()} (CUDA {torch.version.cuda}); {cpu}"


def _base_model(config: TrainConfig) -> Any:
    """The encoder with a new QA head. A run with ``--init`` takes every weight from the
    earlier run, so its base folder may hold only the config and tokenizer (as where
    the base encoder's package cannot be installed, on a machine lent for training)."""
    from transformers import AutoConfig, AutoModelForQuestionAnswering

    weighted = any((config.base / name).is_file() for name in BASE_WEIGHTS)
    if weighted:
        return AutoModelForQuestionAnswering.from_pretrained(str(config.base))
    if config.init is None:
        raise InputError(
            f"{config.base}: a base model folder needs its weights "
            f"({' or '.join(BASE_WEIGHTS)}) unless --init gives them"
        )
    return AutoModelForQuestionAnswering.from_config(AutoConfig.from_pretrained(str(config.base)))


def _check_base(base: Path) -> None:
    for name in ("config.json", TOKENIZER_NAME):
        if not (base / name).is_file():
            raise InputError(f"{base}: a base model folder needs {name} (save_pretrained layout)")


def _load_init(run: Path, model: Any) -> dict[str, Any]:
    """Load an earlier run's trained weights into ``model``; returns what the manifest records.

    That record holds the earlier run's own ``init`` in its recipe, so a model trained
    in several stages keeps every stage, and its held-out scores where it has them.
    """
    import torch

    path = run / CHECKPOINT_NAME
    if not path.is_file():
        raise InputError(f"{run}: --init needs an earlier run folder holding {CHECKPOINT_NAME}")
    checkpoint = torch.load(path, weights_only=False, map_location="cpu")
    model.load_state_dict(checkpoint["model"])
    recipe: dict[str, Any] = _recipe(checkpoint["identity"])
    if checkpoint.get("init"):
        recipe["init"] = checkpoint["init"]
    record: dict[str, Any] = {
        "recipe": recipe,
        "steps": checkpoint["step"],
        "seconds": round(checkpoint["seconds"]),
    }
    exported = run / EXPORTED / MANIFEST_NAME
    if exported.is_file():
        evaluation = json.loads(exported.read_text(encoding="utf-8")).get("evaluation")
        if evaluation:
            record["evaluation"] = evaluation
    return record


def _earlier_stages(earlier: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The records of every stage before this one, oldest first, from its ``--init``
    record (each holds the one before it in ``recipe.init``)."""
    stages: list[dict[str, Any]] = []
    while earlier is not None:
        stages.insert(0, earlier)
        earlier = earlier["recipe"].get("init")
    return stages


def stage_samples(earlier: dict[str, Any], config: TrainConfig) -> list[Sample]:
    """The question samples of every stage before this one, oldest first; they drew
    from the same questions only with the same held-out split."""
    samples: list[Sample] = []
    for stage in _earlier_stages(earlier):
        recipe = stage["recipe"]
        if int(recipe["validation_articles"]) != config.validation_articles:
            raise InputError(
                "--fresh-questions: an earlier stage held out "
                f"{recipe['validation_articles']} articles, this one {config.validation_articles}"
            )
        limit = recipe["limit_questions"]
        fresh = recipe.get("fresh_questions") == "True"
        samples.append((int(recipe["seed"]), None if limit == "None" else int(limit), fresh))
    return samples


def _recipe(identity: dict[str, str]) -> dict[str, str]:
    """A run identity as a manifest records it: without this machine's folder paths."""
    return {k: v for k, v in identity.items() if k not in ("base", "data", "init")}


def _resume(
    config: TrainConfig, model: Any, optimizer: Any, schedule: Any, log: TextIO
) -> dict[str, Any]:
    import torch

    path = config.out / CHECKPOINT_NAME
    if not path.is_file():
        return {"step": 0, "seconds": 0.0, "loss_sum": 0.0}
    checkpoint = torch.load(path, weights_only=False, map_location="cpu")
    if checkpoint["identity"] != config.identity():
        raise InputError(
            f"{path} belongs to a run with other settings; use another --out or delete it"
        )
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    schedule.load_state_dict(checkpoint["schedule"])
    torch.set_rng_state(checkpoint["rng"])
    if checkpoint.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state(checkpoint["cuda_rng"])
    print(f"resuming at step {checkpoint['step']} from {path}", file=log)
    return {k: checkpoint[k] for k in ("step", "seconds", "loss_sum")}


def _save_checkpoint(
    config: TrainConfig,
    model: Any,
    optimizer: Any,
    schedule: Any,
    step: int,
    seconds: float,
    loss_sum: float,
    earlier: dict[str, Any] | None,
) -> None:
    import torch

    path = config.out / CHECKPOINT_NAME
    partial = path.with_suffix(".partial")
    torch.save(
        {
            "identity": config.identity(),
            "step": step,
            "seconds": seconds,
            "loss_sum": loss_sum,
            "init": earlier,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state() if torch.cuda.is_initialized() else None,
        },
        partial,
    )
    partial.replace(path)


def _ship(
    config: TrainConfig,
    model: Any,
    tokenizer: QATokenizer,
    validation_articles: list[Any],
    steps: int,
    seconds: float,
    question_count: int,
    earlier: dict[str, Any] | None,
    log: TextIO,
    machine: str,
) -> dict[str, Any]:
    """Export fp32 and int8 ONNX into ``out/model``, evaluate both, write the manifest
    (``machine``: where it trained)."""
    from desktop_qa.core.calibration import calibrate
    from desktop_qa.core.convert import (
        AttentionShape,
        calibration_windows,
        export_qa_onnx,
        model_file_hashes,
        quantize_int8,
    )

    folder = config.out / EXPORTED
    folder.mkdir(parents=True, exist_ok=True)
    model.eval()
    export_qa_onnx(model, folder / FP32_GRAPH)
    shutil.copy(config.base / TOKENIZER_NAME, folder / TOKENIZER_NAME)
    attention = AttentionShape.of_config(model.config.to_dict())
    calibration = calibration_windows(folder / TOKENIZER_NAME, config.max_seq_len)
    per_row = quantize_int8(folder / FP32_GRAPH, folder / INT8_GRAPH, attention, calibration)
    base = base_description(config.base)
    manifest: dict[str, Any] = {
        "name": config.name,
        "version": _version(config.seed, steps, earlier),
        "description": _description(config, base),
        "stand_in": False,
        "no_answer": says_no_answer(config),
        "shared_normalization": config.context == "article",
        "max_seq_len": config.max_seq_len,
        "architecture": model.config.model_type,
        "base_model": base,
        "training_data": "SQuAD v1.1 train (CC BY-SA 4.0), held-out articles excluded",
        "recipe": _recipe(config.identity()),
        "training": {
            "questions": question_count,
            "steps": steps,
            "seconds": round(seconds),
            "machine": machine,
        },
        "int8_per_row": per_row,
    }
    if earlier:
        manifest["recipe"]["init"] = earlier
    manifest["sha256"] = model_file_hashes(folder)
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    report, fit = held_out_parts(validation_articles)
    levels = fitted_levels(config.context)
    try:
        fitted = calibrate(
            load_model_info(folder),
            spread(calibration_groups(fit, levels), config.validation_limit),
            {
                "data": config.data.name,
                "articles": [a["title"] for a in fit],
                "levels": list(levels),
            },
            progress=_progress("calibration", log),
        )
        manifest["calibration"] = fitted.to_json()
    except DatasetError as exc:
        print(f"no calibration: {exc}", file=log)
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    manifest["evaluation"] = evaluated_on_report_half(
        folder, report, config.stride, config.validation_limit, log
    )
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(manifest["evaluation"], indent=2), file=log)
    return manifest


def fitted_levels(context: str) -> tuple[Level, ...]:
    """The levels a run's calibration is fitted on: a document-level model's on whole
    articles alone (its confidence already tells a paragraph from a whole article, and
    it is how the built-in model's calibration is fitted), a paragraph model's on both."""
    return ("article",) if context == "article" else LEVELS


def evaluated_on_report_half(
    folder: Path,
    report: list[Any],
    stride: int,
    limit: int | None = None,
    log: TextIO = sys.stderr,
) -> dict[str, Any]:
    """EM/F1 paragraph by paragraph on the held-out articles nothing was fitted on, as
    the app answers (with the model's calibration, so "not found" counts as it will)."""
    figures = evaluate_folder(folder, paragraphs_of(report), stride, limit, log)
    return {**figures, "articles": [a["title"] for a in report], "calibrated": True}


def says_no_answer(config: TrainConfig) -> bool:
    """Whether a recipe trains the model to say "no answer"."""
    return config.context == "article" and config.unanswerable_fraction > 0


def _description(config: TrainConfig, base: dict[str, str]) -> str:
    encoder = f"{base['layers']}-layer {base['source'].rsplit('/', 1)[-1]} encoder"
    if config.context == "paragraph":
        return (
            f"extractive QA model trained by desktop-qa: {encoder}, SQuAD v1.1 paragraphs, "
            "English, no 'no answer' training"
        )
    taught = "says 'no answer'" if says_no_answer(config) else "no 'no answer' training"
    return (
        f"extractive QA model trained by desktop-qa: {encoder}, SQuAD v1.1 whole articles "
        f"with negative windows (shared normalization), English, {taught}"
    )


def _version(seed: int, steps: int, earlier: dict[str, Any] | None) -> str:
    """``seed0-steps1631``; later stages count every stage: ``seed0+1+2-steps5980``."""
    stages = _earlier_stages(earlier)
    seeds = [*(stage["recipe"]["seed"] for stage in stages), str(seed)]
    steps += sum(stage["steps"] for stage in stages)
    return f"seed{'+'.join(seeds)}-steps{steps}"


def base_description(base: Path) -> dict[str, str]:
    """What the manifest says of the base encoder: its origin, size and licence."""
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    card = base / "README.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    front = text.split("---")[1] if text.startswith("---") else ""  # the card's YAML header
    fields = dict(
        line.split(":", 1) for line in front.splitlines() if ":" in line and not line[0].isspace()
    )
    described = {
        "source": str(config.get("_name_or_path", base.name)),
        "layers": str(config.get("num_hidden_layers", "?")),
        "hidden": str(config.get("hidden_size", "?")),
        "licence": fields.get("license", "see the base model's card").strip(),
    }
    if (base / "config_sentence_transformers.json").is_file():
        described["kind"] = "sentence-transformers encoder"
    if (base / ORIGIN_NAME).is_file():  # extracted from PyPI packages' pieces
        packages = json.loads((base / ORIGIN_NAME).read_text(encoding="utf-8"))["packages"]
        described["package"] = ", ".join(packages)
    if (base.parent / "__init__.py").is_file():  # shipped inside a Python package
        import importlib.metadata

        for name in importlib.metadata.packages_distributions().get(base.parent.name, []):
            meta = importlib.metadata.metadata(name)
            described["package"] = f"{name} {meta['Version']} (PyPI): {meta['Summary']}"
    return described


def evaluate_folder(
    folder: Path,
    paragraphs: list[list[SquadQuestion]],
    stride: int,
    limit: int | None = None,
    log: TextIO = sys.stderr,
) -> dict[str, Any]:
    """EM/F1 of the fp32 and int8 graphs through the app's reader, and their agreement."""
    paragraphs = spread(paragraphs, limit)
    questions = [q for p in paragraphs for q in p]
    results: dict[str, Any] = {"questions": len(questions)}
    predictions = {}
    for label, graph in (("fp32", FP32_GRAPH), ("int8", INT8_GRAPH)):
        results[label], predictions[label] = evaluate_graph(
            folder, graph, paragraphs, stride, _progress(label, log)
        )
    same = sum(predictions["fp32"][q.qid] == predictions["int8"][q.qid] for q in questions)
    results["int8_same_answer"] = round(same / len(questions), 4)
    return results


def evaluate_graph(
    folder: Path,
    graph: str,
    paragraphs: list[list[SquadQuestion]],
    stride: int,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, float], dict[str, str]]:
    """EM/F1 and seconds of one graph of a model folder, and its answer to each question."""
    from desktop_qa.core.assistant import Assistant
    from desktop_qa.core.model import load_model_info
    from desktop_qa.core.reader import OnnxQAModel

    began = time.perf_counter()
    info = load_model_info(folder)
    onnx_model = OnnxQAModel(info, "cpu", graph=folder / graph)
    settings = ReaderSettings(max_seq_len=info.max_seq_len, stride=stride)
    predictions = predict(Assistant(info, settings, onnx_model), paragraphs, progress)
    scores = evaluate([q for p in paragraphs for q in p], predictions)
    figures = {
        "exact": round(scores["exact"], 2),
        "f1": round(scores["f1"], 2),
        "seconds": round(time.perf_counter() - began, 1),
    }
    return figures, predictions


def _progress(label: str, log: TextIO) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if done % 200 == 0 or done == total:
            print(f"evaluating {label}: {done}/{total}", file=log, flush=True)

    return report


def _duration(seconds: float) -> str:
    minutes, second = divmod(int(seconds), 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours}:{minute:02d}:{second:02d}"
