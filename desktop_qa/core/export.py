"""Export history: CSV, JSON, Markdown, and an annotated copy of a PDF.

Every writer goes to a temporary file beside the target and renames it into
place, so a failed export never leaves half a file under the target's name.
The annotated PDF is a copy: the original document is never written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from desktop_qa import __version__
from desktop_qa.core.errors import DocumentError, InputError, OutputError
from desktop_qa.core.history import StoredAnswer, StoredQuestion, now

FORMATS = ("csv", "json", "md", "pdf")
JSON_FORMAT_VERSION = 1
#: A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = (
    "question_id", "asked_at", "document_title", "document_path", "document_sha256",
    "question", "no_answer", "rank", "answer", "score", "page", "char_start", "char_end",
    "verdict", "model", "provider", "confidence",
)  # fmt: skip


def export(
    questions: list[StoredQuestion], fmt: str, out: Path, document: Path | None = None
) -> Path:
    """Write ``questions`` to ``out`` in ``fmt``; ``document`` is the PDF to annotate."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not questions:
        raise InputError("nothing to export: no questions match")
    if fmt == "pdf":
        return annotated_pdf(questions, out, document)
    render: Callable[[list[StoredQuestion]], str] = {
        "csv": to_csv,
        "json": to_json,
        "md": to_markdown,
    }[fmt]
    return _write_atomically(out, render(questions).encode("utf-8"))


def spreadsheet_safe(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (a leading quote neutralises it)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(questions: list[StoredQuestion]) -> str:
    """One row per answer (one row for a question without answers), with a header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for q in questions:
        answers = q.answers or (None,)
        for a in answers:
            row = (
                q.id, q.asked_at, q.document_title, q.document_path, q.document_sha256,
                q.text, int(q.no_answer), a.rank if a else "", a.text if a else "",
                round(a.score, 4) if a else "", a.page if a else "",
                a.char_start if a else "", a.char_end if a else "",
                "" if a is None or a.verdict is None else ("correct" if a.verdict else "wrong"),
                f"{q.model_name} {q.model_version}".strip(), q.provider,
                "" if a is None or a.confidence is None else round(a.confidence, 4),
            )  # fmt: skip
            writer.writerow([spreadsheet_safe(cell) for cell in row])
    return buffer.getvalue()


def to_json(questions: list[StoredQuestion]) -> str:
    """A stable schema: ``format``, ``version``, ``exported_at`` and ``questions``."""
    payload = {
        "format": "desktop-qa-history",
        "version": JSON_FORMAT_VERSION,
        "exported_at": now(),
        "desktop_qa": __version__,
        "questions": [
            {
                "id": q.id,
                "question": q.text,
                "asked_at": q.asked_at,
                "document": {
                    "title": q.document_title,
                    "path": q.document_path,
                    "sha256": q.document_sha256,
                    "pages": q.document_pages,
                },
                "model": {"name": q.model_name, "version": q.model_version},
                "provider": q.provider,
                "elapsed_ms": q.elapsed_ms,
                "no_answer": q.no_answer,
                "answers": [
                    {
                        "id": a.id,
                        "rank": a.rank,
                        "text": a.text,
                        "score": a.score,
                        "confidence": a.confidence,
                        "page": a.page,
                        "char_start": a.char_start,
                        "char_end": a.char_end,
                        "boxes": [box[1:] for box in a.boxes],
                        "box_pages": [int(box[0]) for box in a.boxes],
                        "verdict": a.verdict,
                    }
                    for a in q.answers
                ],
            }
            for q in questions
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def to_markdown(questions: list[StoredQuestion]) -> str:
    """A readable log: one section per document, its questions oldest first."""
    lines = ["# desktop-qa Q&A log", "", f"Exported {now()}.", ""]
    by_document: dict[str, list[StoredQuestion]] = {}
    for q in questions:
        by_document.setdefault(q.document_sha256, []).append(q)
    for group in by_document.values():
        first = group[0]
        lines += [f"## {_md(first.document_title or 'Untitled')}", ""]
        lines += [f"`{_md(first.document_path)}` ({first.document_pages} pages)", ""]
        for q in sorted(group, key=lambda item: (item.asked_at, item.id)):
            lines += [f"### {_md(q.text)}", "", f"*Asked {q.asked_at} with {q.model_name}.*", ""]
            if not q.answers:
                lines += ["Not found in this document.", ""]
                continue
            if q.no_answer:
                lines += ["Not found in this document. Best guesses:", ""]
            for a in q.answers:
                verdict = (
                    ""
                    if a.verdict is None
                    else (" (marked correct)" if a.verdict else " (marked wrong)")
                )
                lines.append(f"{a.rank}. **{_md(a.text)}** (page {a.page}, {_sure(a)}){verdict}")
            lines.append("")
    return "\n".join(lines)


def _sure(answer: StoredAnswer) -> str:
    """An answer's confidence in words and percent, else its raw score."""
    from desktop_qa.core.calibration import in_words

    if answer.confidence is None:
        return f"score {answer.score:.2f}"
    return f"{in_words(answer.confidence)}, {100 * answer.confidence:.0f}%"


def _md(text: str) -> str:
    """Text that Markdown shows as it is."""
    return " ".join(text.split()).replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")


def annotated_pdf(questions: list[StoredQuestion], out: Path, document: Path | None) -> Path:
    """A copy of the questions' PDF with every answer highlighted on its boxes.

    Each answer becomes one highlight annotation on its page whose note holds the
    question and the answer.
    """
    import pymupdf

    from desktop_qa.core.model import file_sha256

    hashes = {q.document_sha256 for q in questions}
    if len(hashes) != 1:
        raise InputError("an annotated PDF is of one document: choose it with --document FILE")
    sha256 = hashes.pop()
    source = document or Path(questions[0].document_path)
    if not source.is_file():
        raise DocumentError(f"{source} is not there any more; give the PDF with --document FILE")
    if file_sha256(source) != sha256:
        raise DocumentError(f"{source} is not the document these answers belong to (it changed)")
    if out.resolve() == source.resolve():
        raise InputError("the annotated copy must not overwrite the original PDF")
    with pymupdf.open(source) as pdf:
        for q in questions:
            for a in q.answers:
                pages = sorted({int(box[0]) for box in a.boxes})
                for number in pages:
                    rects = [pymupdf.Rect(box[1:]) for box in a.boxes if int(box[0]) == number]
                    page = pdf[number - 1]  # keep the page alive while its annotation is edited
                    annot = page.add_highlight_annot(rects)
                    annot.set_info(
                        title="desktop-qa",
                        content=f"Q: {q.text}\nA ({a.rank}): {a.text} ({_sure(a)})",
                    )
                    annot.update()
        data = pdf.tobytes(garbage=1, deflate=True)
    return _write_atomically(out, data)


def _write_atomically(out: Path, data: bytes) -> Path:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(
                    stream.fileno()
                )  # the new file is whole on disk before it replaces the old
            Path(temporary).replace(out)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    return out
