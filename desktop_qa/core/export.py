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
    "verdict", "model", "provider", "confidence", "library",
)  # fmt: skip
#: Highlight colours of the annotated PDF: each question's best answer, answers marked right.
BEST_COLOUR = (1.0, 0.85, 0.0)
CORRECT_COLOUR = (0.35, 0.85, 0.35)


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
            where = a or q  # an answer names its document (a library's answers differ)
            row = (
                q.id, q.asked_at, where.document_title, where.document_path,
                where.document_sha256, q.text, int(q.no_answer), a.rank if a else "",
                a.text if a else "", round(a.score, 4) if a else "", a.page if a else "",
                a.char_start if a else "", a.char_end if a else "",
                "" if a is None or a.verdict is None else ("correct" if a.verdict else "wrong"),
                f"{q.model_name} {q.model_version}".strip(), q.provider,
                "" if a is None or a.confidence is None else round(a.confidence, 4),
                q.library or "",
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
                "document": _document_json(q) if q.library is None else None,
                "library": q.library,
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
                        "document": _document_json(a),
                    }
                    for a in q.answers
                ],
            }
            for q in questions
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _document_json(item: StoredQuestion | StoredAnswer) -> dict[str, object]:
    return {
        "title": item.document_title, "path": item.document_path,
        "sha256": item.document_sha256, "pages": item.document_pages,
    }  # fmt: skip


def to_markdown(questions: list[StoredQuestion]) -> str:
    """A readable log: one section per document or library, its questions oldest first."""
    lines = ["# desktop-qa Q&A log", "", f"Exported {now()}.", ""]
    groups: dict[str, list[StoredQuestion]] = {}
    for q in questions:
        groups.setdefault(f"library:{q.library}" if q.library else q.document_sha256, []).append(q)
    for group in groups.values():
        first = group[0]
        where = "these documents" if first.library else "this document"
        if first.library:
            lines += [f"## Library {_md(first.library)}", ""]
        else:
            lines += [f"## {_md(first.document_title or 'Untitled')}", ""]
            lines += [f"`{_md(first.document_path)}` ({first.document_pages} pages)", ""]
        for q in sorted(group, key=lambda item: (item.asked_at, item.id)):
            lines += [f"### {_md(q.text)}", "", f"*Asked {q.asked_at} with {q.model_name}.*", ""]
            if not q.answers:
                lines += [f"Not found in {where}.", ""]
                continue
            if q.no_answer:
                lines += [f"Not found in {where}. Best guesses:", ""]
            for a in q.answers:
                verdict = (
                    ""
                    if a.verdict is None
                    else (" (marked correct)" if a.verdict else " (marked wrong)")
                )
                source = f"{_md(a.document_title or 'Untitled')}, " if q.library else ""
                lines.append(
                    f"{a.rank}. **{_md(a.text)}** ({source}page {a.page}, {_sure(a)}){verdict}"
                )
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
    """Annotated copies of the questions' PDFs: each question's best answer (unless it
    was "not found") highlighted in yellow, answers marked correct in green; answers
    marked wrong and the other guesses are left out.

    For one document ``out`` is the copy (``document`` gives the PDF where it moved);
    for the answers of several documents (a library's) ``out`` is a folder that gets
    one ``<name>.annotated.pdf`` per document. Each highlight's note holds the question
    and the answer.
    """
    chosen: dict[str, list[tuple[StoredQuestion, StoredAnswer]]] = {}
    for q in questions:
        for a in q.answers:
            best = a.rank == 1 and not q.no_answer and a.verdict is not False
            if best or a.verdict is True:
                chosen.setdefault(a.document_sha256, []).append((q, a))
    if not chosen:
        raise InputError("nothing to highlight: no best answer and none marked correct")
    if len(chosen) == 1:
        ((sha256, marks),) = chosen.items()
        source = document or Path(marks[0][1].document_path)
        return _write_atomically(out, _annotated(source, sha256, marks, out))
    if document is not None:
        raise InputError(
            "these answers come from several documents; --document names one PDF: "
            "leave it out to write one annotated copy per document into a folder"
        )
    if out.suffix.lower() == ".pdf":
        raise InputError(
            f"these answers come from {len(chosen)} documents: give a folder for the "
            "annotated copies, not a .pdf name"
        )
    for sha256, marks in chosen.items():
        source = Path(marks[0][1].document_path)
        target = out / f"{source.stem}.annotated.pdf"
        _write_atomically(target, _annotated(source, sha256, marks, target))
    return out


def _annotated(
    source: Path, sha256: str, marks: list[tuple[StoredQuestion, StoredAnswer]], out: Path
) -> bytes:
    import pymupdf

    from desktop_qa.core.model import file_sha256

    if not source.is_file():
        raise DocumentError(f"{source} is not there any more; give the PDF with --document FILE")
    if file_sha256(source) != sha256:
        raise DocumentError(f"{source} is not the document these answers belong to (it changed)")
    if out.resolve() == source.resolve():
        raise InputError("the annotated copy must not overwrite the original PDF")
    with pymupdf.open(source) as pdf:
        for q, a in marks:
            colour = CORRECT_COLOUR if a.verdict else BEST_COLOUR
            for number in sorted({int(box[0]) for box in a.boxes}):
                rects = [pymupdf.Rect(box[1:]) for box in a.boxes if int(box[0]) == number]
                page = pdf[number - 1]  # keep the page alive while its annotation is edited
                annot = page.add_highlight_annot(rects)
                annot.set_colors(stroke=colour)
                verdict = ", marked correct" if a.verdict else ""
                annot.set_info(
                    title="desktop-qa",
                    content=f"Q: {q.text}\nA ({a.rank}): {a.text} ({_sure(a)}{verdict})",
                )
                annot.update()
        return bytes(pdf.tobytes(garbage=1, deflate=True))


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
