"""Install curated models: download from the Hugging Face Hub, then import.

Files come from the hub's plain ``{endpoint}/{repo}/resolve/{revision}/{file}``
URLs (``HF_ENDPOINT`` or ``--endpoint`` points elsewhere, e.g. a mirror).
Each file downloads into ``<name>.partial`` and resumes from where it stopped
with an HTTP range request; it is checked against its size and sha256 (where
the catalogue knows them) and only then renamed into place. The finished
download is imported like any local checkpoint (ONNX export, int8, verify),
so a half-downloaded model is never used.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_qa.core.config import installed_models_dir
from desktop_qa.core.errors import BrokenModelError, ModelNotFoundError, NetworkError
from desktop_qa.core.model import SHIPPED_MODELS_DIR, file_sha256

CATALOGUE_NAME = "known_models.json"
DEFAULT_ENDPOINT = "https://huggingface.co"
CHUNK = 1 << 20
TIMEOUT_S = 30

#: Called with (file name, bytes done, bytes expected or None).
DownloadProgress = Callable[[str, int, int | None], None]


@dataclass(frozen=True)
class RemoteFile:
    name: str
    sha256: str | None


@dataclass(frozen=True)
class KnownModel:
    """One curated model of ``models/known_models.json``."""

    name: str
    repo: str | None
    revision: str | None
    files: tuple[RemoteFile, ...]
    no_answer: bool
    facts: dict[str, Any]


def known_models(catalogue: Path = SHIPPED_MODELS_DIR / CATALOGUE_NAME) -> dict[str, KnownModel]:
    """The curated models, by name."""
    entries = json.loads(catalogue.read_text(encoding="utf-8"))["models"]
    return {
        entry["name"]: KnownModel(
            name=entry["name"],
            repo=entry.get("repo"),
            revision=entry.get("revision"),
            files=tuple(RemoteFile(f["name"], f.get("sha256")) for f in entry.get("files", [])),
            no_answer=bool(entry.get("no_answer", False)),
            facts=entry,
        )
        for entry in entries
    }


def install_model(
    model: KnownModel, endpoint: str | None = None, progress: DownloadProgress | None = None
) -> Path:
    """Download a curated model's files and import them as an installed model."""
    from desktop_qa.core.convert import import_model

    if model.repo is None:
        raise ModelNotFoundError(f"{model.name} comes with desktop-qa; there is nothing to install")
    base = (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")
    downloads = installed_models_dir() / ".downloads" / model.name
    downloads.mkdir(parents=True, exist_ok=True)
    for remote in model.files:
        url = f"{base}/{model.repo}/resolve/{model.revision or 'main'}/{remote.name}"
        download_file(url, downloads / remote.name, remote.sha256, progress)
    target = import_model(downloads, name=model.name, no_answer=model.no_answer)
    shutil.rmtree(downloads)
    return target


def download_file(
    url: str, destination: Path, sha256: str | None, progress: DownloadProgress | None = None
) -> Path:
    """Download ``url`` to ``destination``, resuming a partial file; check, then rename."""
    if destination.is_file():
        return destination
    partial = destination.with_name(destination.name + ".partial")
    done = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={done}-"} if done else {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            resumed = response.status == 206
            expected = _expected_size(response, done if resumed else 0)
            with partial.open("ab" if resumed else "wb") as out:
                done = done if resumed else 0
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(destination.name, done, expected)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and done:  # the partial file is complete already
            expected = done
        else:
            raise NetworkError(f"{url}: the server answered {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError) as exc:
        reason = getattr(exc, "reason", exc)
        raise NetworkError(
            f"cannot download {url} ({reason}); what was received is kept and the next "
            "install resumes it. Without network, install a model from a folder instead: "
            "desktop-qa model import DIR"
        ) from exc
    if expected is not None and done != expected:
        raise NetworkError(f"{url}: the transfer stopped at {done} of {expected} bytes; try again")
    if sha256 is not None and file_sha256(partial) != sha256:
        partial.unlink()
        raise BrokenModelError(f"{url}: the downloaded file fails its sha256 check")
    partial.replace(destination)
    return destination


def _expected_size(response: Any, already: int) -> int | None:
    length = response.headers.get("Content-Length")
    return already + int(length) if length is not None else None
