"""Helpers the command modules share: confirm on the terminal, write a JSON file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from desktop_qa.core.errors import InputError, OutputError


def confirm(prompt: str, yes: bool) -> None:
    """Ask on the terminal unless --yes; without a terminal, refuse."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(f"{prompt.rstrip('?')}: add --yes to confirm (no terminal to ask)")
    if input(f"{prompt} [y/N] ").strip().lower() not in ("y", "yes"):
        raise InputError("nothing was changed")


def write_json(path: Path, payload: object) -> None:
    """Write ``payload`` as indented UTF-8 JSON, or say why it cannot be written."""
    try:
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
