"""Copy a trained model into models/ as the built-in default (int8 graph only).

    python scripts/ship_model.py runs/minilm/model [--target DIR] [--base DIR]
        [--tier Fast|Accurate] [--force]

The int8 graph, the tokenizer and the manifest are copied; the fp32 graph is
left out to keep the repository small (the reader runs int8 on every provider
when it is the only graph). The manifest's sha256 list is rewritten to the
shipped files and says what was left out. The model it replaces is kept in the
manifest's ``earlier_recipes`` (recipe, training, evaluation), so every recipe
tried stays on record; a model that scores more than ``PARAGRAPH_F1_TOLERANCE``
lower on the held-out articles asked paragraph by paragraph (int8 F1) is
refused unless ``--force``: a model trained for whole documents may give up
that much there (check ``benchmarks/answer_quality.py`` that it wins on whole
articles before shipping it). The manifest's base model is the one training
recorded; ``--base NAME_OR_DIR`` rewrites it (source, licence, package) from
that encoder, for a run whose manifest predates the record. ``--tier`` names the
built-in model's place (default: the replaced model's); the figures Settings show
(``measured``) come from ``benchmarks/answer_quality.py --record`` run on the
source first.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from desktop_qa.core.convert import model_file_hashes
from desktop_qa.core.encoders import encoder_folder
from desktop_qa.core.model import FAST_BUILT_IN, INT8_GRAPH, MANIFEST_NAME, TOKENIZER_NAME
from desktop_qa.core.training import base_description

RECORDED = ("version", "recipe", "training", "evaluation")
PARAGRAPH_F1_TOLERANCE = 1.0


def held_out_f1(manifest: dict[str, Any]) -> float:
    return float(manifest.get("evaluation", {}).get("int8", {}).get("f1", 0.0))


def _articles(manifest: dict[str, Any]) -> tuple[list[str] | None, bool]:
    evaluation = manifest.get("evaluation", {})
    return evaluation.get("articles"), bool(evaluation.get("calibrated", False))


def ship(
    source: Path,
    target: Path,
    base: Path | None = None,
    force: bool = False,
    tier: str | None = None,
) -> Path:
    manifest = json.loads((source / MANIFEST_NAME).read_text(encoding="utf-8"))
    earlier: list[dict[str, Any]] = []
    replaced: dict[str, Any] = {}
    if (target / MANIFEST_NAME).is_file():
        replaced = json.loads((target / MANIFEST_NAME).read_text(encoding="utf-8"))
        comparable = _articles(manifest) == _articles(replaced)
        if not comparable and not force:
            raise SystemExit(
                f"{source} was evaluated on other held-out articles (or uncalibrated) than "
                "the shipped model; compare them with benchmarks/answer_quality.py, then "
                "--force ships it"
            )
        too_low = held_out_f1(manifest) < held_out_f1(replaced) - PARAGRAPH_F1_TOLERANCE
        if comparable and too_low and not force:
            raise SystemExit(
                f"{source} scores int8 F1 {held_out_f1(manifest)} on the held-out articles, "
                f"more than {PARAGRAPH_F1_TOLERANCE} below the shipped model's "
                f"{held_out_f1(replaced)}; --force ships it anyway"
            )
        earlier = [*replaced.get("earlier_recipes", []), {k: replaced.get(k) for k in RECORDED}]
    manifest["tier"] = tier or replaced.get("tier")
    if not manifest["tier"]:
        raise SystemExit(f"{target} is a new built-in model: say its --tier (Fast, Accurate)")
    if "measured" not in manifest and not force:
        raise SystemExit(
            f"{source} has no measured figures: run benchmarks/answer_quality.py --record "
            f"--model {source} first (--force ships it without)"
        )
    if base is not None:
        manifest["base_model"] = base_description(base)
    target.mkdir(parents=True, exist_ok=True)
    for name in (INT8_GRAPH, TOKENIZER_NAME):
        shutil.copy(source / name, target / name)
    manifest["earlier_recipes"] = earlier
    manifest["sha256"] = model_file_hashes(target)
    manifest["shipped"] = "int8 graph only; the fp32 graph is rebuilt by training again"
    (target / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="a training run's model folder")
    default = Path(__file__).resolve().parents[1] / "models" / FAST_BUILT_IN
    parser.add_argument("--target", type=Path, default=default)
    parser.add_argument("--base", help="rewrite the base model from this encoder name or folder")
    parser.add_argument("--tier", help="Fast or Accurate (default: the replaced model's)")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    base = None
    if args.base:
        base = Path(args.base) if Path(args.base).is_dir() else encoder_folder(args.base)
    print(f"shipped {ship(args.source, args.target, base, args.force, args.tier)}")
