"""Index files into a library: extract, tokenise and window them in a process pool.

The parent process is the library's only writer here: it hands files to the
workers (one per core), writes each result in its own transaction as it comes
back, and reports progress. A file that cannot be read is recorded as failed
with its reason and the rest go on. Cancelling stops handing out files; what
was written stays, and the next ``sync`` goes on from there. Extraction keeps
the document cache filled, so reading a library later needs no PDF parsing.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.chunking import QATokenizer, tokenize_document
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.document import open_pdf
from desktop_qa.core.errors import CancelledError, DesktopQAError
from desktop_qa.core.library import (
    DUPLICATE,
    FAILED,
    Extracted,
    Library,
    pdfs_under,
)
from desktop_qa.core.model import ModelInfo, file_sha256
from desktop_qa.core.retrieval import document_windows

log = logging.getLogger(__name__)

#: Called with (files done, files to do).
IndexProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class WindowSpec:
    """How documents are cut into windows: the model's tokenizer and the window settings."""

    tokenizer_path: Path
    settings: ReaderSettings
    cache_root: Path | None = None

    @classmethod
    def of(cls, model: ModelInfo, settings: ReaderSettings) -> WindowSpec:
        """How ``model`` reads with ``settings`` (capped by its own window, as it reads)."""
        from desktop_qa.core.assistant import settings_for

        return cls(model.tokenizer_path, settings_for(model, settings))

    def key(self) -> str:
        """What the windows depend on, as one string (a library records it)."""
        digest = file_sha256(self.tokenizer_path)[:16]
        s = self.settings
        return f"{digest}/{s.max_seq_len}/{s.max_question_tokens}/{s.stride}"


@dataclass
class IndexReport:
    """What one ``add`` or ``sync`` did."""

    indexed: int = 0
    failed: int = 0
    duplicates: int = 0
    moved: int = 0
    removed: int = 0
    unchanged: int = 0
    pages: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {**self.__dict__, "seconds": round(self.seconds, 2)}

    def count(self, found: Extracted, status: str) -> None:
        """Add a file written with this status."""
        if status == FAILED:
            self.failed += 1
            self.failures.append(f"{found.path}: {found.failure}")
        elif status == DUPLICATE:
            self.duplicates += 1
        else:
            self.indexed += 1
            self.pages += found.pages or 0


def add(
    library: Library,
    paths: Iterable[Path],
    spec: WindowSpec,
    progress: IndexProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
    workers: int | None = None,
) -> IndexReport:
    """Add files and folders (recursively) and index what is new or changed."""
    paths = [p.expanduser().absolute() for p in paths]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise DesktopQAError(f"{missing[0]}: no such file or folder")
    library.add_roots(p for p in paths if p.is_dir())
    return _bring_up_to_date(library, list(pdfs_under(paths)), spec, progress, cancelled, workers)


def sync(
    library: Library,
    spec: WindowSpec,
    progress: IndexProgress | None = None,
    cancelled: Callable[[], bool] | None = None,
    workers: int | None = None,
) -> IndexReport:
    """Pick up new, changed, moved and deleted files under the library's folders and files."""
    known = list(library.known())
    found = list(pdfs_under(library.roots()))
    files = list(dict.fromkeys([*found, *(p for p in known if p.exists())]))
    return _bring_up_to_date(library, files, spec, progress, cancelled, workers, sweep=True)


def _bring_up_to_date(
    library: Library,
    files: list[Path],
    spec: WindowSpec,
    progress: IndexProgress | None,
    cancelled: Callable[[], bool] | None,
    workers: int | None,
    sweep: bool = False,
) -> IndexReport:
    began = time.perf_counter()
    todo, report = plan(library, files, spec, sweep)
    for found in _extract_all(todo, spec, progress, cancelled, workers):
        report.count(found, library.write(found))
    report.seconds = time.perf_counter() - began
    return report


#: A file to index: its path, size and mtime when it was looked at.
Todo = tuple[Path, int, int]


def plan(
    library: Library, files: list[Path], spec: WindowSpec, sweep: bool = False
) -> tuple[list[Todo], IndexReport]:
    """The files that need indexing, in path order; unchanged ones are counted, moved
    ones moved, and with ``sweep`` the documents whose files are gone removed."""
    files = sorted(set(files))  # one order for every build of the same files
    report = IndexReport()
    key = spec.key()
    if library.windows_key() not in (None, key):
        log.warning("library %s was indexed with other windows; indexing it anew", library.name)
        known: dict[Path, tuple[int, int, str]] = {}
        sweep = True
    else:
        known = library.known()
    library.set_windows_key(key)
    todo: list[Todo] = []
    for path in files:
        size, mtime_ns = _stat(path)
        if path in known and known[path][:2] == (size, mtime_ns):
            report.unchanged += 1
        else:
            todo.append((path, size, mtime_ns))
    if sweep:
        gone = [p for p in library.known() if not p.exists()]
        todo = _take_moves(library, gone, todo, report)
        report.removed += library.remove(gone)
    return todo, report


