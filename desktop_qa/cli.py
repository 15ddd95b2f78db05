"""The desktop-qa command line: a thin front end over ``desktop_qa.core``.

Heavy modules (onnxruntime, pymupdf, tokenizers, numpy) are imported inside
the commands, so ``desktop-qa --help`` stays instant.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop_qa import __version__
from desktop_qa.cli_support import confirm, write_json
from desktop_qa.core.config import (
    PROVIDER_CHOICES,
    ReaderSettings,
)
from desktop_qa.core.errors import (
    CancelledError,
    DatasetError,
    DesktopQAError,
    DocumentNotFoundError,
    InputError,
)
from desktop_qa.library_cli import add_library_commands
from desktop_qa.model_cli import add_model_commands
from desktop_qa.terminal_progress import counted_progress

if TYPE_CHECKING:
    from desktop_qa.core.assistant import Assistant, LibraryResult, OpenDocument
    from desktop_qa.core.batch import BatchCsv
    from desktop_qa.core.document import Document
    from desktop_qa.core.history import HistoryStore
    from desktop_qa.core.library import Library
    from desktop_qa.core.reader import Answer, ReadResult

PROG = "desktop-qa"
STAND_IN_NOTICE = (
    "note: {name} is a random-weight stand-in model for tests and benchmarks; "
    "its answers are meaningless"
)

log = logging.getLogger(PROG)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Ask questions about PDFs with a local extractive QA model.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the desktop app (the default with no command)")
    gui.add_argument("file", nargs="?", type=Path, metavar="FILE.pdf", help="a PDF to open")
    gui.add_argument("--model", type=Path, metavar="DIR", help="model folder or installed name")
    gui.set_defaults(handler=run_gui)

    ask = commands.add_parser("ask", help="answer questions about a PDF")
    ask.add_argument(
        "items", nargs="*", metavar="FILE.pdf ... QUESTION",
        help="the PDFs to read, then the question (without QUESTION when --questions is given)",
    )  # fmt: skip
    ask.add_argument(
        "--library", metavar="NAME|DIR",
        help="a saved library (see 'desktop-qa library'), or a folder: every PDF under it "
        "is read too; answers from all documents are ranked together",
    )  # fmt: skip
    ask.add_argument(
        "--questions",
        type=Path,
        metavar="FILE",
        help="answer every line of FILE (one question a line) and print JSON Lines",
    )
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument(
        "--csv", type=Path, metavar="OUT",
        help="write one row per question and answer to OUT (question, answer, confidence, "
        "document, page, snippet); a run again skips the questions OUT answers already",
    )  # fmt: skip
    ask.add_argument(
        "--ray", metavar="ADDRESS",
        help="with a saved --library and --questions: read with a pool of reader actors "
        "on this Ray cluster (host:port, or 'local'; [cluster] extra); not recorded in "
        "the history",
    )  # fmt: skip
    ask.add_argument(
        "--readers", type=int, metavar="N", help="reader actors (default: one per cluster CPU)"
    )
    ask.add_argument("--password", help="password of an encrypted PDF")
    ask.add_argument("--no-history", action="store_true", help="do not record to the history")
    _add_reader_options(ask)
    ask.set_defaults(handler=run_ask)

    history = commands.add_parser("history", help="list, search or delete past questions")
    _add_selection_options(history)
    history.add_argument("--limit", type=int, metavar="N", help="at most N questions")
    history.add_argument("--json", action="store_true", help="print one JSON object")
    history.set_defaults(handler=run_history)
    history_commands = history.add_subparsers(dest="history_command", metavar="ACTION")
    delete = history_commands.add_parser("delete", help="delete past questions")
    delete.add_argument("id", nargs="?", type=int, metavar="ID", help="one question's id")
    delete.add_argument("--document", type=Path, metavar="FILE", help="all of one document's")
    delete.add_argument("--all", action="store_true", help="the whole history")
    delete.add_argument("--yes", action="store_true", help="do not ask")
    delete.set_defaults(handler=run_history_delete)

    mark = history_commands.add_parser("mark", help="mark an answer correct or wrong")
    mark.add_argument("answer_id", type=int, metavar="ANSWER_ID", help="from history --json")
    mark.add_argument("verdict", choices=("correct", "wrong", "clear"))
    mark.set_defaults(handler=run_history_mark)

    add_library_commands(commands)

    export = commands.add_parser("export", help="export past questions and answers")
    _add_selection_options(export)
    export.add_argument("--format", required=True, choices=("csv", "json", "md", "pdf"))
    export.add_argument("-o", "--output", required=True, type=Path, metavar="OUT")
    export.set_defaults(handler=run_export)

    squad = commands.add_parser(
        "eval-squad", help="run the reader over a SQuAD-format file and print EM/F1"
    )
    squad.add_argument("dataset", type=Path, metavar="FILE.json", help="SQuAD v1.1/v2.0 file")
    squad.add_argument(
        "--predictions",
        type=Path,
        required=True,
        metavar="OUT.json",
        help="where to write predictions as {question id: answer}",
    )
    squad.add_argument(
        "--whole-articles",
        action="store_true",
        help="ask each question of its whole article (paragraphs joined into one document) "
        "instead of its own paragraph",
    )
    _add_reader_options(squad)
    squad.set_defaults(handler=run_eval_squad)

    add_model_commands(commands)
    return parser


def _add_selection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--document", type=Path, metavar="FILE",
        help="only this document's questions (found by content, even if moved or renamed)",
    )  # fmt: skip
    parser.add_argument(
        "--search", metavar="TEXT", help="full-text search in questions and answers"
    )
    parser.add_argument(
        "--library", metavar="NAME|DIR", help="only the questions asked of this library"
    )


def _add_reader_options(parser: argparse.ArgumentParser) -> None:
    defaults = ReaderSettings()
    parser.add_argument("--model", type=Path, metavar="DIR", help="model folder to use")
    parser.add_argument("--top-k", type=int, default=defaults.top_k, metavar="N")
    parser.add_argument("--provider", choices=PROVIDER_CHOICES, default=defaults.provider)
    parser.add_argument(
        "--stride",
        type=int,
        default=defaults.stride,
        metavar="N",
        help="tokens two consecutive windows share (default %(default)s)",
    )
    parser.add_argument(
        "--max-answer-tokens", type=int, default=defaults.max_answer_tokens, metavar="N"
    )
    parser.add_argument(
        "--no-answer-threshold",
        type=float,
        default=defaults.no_answer_threshold,
        metavar="X",
        help="say 'not found' when the best answer's confidence is below X (models with a "
        "calibration; default: the model's own fitted threshold), or, for an uncalibrated "
        "no-answer model, when its null score beats the best span by more than X (default 0)",
    )
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size, metavar="N")
    parser.add_argument(
        "--retrieval-k", type=int, default=defaults.retrieval_k, metavar="N",
        help="windows read per round, best BM25 matches first; more rounds follow while the "
        "answer is weak (default %(default)s; 0 reads every window)",
    )  # fmt: skip
    parser.add_argument(
        "--retrieval-weight", type=float, default=defaults.retrieval_weight, metavar="X",
        help="score bonus for answers from windows that match the question well, up to X "
        "for the best match (default %(default)s; 0: the model's scores alone)",
    )  # fmt: skip
    parser.add_argument(
        "--max-rounds", type=int, default=defaults.max_rounds, metavar="N",
        help="rounds of --retrieval-k windows read at most while the answer is unsure "
        "(default %(default)s; 0: until every window is read)",
    )  # fmt: skip
    parser.add_argument("--thorough", action="store_true", help="read every window of the document")
    parser.add_argument(
        "--threads", type=int, default=defaults.threads, metavar="N",
        help="CPU threads for the model (default: one per physical core)",
    )  # fmt: skip
    parser.add_argument(
        "--open-timeout", type=float, default=defaults.open_budget_s, metavar="SECONDS",
        help="give up on a document that takes longer to open (text and OCR; "
        "default %(default)s, 0: no limit)",
    )  # fmt: skip


def _settings(args: argparse.Namespace) -> ReaderSettings:
    return ReaderSettings(
        top_k=args.top_k,
        stride=args.stride,
        max_answer_tokens=args.max_answer_tokens,
        no_answer_threshold=args.no_answer_threshold,
        batch_size=args.batch_size,
        provider=args.provider,
        retrieval_k=args.retrieval_k,
        max_rounds=args.max_rounds,
        retrieval_weight=args.retrieval_weight,
        open_budget_s=args.open_timeout,
        threads=args.threads,
    )


def _assistant(args: argparse.Namespace) -> Assistant:
    from desktop_qa.core.assistant import Assistant
    from desktop_qa.core.model import resolve_model

    settings = _settings(args)
    model = resolve_model(args.model)
    if model.stand_in:
        log.warning(STAND_IN_NOTICE.format(name=model.name))
    return Assistant(model, settings)


def run_gui(args: argparse.Namespace, out: TextIO) -> int:
    import os

    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )  # fmt: skip
    if headless:
        raise DesktopQAError(
            "no screen to show the window on (no DISPLAY); use the commands "
            "(desktop-qa --help), or set QT_QPA_PLATFORM=offscreen"
        )
    from desktop_qa.gui.app import run

    return run(args.file, args.model)


def run_ask(args: argparse.Namespace, out: TextIO) -> int:
    if args.library is not None and not Path(args.library).is_dir():
        return _ask_saved_library(args, out)
    files, questions = _ask_inputs(args)
    assistant = _assistant(args)
    if len(files) > 1:
        return _ask_library(args, assistant, files, questions, out)
    from desktop_qa.core.batch import document_state

    opened = assistant.open(files[0], args.password)
    state = document_state(assistant.model, [opened.document.sha256])
    show_better = args.thorough and not args.json and sys.stderr.isatty()
    with _maybe_history(args) as history, _batch(args, state, questions) as (batch, todo):
        for question in todo:
            result = assistant.ask(
                opened, question, thorough=args.thorough,
                on_better=_print_best_so_far if show_better else None,
            )  # fmt: skip
            if batch is not None:
                pairs = [(opened.document, answer) for answer in result.answers]
                batch.write(question, pairs, result.no_answer)
            if args.json or (args.questions is not None and batch is None):
                payload = result_json(result, opened, assistant.provider)
                out.write(json.dumps(payload, ensure_ascii=False) + "\n")
            elif batch is None:
                out.write(format_result(result, opened, assistant.provider))
            out.flush()
            if history is not None:
                history.record(opened.document, result, *_model_facts(assistant))
    return 0


@contextmanager
def _batch(
    args: argparse.Namespace, state: str, questions: list[str]
) -> Iterator[tuple[BatchCsv | None, Iterator[str]]]:
    """With --csv: the batch CSV and the questions it lacks, with progress on stderr;
    Ctrl+C stops after the questions done, which stay in the CSV."""
    if args.csv is None:
        yield None, iter(questions)
        return
    from desktop_qa.core.batch import BatchCsv

    with BatchCsv(args.csv, state) as batch:
        todo = [q for q in questions if not batch.has(q)]
        skipped = len(questions) - len(todo)
        if skipped:
            print(f"{skipped} questions are answered in {args.csv} already; skipping them",
                  file=sys.stderr)  # fmt: skip
        progress = counted_progress("questions")

        def counted() -> Iterator[str]:
            for done, question in enumerate(todo, 1):
                yield question
                progress(done, len(todo))

        try:
            yield batch, counted()
        except KeyboardInterrupt as exc:
            raise CancelledError(
                f"stopped; the questions answered so far are in {args.csv}: run the same "
                "command again to answer the rest"
            ) from exc
    print(f"answered {len(todo)} questions into {args.csv}", file=sys.stderr)


def _print_best_so_far(answers: list[Answer]) -> None:
    best = answers[0]
    print(f"best so far: {best.text!r} (page {best.page})", file=sys.stderr, flush=True)


def _ask_inputs(args: argparse.Namespace) -> tuple[list[Path], list[str]]:
    """The PDFs and the questions an ``ask`` command line names."""
    items = list(args.items)
    if args.questions is not None:
        questions = _read_questions(args.questions)
    elif items:
        questions = [items.pop()]
    else:
        raise InputError("give a QUESTION after the PDFs, or --questions FILE")
    files = [Path(item) for item in items]
    if args.library is not None:
        files += sorted(p for p in Path(args.library).rglob("*") if p.suffix.lower() == ".pdf")
    if not files:
        raise InputError("give at least one PDF (or --library DIR with PDFs in it)")
    return files, questions


def _ask_library(
    args: argparse.Namespace, assistant: Assistant, files: list[Path], questions: list[str],
    out: TextIO,
) -> int:  # fmt: skip
    from desktop_qa.core.assistant import ask_library
    from desktop_qa.core.batch import document_state
    from desktop_qa.core.errors import DocumentError
    from desktop_qa.core.retrieval import WindowIndex

    documents = []
    for path in files:
        try:
            documents.append(assistant.open(path, args.password))
        except DocumentError as error:
            log.warning("skipping %s", error)
    if not documents:
        raise DocumentError("none of the PDFs can be read")
    index = WindowIndex([(o.document.text, o.tokens, o.windows) for o in documents])
    listed = {"documents": [_document_json(o.document) for o in documents]}
    key = _library_key(args.library) or f"{len(documents)} documents"
    state = document_state(assistant.model, [o.document.sha256 for o in documents])
    with _maybe_history(args) as history, _batch(args, state, questions) as (batch, todo):
        for question in todo:
            result = ask_library(assistant, documents, question, index)
            _write_library_result(result, listed, len(documents), args, assistant.provider, out)
            if batch is not None:
                pairs = [(item.document, item.answer) for item in result.answers]
                batch.write(question, pairs, result.no_answer)
            if history is not None:
                history.record_library(key, result, *_model_facts(assistant))
    return 0


def _ask_saved_library(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.assistant import ask_saved_library
    from desktop_qa.core.batch import library_state
    from desktop_qa.core.library import INDEXED, NAME, Library

    if not NAME.fullmatch(args.library):
        raise DocumentNotFoundError(f"{args.library}: no such folder or saved library")
    if args.items and args.questions is None and len(args.items) > 1:
        raise InputError("with a saved --library, give only the QUESTION (no PDFs)")
    questions = _read_questions(args.questions) if args.questions is not None else list(args.items)
    if not questions:
        raise InputError("give a QUESTION, or --questions FILE")
    with Library.existing(args.library) as library:
        indexed = len(library.documents(INDEXED))
        if not indexed:
            raise InputError(f"library {library.name} has no indexed documents yet")
        if args.ray is not None:
            return _ask_on_cluster(args, library, questions, out)
        assistant = _assistant(args)
        listed = {"library": library.name}
        state = library_state(assistant.model, library)
        with _maybe_history(args) as history, _batch(args, state, questions) as (batch, todo):
            for question in todo:
                result = ask_saved_library(assistant, library, question)
                _write_library_result(result, listed, indexed, args, assistant.provider, out)
                if batch is not None:
                    pairs = [(item.document, item.answer) for item in result.answers]
                    batch.write(question, pairs, result.no_answer)
                if history is not None:
                    history.record_library(library.name, result, *_model_facts(assistant))
    return 0


def _ask_on_cluster(
    args: argparse.Namespace, library: Library, questions: list[str], out: TextIO
) -> int:
    """A saved library's questions read by reader actors on a Ray cluster."""
    from desktop_qa.cluster.readers import ask_on_cluster
    from desktop_qa.core.assistant import settings_for
    from desktop_qa.core.batch import library_state
    from desktop_qa.core.model import resolve_model

    model = resolve_model(args.model)
    state = library_state(model, library)
    settings = settings_for(model, _settings(args))
    with _batch(args, state, questions) as (batch, todo):
        asked = [q for q in questions if batch is None or not batch.has(q)]
        answers = ask_on_cluster(
            model.path, settings, library.name, asked, args.ray, state, args.readers
        )
        for question, (payload, rows) in zip(todo, answers, strict=True):  # todo counts them
            if batch is not None:
                batch.write_rows(question, rows)
            if args.json or batch is None:
                out.write(json.dumps(payload, ensure_ascii=False) + "\n")
                out.flush()
    return 0


