"""Every question asked, with its answers, kept in one SQLite database.

It keeps the habits of ``database.py`` (versioned migrations at open, WAL,
writers waiting for each other), so the GUI and the CLI can write at the same
time without losing anything. Each question is saved with its answers in
one transaction, so a crash leaves either all of it or none. A database from a
newer desktop-qa is refused and left untouched; a file that is not a readable
database is moved aside (never deleted) and a new one started.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from desktop_qa.core.config import data_dir
from desktop_qa.core.database import Transaction, environment_error, move_aside, open_database
from desktop_qa.core.errors import HistoryError

if TYPE_CHECKING:
    from desktop_qa.core.assistant import LibraryResult
    from desktop_qa.core.document import Document
    from desktop_qa.core.reader import Answer, ReadResult

log = logging.getLogger(__name__)

DATABASE_NAME = "history.sqlite3"

#: Schema version -> statements that bring version - 1 up to it.


def _fts_triggers(table: str) -> tuple[str, ...]:
    """Triggers that keep ``{table}_fts`` in step with ``table``, then a rebuild of it."""
    return (
        f"""CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO {table}_fts(rowid, text) VALUES (new.id, new.text); END""",
        f"""CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {table}_fts({table}_fts, rowid, text)
            VALUES ('delete', old.id, old.text); END""",
        f"""CREATE TRIGGER {table}_fts_update AFTER UPDATE OF text ON {table} BEGIN
            INSERT INTO {table}_fts({table}_fts, rowid, text)
            VALUES ('delete', old.id, old.text);
            INSERT INTO {table}_fts(rowid, text) VALUES (new.id, new.text); END""",
        f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')",
    )


MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            path TEXT,
            title TEXT,
            pages INTEGER,
            first_opened TEXT NOT NULL,
            last_opened TEXT NOT NULL
        )""",
        """CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            model_name TEXT,
            model_version TEXT,
            provider TEXT,
            asked_at TEXT NOT NULL,
            elapsed_ms REAL,
            no_answer INTEGER NOT NULL DEFAULT 0
        )""",
        """CREATE TABLE answers (
            id INTEGER PRIMARY KEY,
            question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
            rank INTEGER NOT NULL,
            text TEXT NOT NULL,
            score REAL,
            page INTEGER,
            char_start INTEGER,
            char_end INTEGER,
            boxes TEXT NOT NULL DEFAULT '[]'
        )""",
        "CREATE INDEX questions_by_document ON questions(document_id, asked_at)",
        "CREATE INDEX answers_by_question ON answers(question_id, rank)",
    ),
    2: (
        # The user's verdict on an answer: 1 correct, 0 wrong, NULL not marked.
        "ALTER TABLE answers ADD COLUMN verdict INTEGER",
        *(
            f"CREATE VIRTUAL TABLE {table}_fts USING fts5("
            f"text, content='{table}', content_rowid='id')"
            for table in ("questions", "answers")
        ),
        *_fts_triggers("questions"),
        *_fts_triggers("answers"),
    ),
    3: (
        # The probability that the answer is right (the model's calibration); NULL for
        # models without one and for answers recorded before confidences existed.
        "ALTER TABLE answers ADD COLUMN confidence REAL",
        "ALTER TABLE questions ADD COLUMN null_score REAL",
    ),
    4: (
        # Questions asked of a library: the question names the library (no one
        # document), each answer names its own document. The questions table is
        # rebuilt (SQLite cannot drop NOT NULL); migrations run with foreign keys off.
        """CREATE TABLE questions_v4 (
            id INTEGER PRIMARY KEY,
            document_id INTEGER REFERENCES documents(id) ON DELETE CASCADE,
            library TEXT,
            text TEXT NOT NULL,
            model_name TEXT,
            model_version TEXT,
            provider TEXT,
            asked_at TEXT NOT NULL,
            elapsed_ms REAL,
            no_answer INTEGER NOT NULL DEFAULT 0,
            null_score REAL,
            CHECK (document_id IS NOT NULL OR library IS NOT NULL)
        )""",
        "INSERT INTO questions_v4 (id, document_id, text, model_name, model_version, provider,"
        " asked_at, elapsed_ms, no_answer, null_score) SELECT id, document_id, text,"
        " model_name, model_version, provider, asked_at, elapsed_ms, no_answer, null_score"
        " FROM questions",
        "DROP TABLE questions",
        "ALTER TABLE questions_v4 RENAME TO questions",
        "CREATE INDEX questions_by_document ON questions(document_id, asked_at)",
        "CREATE INDEX questions_by_library ON questions(library, asked_at)",
        *_fts_triggers("questions"),
        "ALTER TABLE answers ADD COLUMN document_id INTEGER"
        " REFERENCES documents(id) ON DELETE CASCADE",
        "CREATE INDEX answers_by_document ON answers(document_id)",
    ),
}
SCHEMA_VERSION = max(MIGRATIONS)
QUESTION_SELECT = (
    "SELECT questions.*, documents.sha256, documents.path, documents.title, documents.pages"
    " FROM questions LEFT JOIN documents ON documents.id = questions.document_id"
)
ANSWER_SELECT = (
    "SELECT answers.*, documents.sha256, documents.path, documents.title, documents.pages"
    " FROM answers LEFT JOIN documents ON documents.id = answers.document_id"
)


