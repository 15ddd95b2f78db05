"""The ``desktop-qa library`` commands: saved libraries and their persistent index."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.errors import InputError
from desktop_qa.terminal_progress import counted_progress

if TYPE_CHECKING:
    from desktop_qa.core.indexing import IndexReport, WindowSpec
    from desktop_qa.core.library import Library

DEFAULT = "main"


def add_library_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    library = commands.add_parser("library", help="saved libraries of PDFs with a lasting index")
    actions = library.add_subparsers(dest="library_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add PDFs and folders (recursively) and index them")
    add.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    _common(add, json_option=True)
    add.add_argument("--workers", type=int, metavar="N", help="processes (default: one a core)")
    add.set_defaults(handler=run_library_add)

    listing = actions.add_parser("list", help="the documents of a library and their state")
    _common(listing, json_option=True, model=False)
    listing.set_defaults(handler=run_library_list)

    remove = actions.add_parser("remove", help="forget documents or folders (files stay)")
    remove.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    remove.add_argument("--all", action="store_true", help="every document of the library")
    _common(remove, model=False)
    remove.set_defaults(handler=run_library_remove)

    sync = actions.add_parser(
        "sync", help="pick up new, changed, moved and deleted files of the library's folders"
    )
    _common(sync, json_option=True)
    sync.add_argument("--workers", type=int, metavar="N", help="processes (default: one a core)")
    sync.set_defaults(handler=run_library_sync)

    build = actions.add_parser(
        "build", help="index PDFs and folders with Ray tasks across a cluster ([cluster] extra)"
    )
    build.add_argument("paths", nargs="+", type=Path, metavar="DIR")
    _common(build, json_option=True)
    build.add_argument(
        "--ray", required=True, metavar="ADDRESS",
        help="the Ray cluster (host:port, or 'local' to start Ray on this machine)",
    )  # fmt: skip
    build.add_argument(
        "--shard-files", type=int, default=32, metavar="N",
        help="files per Ray task and index shard (default %(default)s)",
    )  # fmt: skip
    build.set_defaults(handler=run_library_build)

    names = actions.add_parser("libraries", help="the saved libraries")
    names.add_argument("--json", action="store_true", help="print one JSON object")
    names.set_defaults(handler=run_library_libraries)


def _common(parser: argparse.ArgumentParser, json_option: bool = False, model: bool = True) -> None:
    parser.add_argument(
        "--library", default=DEFAULT, metavar="NAME", help="library name (default %(default)s)"
    )
    if json_option:
        parser.add_argument("--json", action="store_true", help="print one JSON object")
    if model:
        parser.add_argument(
            "--model", type=Path, metavar="DIR", help="model whose tokenizer cuts the windows"
        )
        parser.add_argument(
            "--stride", type=int, default=ReaderSettings().stride, metavar="N",
            help="tokens two consecutive windows share (default %(default)s)",
        )  # fmt: skip


def window_spec(model_arg: Path | None, stride: int) -> WindowSpec:
    """How the chosen model cuts documents into windows (as ``ask`` will read them)."""
    from desktop_qa.core.indexing import WindowSpec
    from desktop_qa.core.model import resolve_model

    return WindowSpec.of(resolve_model(model_arg), ReaderSettings(stride=stride))


def run_library_add(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.indexing import add
    from desktop_qa.core.library import Library

    spec = window_spec(args.model, args.stride)
    with Library(args.library) as library:
        report = _indexing(lambda p: add(library, args.paths, spec, p, workers=args.workers))
        return _report(library, report, args.json, out)


def run_library_sync(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.indexing import sync
    from desktop_qa.core.library import Library

    spec = window_spec(args.model, args.stride)
    with Library.existing(args.library) as library:
        report = _indexing(lambda p: sync(library, spec, p, workers=args.workers))
        return _report(library, report, args.json, out)


def run_library_build(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.cluster.build import build
    from desktop_qa.core.library import Library

    spec = window_spec(args.model, args.stride)
    with Library(args.library) as library:
        report = _indexing(
            lambda p: build(library, args.paths, spec, args.ray, args.shard_files, p)
        )
        return _report(library, report, args.json, out)


def _indexing(work: Callable[[Callable[[int, int], None]], IndexReport]) -> IndexReport:
    """Run indexing with progress on stderr; Ctrl+C keeps what is written."""
    from desktop_qa.core.errors import CancelledError

    try:
        report = work(counted_progress("files", lead="indexed "))
    except KeyboardInterrupt as exc:
        raise CancelledError(
            "stopped; the documents indexed so far are kept: run 'desktop-qa library sync' to go on"
        ) from exc
    return report


def _report(library: Library, report: IndexReport, as_json: bool, out: TextIO) -> int:
    if as_json:
        out.write(json.dumps({"library": library.name, **report.to_json()}, indent=2) + "\n")
        return 0
    rate = f", {report.pages / report.seconds:.0f} pages/s" if report.pages else ""
    out.write(
        f"library {library.name}: {report.indexed} indexed ({report.pages} pages{rate}), "
        f"{report.unchanged} unchanged, {report.moved} moved, {report.removed} removed, "
        f"{report.duplicates} duplicates, {report.failed} failed\n"
    )
    for failure in report.failures:
        out.write(f"  failed: {failure}\n")
    return 0


def run_library_list(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.library import Library

    with Library.existing(args.library) as library:
        documents = library.documents()
        if args.json:
            payload = {"library": library.name, "documents": [d.to_json() for d in documents]}
            out.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
            return 0
        for d in documents:
            pages = f", {d.pages} pages" if d.pages else ""
            why = f": {d.reason}" if d.reason else ""
            out.write(f"{d.title or d.path.name}{pages} [{d.status}{why}]\n  {d.path}\n")
        out.write(f"{len(documents)} documents in library {library.name}\n")
    return 0


def run_library_remove(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.library import Library

    if args.all == bool(args.paths):
        raise InputError("give the PATHs to remove, or --all (not both)")
    with Library.existing(args.library) as library:
        removed = library.remove_all() if args.all else library.remove(args.paths)
    out.write(f"removed {removed} documents from library {args.library} (the files stay)\n")
    return 0


def run_library_libraries(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.library import INDEXED, Library, library_names

    rows: list[dict[str, Any]] = []
    for name in library_names():
        with Library(name) as library:
            indexed = library.documents(INDEXED)
            rows.append({
                "name": name, "documents": len(library.documents()),
                "indexed": len(indexed), "pages": sum(d.pages or 0 for d in indexed),
                "bytes": library.size_on_disk(), "path": str(library.path),
            })  # fmt: skip
    if args.json:
        out.write(json.dumps({"libraries": rows}, indent=2) + "\n")
        return 0
    if not rows:
        out.write("no libraries yet; make one with: desktop-qa library add PATH...\n")
    for row in rows:
        out.write(
            f"{row['name']}: {row['indexed']} of {row['documents']} documents indexed, "
            f"{row['pages']} pages, {int(row['bytes']) / 1e6:.1f} MB\n"
        )
    return 0