def _library_key(library: str | None) -> str | None:
    """How the history names a library: a saved one by its name, a folder by its path."""
    if library is None or not Path(library).is_dir():
        return library
    return str(Path(library).resolve())


@contextmanager
def _maybe_history(args: argparse.Namespace) -> Iterator[HistoryStore | None]:
    """The history to record to, or None with --no-history."""
    if args.no_history:
        yield None
        return
    with _history() as history:
        yield history


def _model_facts(assistant: Assistant) -> tuple[str, str, str]:
    return assistant.model.name, assistant.model.version, assistant.provider


def _write_library_result(
    result: LibraryResult, listed: dict[str, Any], count: int, args: argparse.Namespace,
    provider: str, out: TextIO,
) -> None:  # fmt: skip
    """Print a library answer as JSON (``ask --json``, ``--questions``) or as text
    (nothing when the answers go to ``--csv`` only)."""
    from desktop_qa.core.assistant import library_payload

    if args.csv is not None and not args.json:
        return
    if args.json or args.questions is not None:
        out.write(json.dumps(library_payload(result, listed, provider), ensure_ascii=False))
        out.write("\n")
        out.flush()
        return
    lines = [f"Q: {result.question}"]
    if result.no_answer:
        lines.append(
            "  Not found in these documents." + (" Best guesses:" if result.answers else "")
        )
    for rank, item in enumerate(result.answers, 1):
        lines.append(f"  {rank}. {item.answer.text}")
        lines.append(
            f"     {item.document.title}, page {item.answer.page}, {how_sure(item.answer)}"
        )
    lines.append(
        f"  ({count} documents, {result.windows} of {result.windows_total} "
        f"windows read, {provider}, {result.elapsed_ms:.0f} ms)"
    )
    out.write("\n".join(lines) + "\n")
    out.flush()