@dataclass(frozen=True)
class StoredAnswer:
    id: int
    rank: int
    text: str
    score: float
    page: int
    char_start: int
    char_end: int
    boxes: list[list[float]]
    verdict: bool | None
    confidence: float | None = None
    document_sha256: str = ""
    document_path: str = ""
    document_title: str = ""
    document_pages: int = 0


@dataclass(frozen=True)
class StoredQuestion:
    """A past question with its document (or its library: then each answer names its
    own document) and its answers, best first."""

    id: int
    text: str
    asked_at: str
    model_name: str
    model_version: str
    provider: str
    elapsed_ms: float
    no_answer: bool
    document_sha256: str
    document_path: str
    document_title: str
    document_pages: int
    answers: tuple[StoredAnswer, ...]
    library: str | None = None

    @property
    def best(self) -> StoredAnswer | None:
        return self.answers[0] if self.answers else None


def default_path() -> Path:
    return data_dir() / DATABASE_NAME


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class HistoryStore:
    """The history database. Open it once per process and close it when done."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_path()
        self.moved_aside: Path | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = self._open_and_migrate()
        except sqlite3.DatabaseError as exc:
            if environment_error(exc):
                raise HistoryError(f"cannot open history {self.path}: {exc}") from exc
            self.moved_aside = move_aside(self.path)
            log.warning(
                "the history database was damaged; it was moved to %s and a new one started",
                self.moved_aside,
            )
            self.connection = self._open_and_migrate()
        except OSError as exc:
            raise HistoryError(f"cannot open history {self.path}: {exc.strerror or exc}") from exc
        self.db = sqlite_utils.Database(self.connection)

    def _open_and_migrate(self) -> sqlite3.Connection:
        return open_database(self.path, MIGRATIONS, HistoryError)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ---------------------------------------------------------------------

    def record(
        self, document: Document, result: ReadResult, model_name: str, model_version: str,
        provider: str,
    ) -> int:  # fmt: skip
        """Save a question with its answers in one transaction; returns the question id."""
        stamp = now()
        with self._transaction():
            document_id = self._upsert_document(document, stamp)
            question_id = self._insert(
                "INSERT INTO questions (document_id, text, model_name, model_version, provider,"
                " asked_at, elapsed_ms, no_answer, null_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (document_id, result.question, model_name, model_version, provider, stamp,
                 result.elapsed_ms, int(result.no_answer), result.null_score),
            )  # fmt: skip
            for rank, answer in enumerate(result.answers, 1):
                self._insert_answer(question_id, rank, answer)
        return question_id

    def record_library(
        self, library: str, result: LibraryResult, model_name: str, model_version: str,
        provider: str,
    ) -> int:  # fmt: skip
        """Save a library question with its answers (each naming its document) in one
        transaction; returns the question id."""
        stamp = now()
        with self._transaction():
            question_id = self._insert(
                "INSERT INTO questions (library, text, model_name, model_version, provider,"
                " asked_at, elapsed_ms, no_answer) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (library, result.question, model_name, model_version, provider, stamp,
                 result.elapsed_ms, int(result.no_answer)),
            )  # fmt: skip
            for rank, item in enumerate(result.answers, 1):
                self._insert_answer(
                    question_id, rank, item.answer, self._upsert_document(item.document, stamp)
                )
        return question_id

    def _insert_answer(
        self, question_id: int, rank: int, answer: Answer, document_id: int | None = None
    ) -> None:
        boxes = [[f.page, *f.box] for f in answer.fragments]
        self._insert(
            "INSERT INTO answers (question_id, rank, text, score, page, char_start,"
            " char_end, boxes, confidence, document_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (question_id, rank, answer.text, answer.score, answer.page, answer.char_start,
             answer.char_end, json.dumps(boxes), answer.confidence, document_id),
        )  # fmt: skip

    def opened(self, document: Document) -> None:
        """Note that a document was opened (its path may have changed since)."""
        with self._transaction():
            self._upsert_document(document, now())

    def _upsert_document(self, document: Document, stamp: str) -> int:
        path = str(document.path.resolve()) if document.path else None
        self.connection.execute(
            "INSERT INTO documents (sha256, path, title, pages, first_opened, last_opened)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET"
            " path = excluded.path, title = excluded.title, last_opened = excluded.last_opened",
            (document.sha256, path, document.title, document.page_count, stamp, stamp),
        )
        row = self.connection.execute(
            "SELECT id FROM documents WHERE sha256 = ?", (document.sha256,)
        ).fetchone()
        return int(row[0])

    def mark(self, answer_id: int, verdict: bool | None) -> None:
        """Mark an answer correct (True), wrong (False) or unmarked (None)."""
        value = None if verdict is None else int(verdict)
        with self._transaction():
            changed = self.connection.execute(
                "UPDATE answers SET verdict = ? WHERE id = ?", (value, answer_id)
            ).rowcount
        if not changed:
            raise HistoryError(f"no answer with id {answer_id} in the history")

    def delete_question(self, question_id: int) -> int:
        with self._transaction():
            return self.connection.execute(
                "DELETE FROM questions WHERE id = ?", (question_id,)
            ).rowcount

    def delete_document(self, sha256: str) -> int:
        """Delete a document's questions (and the document); returns how many questions."""
        with self._transaction():
            count = self._count_questions("WHERE documents.sha256 = ?", (sha256,))
            self.connection.execute("DELETE FROM documents WHERE sha256 = ?", (sha256,))
        return count

    def delete_all(self) -> int:
        with self._transaction():
            count = self._count_questions("", ())
            self.connection.execute("DELETE FROM questions")
            self.connection.execute("DELETE FROM documents")
        return count

    def _count_questions(self, where: str, params: tuple[Any, ...]) -> int:
        row = self.connection.execute(
            "SELECT count(*) FROM questions LEFT JOIN documents"
            " ON documents.id = questions.document_id " + where,
            params,
        ).fetchone()
        return int(row[0])

    def _insert(self, sql: str, params: tuple[Any, ...]) -> int:
        cursor = self.connection.execute(sql, params)
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _transaction(self) -> Transaction:
        return Transaction(self.connection, f"history {self.path}", HistoryError)

    # --- reading ---------------------------------------------------------------------

    def questions(
        self,
        document_sha256: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        library: str | None = None,
    ) -> list[StoredQuestion]:
        """Past questions, newest first, optionally of one document (asked of it, or of
        a library that answered from it), of one library, or matching a search.

        The search is full-text (FTS5) over questions and their answers; plain words
        are matched as prefixes, all of them required.
        """
        clauses, params = [], []
        if document_sha256 is not None:
            clauses.append(
                "(documents.sha256 = ? OR questions.id IN (SELECT answers.question_id FROM"
                " answers JOIN documents AS own ON own.id = answers.document_id"
                " WHERE own.sha256 = ?))"
            )
            params += [document_sha256, document_sha256]
        if library is not None:
            clauses.append("questions.library = ?")
            params.append(library)
        if search is not None and search.strip():
            query = fts_query(search)
            clauses.append(
                "(questions.id IN (SELECT rowid FROM questions_fts WHERE questions_fts MATCH ?)"
                " OR questions.id IN (SELECT answers.question_id FROM answers_fts"
                " JOIN answers ON answers.id = answers_fts.rowid WHERE answers_fts MATCH ?))"
            )
            params += [query, query]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"{QUESTION_SELECT} {where} ORDER BY questions.asked_at DESC, questions.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        try:
            rows = list(self.db.query(sql, params))
        except sqlite3.OperationalError as exc:
            raise HistoryError(f"cannot search the history: {exc}") from exc
        return [self._question(row) for row in rows]

    def question(self, question_id: int) -> StoredQuestion | None:
        """One past question by its id."""
        rows = list(self.db.query(f"{QUESTION_SELECT} WHERE questions.id = ?", [question_id]))
        return self._question(rows[0]) if rows else None

    def _question(self, row: dict[str, Any]) -> StoredQuestion:
        rows = self.db.query(f"{ANSWER_SELECT} WHERE question_id = ? ORDER BY rank", [row["id"]])
        answers = tuple(
            StoredAnswer(
                id=a["id"],
                rank=a["rank"],
                text=a["text"],
                score=a["score"],
                page=a["page"],
                char_start=a["char_start"],
                char_end=a["char_end"],
                boxes=json.loads(a["boxes"]),
                verdict=None if a["verdict"] is None else bool(a["verdict"]),
                confidence=a["confidence"],
                # an answer to a one-document question is of the question's document
                **_document_fields(a if a["document_id"] is not None else row),
            )
            for a in rows
        )
        return StoredQuestion(
            id=row["id"], text=row["text"], asked_at=row["asked_at"],
            model_name=row["model_name"] or "", model_version=row["model_version"] or "",
            provider=row["provider"] or "", elapsed_ms=row["elapsed_ms"] or 0.0,
            no_answer=bool(row["no_answer"]), answers=answers, library=row["library"],
            **_document_fields(row),
        )  # fmt: skip


def _document_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The ``document_*`` fields of a stored question or answer from its joined row."""
    return {
        "document_sha256": row["sha256"] or "", "document_path": row["path"] or "",
        "document_title": row["title"] or "", "document_pages": row["pages"] or 0,
    }  # fmt: skip


def fts_query(text: str) -> str:
    """Plain words to an FTS5 query: every word required, each as a quoted prefix."""
    words = [w.replace('"', '""') for w in text.split()]
    return " AND ".join(f'"{w}"*' for w in words)
