"""Copy a trained model into models/ as the built-in default (int8 graph only).

    python scripts/ship_model.py runs/minilm/model [models/desktop-qa-minilm-squad]

The int8 graph, the tokenizer and the manifest are copied; the fp32 graph is
left out to keep the repository small (the reader runs int8 on every provider
when it is the only graph). The manifest's sha256 list is rewritten to the
shipped files and says what was left out.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from desktop_qa.core.convert import model_file_hashes
from desktop_qa.core.model import INT8_GRAPH, MANIFEST_NAME, SHIPPED_DEFAULT, TOKENIZER_NAME


def ship(source: Path, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for name in (INT8_GRAPH, TOKENIZER_NAME):
        shutil.copy(source / name, target / name)
    manifest = json.loads((source / MANIFEST_NAME).read_text(encoding="utf-8"))
    manifest["sha256"] = model_file_hashes(target)
    manifest["shipped"] = "int8 graph only; the fp32 graph is rebuilt by training again"
    (target / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return target


if __name__ == "__main__":
    default = Path(__file__).resolve().parents[1] / "models" / SHIPPED_DEFAULT
    out = ship(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else default)
    print(f"shipped {out}")