def _document_json(document: Document) -> dict[str, Any]:
    return {
        "path": str(document.path) if document.path else None,
        "sha256": document.sha256,
        "pages": document.page_count,
        "title": document.title,
    }


def _history() -> HistoryStore:
    from desktop_qa.core.history import HistoryStore

    return HistoryStore()


def _document_sha256(path: Path | None) -> str | None:
    from desktop_qa.core.errors import DocumentNotFoundError
    from desktop_qa.core.model import file_sha256

    if path is None:
        return None
    try:
        return file_sha256(path)
    except OSError as exc:
        raise DocumentNotFoundError(f"{path}: {exc.strerror or 'cannot be read'}") from exc


def run_history(args: argparse.Namespace, out: TextIO) -> int:
    with _history() as history:
        questions = history.questions(
            _document_sha256(args.document), args.search, args.limit, _library_key(args.library)
        )
    if args.json:
        from desktop_qa.core.export import to_json

        out.write(to_json(questions))
        return 0
    if not questions:
        out.write("no questions in the history match\n")
    for q in questions:
        best = q.best
        where = f"library {q.library}" if q.library else q.document_title
        source = f"{best.document_title}, " if best is not None and q.library else ""
        answer = "no answer" if best is None else f"{best.text!r} ({source}page {best.page})"
        out.write(f"#{q.id} {q.asked_at}  {where}\n  Q: {q.text}\n  A: {answer}\n")
    return 0


