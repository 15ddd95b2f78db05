"""Install curated models from the Hugging Face Hub, through ``huggingface_hub``.

Each of a catalogue model's files is fetched with ``hf_hub_download`` into the
user's hub cache, the one transformers, sentence-transformers and the ``hf``
command share: a file another tool downloaded already is not downloaded
again. The library brings the rest: ``HF_TOKEN`` (or ``hf auth login``) for
gated and private models, ``HF_HUB_OFFLINE=1`` to use only the cache,
``HF_ENDPOINT`` (or ``--endpoint``) for a mirror, a dropped transfer resumed
where it stopped, and revisions pinned by the catalogue (or ``--revision``).
Every file is checked against the catalogue's sha256 where it knows one (a
failing file is removed from the cache), then the files are imported like any
local checkpoint (ONNX export, int8, verify) in a staging folder that is moved
into place only when it passes, so a half-downloaded model is never used.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop_qa.core.config import installed_models_dir
from desktop_qa.core.errors import BrokenModelError, ModelNotFoundError, NetworkError
from desktop_qa.core.model import SHIPPED_MODELS_DIR, file_sha256

CATALOGUE_NAME = "known_models.json"
DEFAULT_REVISION = "main"

#: Called with (file name, bytes done, bytes expected or None).
DownloadProgress = Callable[[str, int, int | None], None]

OFFLINE_HINT = "Without network, install a model from a folder instead: desktop-qa model import DIR"


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
    model: KnownModel,
    endpoint: str | None = None,
    progress: DownloadProgress | None = None,
    revision: str | None = None,
) -> Path:
    """Fetch a curated model's files through the hub cache and import them.

    ``revision`` (a branch, tag or commit) overrides the catalogue's pin.
    """
    from desktop_qa.core.convert import import_model

    if model.repo is None:
        raise ModelNotFoundError(f"{model.name} comes with desktop-qa; there is nothing to install")
    revision = revision or model.revision or DEFAULT_REVISION
    fetched = {
        remote.name: fetch_file(model.repo, remote, revision, endpoint, progress)
        for remote in model.files
    }
    origin = {"hub": {"repo": model.repo, "revision": revision, "commit": _commit_of(fetched)}}
    with _files_together(model.name, fetched) as folder:
        return import_model(folder, name=model.name, no_answer=model.no_answer, origin=origin)


def fetch_file(
    repo: str,
    remote: RemoteFile,
    revision: str,
    endpoint: str | None = None,
    progress: DownloadProgress | None = None,
) -> Path:
    """One file of a hub repository, from the cache or downloaded into it, sha256-checked."""
    from huggingface_hub import hf_hub_download

    where = f"{repo}/{remote.name} at {revision}"
    try:
        path = Path(
            hf_hub_download(
                repo,
                remote.name,
                revision=revision,
                endpoint=endpoint,
                tqdm_class=_progress_bar(remote.name, progress) if progress else None,
            )
        )
    except Exception as exc:  # huggingface_hub's and httpx2's errors, told in the user's terms
        explained = _explained(exc, where, endpoint)
        if explained is None:
            raise
        raise explained from exc
    if remote.sha256 is not None and file_sha256(path) != remote.sha256:
        _drop_from_cache(path)
        raise BrokenModelError(
            f"{where}: the downloaded file fails its sha256 check; it was removed from the hub "
            "cache, so the next install downloads it again"
        )
    return path


def _explained(exc: Exception, where: str, endpoint: str | None) -> Exception | None:
    """A desktop-qa error saying what went wrong with a hub download and what to do
    (None for an exception that is not about the download: a bug)."""
    import httpx2
    from huggingface_hub import constants
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        LocalEntryNotFoundError,
        RemoteEntryNotFoundError,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    hub = endpoint or constants.ENDPOINT
    if isinstance(exc, GatedRepoError):
        return NetworkError(
            f"{where}: the model is gated; accept its terms on {hub}, then set HF_TOKEN "
            "(or run 'hf auth login') and install again"
        )
    if isinstance(exc, RepositoryNotFoundError):
        return ModelNotFoundError(
            f"{where}: {hub} has no such repository, or it is private (set HF_TOKEN to a "
            "token that may read it)"
        )
    if isinstance(exc, RevisionNotFoundError):
        return ModelNotFoundError(f"{where}: the repository has no such revision")
    if isinstance(exc, RemoteEntryNotFoundError):
        return ModelNotFoundError(f"{where}: the repository has no such file (404)")
    if isinstance(exc, LocalEntryNotFoundError):
        if constants.is_offline_mode():
            return NetworkError(
                f"{where}: HF_HUB_OFFLINE is set and the file is not in the hub cache "
                f"({constants.HF_HUB_CACHE}). {OFFLINE_HINT}"
            )
        return NetworkError(
            f"cannot reach {hub} for {where} and the file is not cached. {OFFLINE_HINT}"
        )
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "an error"
        return NetworkError(f"{where}: {hub} answered {status}; try again later")
    if isinstance(exc, httpx2.TransportError):
        return NetworkError(f"{where}: the connection to {hub} failed ({exc}); try again")
    if isinstance(exc, OSError):
        return NetworkError(f"{where}: the download failed ({exc}); try again")
    return None


def _progress_bar(name: str, progress: DownloadProgress) -> type:
    """A tqdm stand-in that reports one file's bytes to ``progress``."""

    class FileProgress:
        def __init__(self, *, total: int | None = None, initial: int = 0, **_: Any) -> None:
            self.total, self.n = total, initial
            progress(name, initial, total)

        def update(self, n: int = 1) -> None:
            self.n += n
            progress(name, self.n, self.total)

        def close(self) -> None:
            pass

        def __enter__(self) -> FileProgress:
            return self

        def __exit__(self, *_: object) -> None:
            pass

    return FileProgress


def _commit_of(fetched: dict[str, Path]) -> str | None:
    """The commit the files were resolved at (their snapshot folder's name)."""
    folders = {path.parent.name for path in fetched.values()}
    return folders.pop() if len(folders) == 1 else None


@contextmanager
def _files_together(name: str, fetched: dict[str, Path]) -> Iterator[Path]:
    """A temporary folder holding exactly the catalogue's files (links into the cache)."""
    root = installed_models_dir()
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f".fetched-{name}-", dir=root))
    try:
        for file_name, path in fetched.items():
            try:
                (folder / file_name).symlink_to(path.resolve())
            except OSError:  # no symlinks here (Windows without developer mode)
                shutil.copy(path, folder / file_name)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _drop_from_cache(path: Path) -> None:
    blob = path.resolve()
    path.unlink(missing_ok=True)
    blob.unlink(missing_ok=True)
