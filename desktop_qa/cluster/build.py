"""Build a library on a Ray cluster: tasks write index shards, the driver merges them.

The files to index are planned as ``library add`` plans them (unchanged files are
skipped), cut into shards of consecutive files, and each shard is one Ray task
(one CPU): it extracts, tokenises and windows its files with the core's own
``extract`` and writes them into a shard, a library database of its own, whose
bytes come back through Ray's object store. The driver merges the shards in
order into the library, one document per transaction, so the result is the
library ``library add`` builds from the same files. Every node must see the
files, and the data folder's document cache, at the same paths (a shared file
system), and have desktop-qa installed.
"""

from __future__ import annotations

import tempfile
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from desktop_qa.cluster.connect import connect
from desktop_qa.core.cache import DocumentCache
from desktop_qa.core.indexing import IndexProgress, IndexReport, Todo, WindowSpec, plan
from desktop_qa.core.library import Library, pdfs_under

SHARD_FILES = 32


def build(
    library: Library,
    paths: Iterable[Path],
    spec: WindowSpec,
    address: str,
    shard_files: int = SHARD_FILES,
    progress: IndexProgress | None = None,
) -> IndexReport:
    """Index ``paths`` (files and folders) into ``library`` with Ray tasks at ``address``."""
    began = time.perf_counter()
    ray = connect(address)
    paths = [p.expanduser().absolute() for p in paths]
    library.add_roots(p for p in paths if p.is_dir())
    todo, report = plan(library, list(pdfs_under(paths)), spec)
    spec = replace(spec, cache_root=spec.cache_root or DocumentCache().root)  # the driver's
    shards = [todo[i : i + shard_files] for i in range(0, len(todo), shard_files)]
    task = ray.remote(num_cpus=1)(build_shard)
    pending = deque(task.remote(shard, spec) for shard in shards)
    done = 0
    if progress is not None:
        progress(0, len(todo))
    with tempfile.TemporaryDirectory(prefix="desktop-qa-shards-") as folder:
        for number, files in enumerate(shards):
            shard = Path(folder) / f"shard{number}.sqlite3"
            shard.write_bytes(ray.get(pending.popleft()))  # in order: the same ids as locally
            for found, status in library.merge(shard):
                report.count(found, status)
            shard.unlink()
            done += len(files)
            if progress is not None:
                progress(done, len(todo))
    report.seconds = time.perf_counter() - began
    return report


def build_shard(todo: list[Todo], spec: WindowSpec) -> bytes:
    """One task: index some files into a new shard database; returns its bytes."""
    from desktop_qa.core.indexing import extract, start_worker

    start_worker(spec)
    with tempfile.TemporaryDirectory(prefix="desktop-qa-shard-") as folder:
        with Library("shard", Path(folder)) as shard:
            shard.set_windows_key(spec.key())
            for item in todo:
                shard.write(extract(*item))
        return (Path(folder) / "shard.sqlite3").read_bytes()