def run_history_delete(args: argparse.Namespace, out: TextIO) -> int:
    chosen = [args.id is not None, args.document is not None, args.all]
    if sum(chosen) != 1:
        raise InputError("delete needs exactly one of: ID, --document FILE, --all")
    what = (
        f"question {args.id}" if args.id is not None
        else f"every question about {args.document}" if args.document is not None
        else "the whole history"
    )  # fmt: skip
    confirm(f"delete {what}?", args.yes)
    with _history() as history:
        if args.id is not None:
            count = history.delete_question(args.id)
        elif args.document is not None:
            count = history.delete_document(_document_sha256(args.document) or "")
        else:
            count = history.delete_all()
    out.write(f"deleted {count} question{'s' if count != 1 else ''}\n")
    return 0


def run_history_mark(args: argparse.Namespace, out: TextIO) -> int:
    verdict = {"correct": True, "wrong": False, "clear": None}[args.verdict]
    with _history() as history:
        history.mark(args.answer_id, verdict)
    out.write(f"answer {args.answer_id}: {args.verdict}\n")
    return 0


def run_export(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.export import export

    with _history() as history:
        questions = history.questions(
            _document_sha256(args.document), args.search, library=_library_key(args.library)
        )
    path = export(questions, args.format, args.output, args.document)
    count = len(questions)
    out.write(f"exported {count} question{'s' if count != 1 else ''} to {path}\n")
    return 0


def _read_questions(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise DatasetError(f"{path}: no such questions file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read the questions file ({exc})") from exc
    questions = [line.strip() for line in lines if line.strip()]
    if not questions:
        raise DatasetError(f"{path}: the questions file has no questions")
    return questions


def result_json(result: ReadResult, opened: OpenDocument, provider: str) -> dict[str, Any]:
    """The JSON object ``ask --json`` prints for one question."""
    document = opened.document
    return {
        "question": result.question,
        "document": _document_json(document),
        "answers": [answer.to_json() for answer in result.answers],
        "no_answer": result.no_answer,
        "null_score": None if result.null_score is None else round(result.null_score, 4),
        "provider": provider,
        "elapsed_ms": round(result.elapsed_ms, 1),
        "windows": result.windows,
        "windows_total": result.windows_total,
    }


def format_result(result: ReadResult, opened: OpenDocument, provider: str) -> str:
    """Readable answers with page numbers, each in its sentence."""
    from desktop_qa.core.answer_context import answer_context

    text = opened.document.text
    lines = [f"Q: {result.question}"]
    if result.no_answer:
        lines.append("  Not found in this document." + (" Best guesses:" if result.answers else ""))
    for rank, answer in enumerate(result.answers, 1):
        snippet = answer_context(text, answer.char_start, answer.char_end).marked()
        lines.append(f"  {rank}. {answer.text}")
        lines.append(f"     page {answer.page}, {how_sure(answer)}: {snippet}")
    name = opened.document.path.name if opened.document.path else opened.document.title
    lines.append(
        f"  ({name}, {opened.document.page_count} pages, "
        f"{result.windows} of {result.windows_total} windows read, "
        f"{provider}, {result.elapsed_ms:.0f} ms)"
    )
    return "\n".join(lines) + "\n"


def how_sure(answer: Answer) -> str:
    """An answer's confidence in words and percent, or its raw score for a model
    without a calibration (which has no confidence to show)."""
    from desktop_qa.core.calibration import in_words

    if answer.confidence is None:
        return f"score {answer.score:.2f} (no calibrated confidence)"
    return f"{in_words(answer.confidence)}, {100 * answer.confidence:.0f}%"


def run_eval_squad(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_qa.core.squad import ask_all, evaluate, load_squad, scored_confidence

    paragraphs = load_squad(args.dataset, args.whole_articles)
    assistant = _assistant(args)
    asked = ask_all(assistant, paragraphs, counted_progress("questions answered"))
    predictions = {a.question.qid: a.prediction for a in asked}
    write_json(args.predictions, predictions)
    scores = evaluate([a.question for a in asked], predictions)
    scores.update(scored_confidence(asked))
    out.write(json.dumps(scores, indent=2) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    logging.basicConfig(format=f"{PROG}: %(message)s", level=logging.WARNING, stream=sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["gui"])
    try:
        code: int = args.handler(args, sys.stdout)
        return code
    except DesktopQAError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