def _take_moves(
    library: Library, gone: list[Path], todo: list[Todo], report: IndexReport
) -> list[Todo]:
    """Files that are documents found gone, by their bytes: move those instead of indexing."""
    if not gone:
        return todo
    by_sha = {d.sha256: d.path for d in library.documents() if d.path in gone and d.sha256}
    left = []
    for path, size, mtime_ns in todo:
        old = by_sha.pop(_sha256_or_none(path) or "", None) if by_sha else None
        if old is None:
            left.append((path, size, mtime_ns))
        else:
            library.moved(old, path, size, mtime_ns)
            report.moved += 1
            gone.remove(old)
    return left


def _stat(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except OSError:
        return -1, -1
    return info.st_size, info.st_mtime_ns


def _sha256_or_none(path: Path) -> str | None:
    try:
        return file_sha256(path)
    except OSError:
        return None


def _extract_all(
    todo: list[Todo],
    spec: WindowSpec,
    progress: IndexProgress | None,
    cancelled: Callable[[], bool] | None,
    workers: int | None,
) -> Iterable[Extracted]:
    """Each file's extraction in the files' order: in this process for one file, else
    from a pool."""
    total = len(todo)
    if progress is not None:
        progress(0, total)
    workers = min(workers or os.cpu_count() or 1, total)
    if workers <= 1:
        start_worker(spec)
        for done, (path, size, mtime_ns) in enumerate(todo, 1):
            if cancelled is not None and cancelled():
                raise CancelledError("indexing cancelled")
            yield extract(path, size, mtime_ns)
            if progress is not None:
                progress(done, total)
        return
    context = multiprocessing.get_context("spawn")  # never fork a process that may run Qt
    with ProcessPoolExecutor(workers, context, start_worker, (spec,)) as pool:
        waiting = deque(todo)
        running: deque[Future[Extracted]] = deque()
        done = 0
        try:
            while waiting or running:
                while waiting and len(running) < 2 * workers:  # a short queue: cancel is quick
                    running.append(pool.submit(extract, *waiting.popleft()))
                yield running.popleft().result()  # in the files' order: the same ids each build
                done += 1
                if progress is not None:
                    progress(done, total)
                if cancelled is not None and cancelled():
                    raise CancelledError("indexing cancelled")
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


_worker: tuple[QATokenizer, str, WindowSpec] | None = None


def start_worker(spec: WindowSpec) -> None:
    global _worker
    _worker = (QATokenizer.from_file(spec.tokenizer_path), file_sha256(spec.tokenizer_path), spec)


def extract(path: Path, size: int, mtime_ns: int) -> Extracted:
    """Open, tokenise and window one file (in a worker); failures are results too."""
    assert _worker is not None, "extract runs in a started worker"
    tokenizer, tokenizer_key, spec = _worker
    cache = DocumentCache(spec.cache_root)
    try:
        document = open_pdf(path, cache=cache, budget_s=spec.settings.open_budget_s)
        tokens = cache.load_tokens(document.sha256, tokenizer_key)
        if tokens is None:
            tokens = tokenize_document(tokenizer, document.text)
            cache.store_tokens(document.sha256, tokenizer_key, tokens)
        windows = document_windows(tokens, tokenizer.template, spec.settings)
        spans = tuple(
            (w.token_start, w.token_end,
             int(tokens.offsets[w.token_start, 0]), int(tokens.offsets[w.token_end - 1, 1]))
            for w in windows
        )  # fmt: skip
        return Extracted(
            path, size, mtime_ns, document.sha256, document.title, len(document.pages),
            document.text, spans,
        )  # fmt: skip
    except DesktopQAError as exc:
        reason = str(exc).removeprefix(f"{path}: ")
        return Extracted(path, size, mtime_ns, _sha256_or_none(path), failure=reason)
    except Exception as exc:  # a PDF that trips the parser must not stop the rest
        log.exception("unexpected failure indexing %s", path)
        return Extracted(
            path, size, mtime_ns, _sha256_or_none(path), failure=f"unexpected error: {exc!r}"
        )
