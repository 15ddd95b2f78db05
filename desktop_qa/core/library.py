"""Saved libraries: documents with a persistent full-text index of their windows.

A library is one SQLite database, ``libraries/<name>.sqlite3`` in the data
folder, with the habits of ``database.py``. It keeps the folders and files it
was given, every document found in them (path, sha256, size and mtime, title,
pages, and its state: indexed, failed with the reason, or a duplicate of
another), each document's text (zlib-compressed) and the windows the reader
reads, with a contentless FTS5 index over their text that BM25 ranks. The text
is kept so that a document's index rows can be deleted again (a contentless
index forgets what it indexed) and so that it can be indexed anew without the
file; reading also needs the character boxes and tokens, which come from the
document cache (or from the file again when the cache was cleared).

Each document is written in one transaction: a kill during indexing loses only
the documents not yet written and never leaves one half indexed. The windows
depend on the tokenizer and window settings, recorded as the library's
``windows_key``: a library indexed with others is indexed anew by ``sync``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from desktop_qa.core.chunking import Window
from desktop_qa.core.config import data_dir
from desktop_qa.core.database import Transaction, environment_error, open_database
from desktop_qa.core.errors import DesktopQAError, InputError
from desktop_qa.core.history import now
from desktop_qa.core.retrieval import query_words

DEFAULT_LIBRARY = "main"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
INDEXED, FAILED, DUPLICATE = "indexed", "failed", "duplicate"

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE roots (path TEXT PRIMARY KEY, added_at TEXT NOT NULL)",
        f"""CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            sha256 TEXT,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            title TEXT,
            pages INTEGER,
            status TEXT NOT NULL CHECK (status IN ('{INDEXED}', '{FAILED}', '{DUPLICATE}')),
            reason TEXT,
            added_at TEXT NOT NULL,
            indexed_at TEXT
        )""",
        f"CREATE UNIQUE INDEX indexed_by_sha256 ON documents(sha256) WHERE status = '{INDEXED}'",
        """CREATE TABLE texts (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            text BLOB NOT NULL
        )""",
        """CREATE TABLE windows (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            token_start INTEGER NOT NULL,
            token_end INTEGER NOT NULL,
            char_start INTEGER NOT NULL,
            char_end INTEGER NOT NULL
        )""",
        "CREATE INDEX windows_by_document ON windows(document_id, number)",
        "CREATE VIRTUAL TABLE windows_fts USING fts5(text, content='', "
        "tokenize='porter unicode61')",
    ),
}


class LibraryError(DesktopQAError):
    """A library cannot be opened, read or written."""

    exit_code = 60


@dataclass(frozen=True)
class LibraryDocument:
    """A document of a library, as ``library list`` shows it."""

    id: int
    path: Path
    sha256: str | None
    title: str | None
    pages: int | None
    status: str
    reason: str | None
    added_at: str
    indexed_at: str | None

    def to_json(self) -> dict[str, object]:
        return {**self.__dict__, "path": str(self.path)}


@dataclass(frozen=True)
class Extracted:
    """What indexing one file found: its document's facts and windows, or why it failed."""

    path: Path
    size: int
    mtime_ns: int
    sha256: str | None
    title: str | None = None
    pages: int | None = None
    text: str = ""
    windows: tuple[tuple[int, int, int, int], ...] = ()  # token and char ranges
    failure: str | None = None


@dataclass(frozen=True)
class Hit:
    """A window that matches a question: its document, number and BM25 relative to the best."""

    document_id: int
    window: int
    score: float


def libraries_dir() -> Path:
    return data_dir() / "libraries"


def library_names(root: Path | None = None) -> list[str]:
    """The saved libraries, by name."""
    folder = root or libraries_dir()
    return sorted(p.stem for p in folder.glob("*.sqlite3")) if folder.is_dir() else []


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise InputError(
            f"{name!r} is not a library name: use letters, digits, '.', '_' and '-' "
            "(up to 64, starting with a letter or digit)"
        )
    return name


def pdfs_under(paths: Iterable[Path]) -> Iterator[Path]:
    """Each PDF named or inside a named folder (recursively), as an absolute path."""
    for path in paths:
        path = path.expanduser().absolute()
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix.lower() == ".pdf" and p.is_file()
            )
        else:
            yield path


class Library:
    """One saved library: its documents, their windows and the index over them."""

    def __init__(self, name: str = DEFAULT_LIBRARY, root: Path | None = None) -> None:
        self.name = check_name(name)
        self.path = (root or libraries_dir()) / f"{name}.sqlite3"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = open_database(self.path, MIGRATIONS, LibraryError)
        except sqlite3.DatabaseError as exc:
            hint = (
                "" if environment_error(exc) else " (the file is damaged; remove it and add again)"
            )
            raise LibraryError(f"cannot open library {self.path}: {exc}{hint}") from exc
        except OSError as exc:
            raise LibraryError(f"cannot open library {self.path}: {exc.strerror or exc}") from exc

    @classmethod
    def existing(cls, name: str, root: Path | None = None) -> Library:
        """A library that was saved before (never creates one)."""
        if check_name(name) not in library_names(root):
            known = ", ".join(library_names(root)) or "none yet"
            raise LibraryError(
                f"no library named {name!r} (libraries: {known}); "
                f"make one with: desktop-qa library add PATH... --library {name}"
            )
        return cls(name, root)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _transaction(self) -> Transaction:
        return Transaction(self.connection, f"library {self.path}", LibraryError)

    # --- what it holds -------------------------------------------------------------

    def documents(self, status: str | None = None) -> list[LibraryDocument]:
        where, params = ("WHERE status = ?", (status,)) if status else ("", ())
        return self._documents(f"{where} ORDER BY path", params)

    def document(self, document_id: int) -> LibraryDocument:
        found = self._documents("WHERE id = ?", (document_id,))
        if not found:
            raise LibraryError(f"library {self.name}: no document {document_id}")
        return found[0]

    def _documents(self, clause: str, params: tuple[object, ...]) -> list[LibraryDocument]:
        rows = self.connection.execute(
            "SELECT id, path, sha256, title, pages, status, reason, added_at, indexed_at"
            f" FROM documents {clause}",
            params,
        ).fetchall()
        return [LibraryDocument(r[0], Path(r[1]), *r[2:]) for r in rows]

    def roots(self) -> list[Path]:
        return [Path(r[0]) for r in self.connection.execute("SELECT path FROM roots ORDER BY path")]

    def known(self) -> dict[Path, tuple[int, int, str]]:
        """Each document's path with its (size, mtime_ns, status) when it was indexed."""
        rows = self.connection.execute("SELECT path, size, mtime_ns, status FROM documents")
        return {Path(p): (size, mtime, status) for p, size, mtime, status in rows}

    def windows_key(self) -> str | None:
        row = self.connection.execute("SELECT value FROM meta WHERE key = 'windows_key'")
        found = row.fetchone()
        return str(found[0]) if found else None

    def text_of(self, document_id: int) -> str:
        row = self.connection.execute(
            "SELECT text FROM texts WHERE document_id = ?", (document_id,)
        ).fetchone()
        if row is None:
            raise LibraryError(f"library {self.name}: document {document_id} has no text")
        return zlib.decompress(row[0]).decode("utf-8")

    def windows_of(self, document_id: int) -> list[Window]:
        rows = self.connection.execute(
            "SELECT token_start, token_end FROM windows WHERE document_id = ? ORDER BY number",
            (document_id,),
        )
        return [Window(start, end) for start, end in rows]

    def size_on_disk(self) -> int:
        companions = [self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal",))]
        return sum(p.stat().st_size for p in companions if p.exists())

    # --- writing ---------------------------------------------------------------------

    def set_windows_key(self, key: str) -> None:
        with self._transaction():
            self.connection.execute(
                "INSERT INTO meta (key, value) VALUES ('windows_key', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key,),
            )

    def add_roots(self, folders: Iterable[Path]) -> None:
        with self._transaction():
            self.connection.executemany(
                "INSERT OR IGNORE INTO roots (path, added_at) VALUES (?, ?)",
                [(str(f), now()) for f in folders],
            )

    def write(self, found: Extracted) -> str:
        """Record one indexed (or failed) file in one transaction; returns its status."""
        stamp = now()
        with self._transaction():
            self._delete_where("path = ?", (str(found.path),))
            status, reason = (FAILED, found.failure) if found.failure else (INDEXED, None)
            if status == INDEXED:
                twin = self.connection.execute(
                    "SELECT path FROM documents WHERE sha256 = ? AND status = ?",
                    (found.sha256, INDEXED),
                ).fetchone()
                if twin is not None:
                    status, reason = DUPLICATE, f"the same file as {twin[0]}"
            cursor = self.connection.execute(
                "INSERT INTO documents (path, sha256, size, mtime_ns, title, pages, status,"
                " reason, added_at, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (str(found.path), found.sha256, found.size, found.mtime_ns, found.title,
                 found.pages, status, reason, stamp, stamp),
            )  # fmt: skip
            if status == INDEXED:
                self._insert_windows(int(cursor.lastrowid or 0), found)
        return status

    def _insert_windows(self, document_id: int, found: Extracted) -> None:
        self.connection.execute(
            "INSERT INTO texts (document_id, text) VALUES (?, ?)",
            (document_id, zlib.compress(found.text.encode("utf-8"), 6)),
        )
        for number, (token_start, token_end, char_start, char_end) in enumerate(found.windows):
            cursor = self.connection.execute(
                "INSERT INTO windows (document_id, number, token_start, token_end, char_start,"
                " char_end) VALUES (?, ?, ?, ?, ?, ?)",
                (document_id, number, token_start, token_end, char_start, char_end),
            )
            self.connection.execute(
                "INSERT INTO windows_fts (rowid, text) VALUES (?, ?)",
                (cursor.lastrowid, found.text[char_start:char_end]),
            )

    def merge(self, shard: Path) -> list[tuple[Extracted, str]]:
        """Write every document of a shard (a library database built elsewhere, e.g. on a
        cluster node) into this one, in path order, each in its own transaction, as
        ``write`` does; returns each with its status here."""
        source = sqlite3.connect(f"file:{shard}?mode=ro", uri=True)
        try:
            rows = source.execute(
                "SELECT id, path, sha256, size, mtime_ns, title, pages, status, reason"
                " FROM documents ORDER BY path"
            ).fetchall()
            merged = []
            for document_id, path, sha256, size, mtime_ns, title, pages, status, reason in rows:
                if status == INDEXED:
                    blob = source.execute(
                        "SELECT text FROM texts WHERE document_id = ?", (document_id,)
                    ).fetchone()[0]
                    spans = source.execute(
                        "SELECT token_start, token_end, char_start, char_end FROM windows"
                        " WHERE document_id = ? ORDER BY number",
                        (document_id,),
                    ).fetchall()
                    found = Extracted(
                        Path(path), size, mtime_ns, sha256, title, pages,
                        zlib.decompress(blob).decode("utf-8"), tuple(map(tuple, spans)),
                    )  # fmt: skip
                else:  # a duplicate finds its twin here again; a failure keeps its reason
                    failure = reason if status == FAILED else None
                    found = Extracted(Path(path), size, mtime_ns, sha256, title, pages,
                                      failure=failure)  # fmt: skip
                merged.append((found, self.write(found)))
        finally:
            source.close()
        return merged

    def moved(self, old: Path, new: Path, size: int, mtime_ns: int) -> None:
        """A document found at a new path (same bytes): only its path changes."""
        with self._transaction():
            self._delete_where("path = ?", (str(new),))
            self.connection.execute(
                "UPDATE documents SET path = ?, size = ?, mtime_ns = ? WHERE path = ?",
                (str(new), size, mtime_ns, str(old)),
            )

    def remove(self, paths: Iterable[Path]) -> int:
        """Forget documents (and folders: everything under them); returns how many."""
        removed = 0
        with self._transaction():
            for path in paths:
                path = path.expanduser().absolute()
                under = str(path).rstrip("/") + "/%"
                removed += self._delete_where("path = ? OR path LIKE ?", (str(path), under))
                self.connection.execute(
                    "DELETE FROM roots WHERE path = ? OR path LIKE ?", (str(path), under)
                )
        return removed

    def remove_all(self) -> int:
        with self._transaction():
            self.connection.execute("DELETE FROM roots")
            return self._delete_where("1", ())

    def _delete_where(self, where: str, params: tuple[object, ...]) -> int:
        """Delete documents with their windows' index rows (inside a transaction)."""
        rows = self.connection.execute(
            f"SELECT id, status FROM documents WHERE {where}", params
        ).fetchall()
        for document_id, status in rows:
            if status == INDEXED:
                self._unindex(document_id)
            self.connection.execute("DELETE FROM documents WHERE id = ?", (document_id,))
        return len(rows)

    def _unindex(self, document_id: int) -> None:
        text = self.text_of(document_id)
        windows = self.connection.execute(
            "SELECT id, char_start, char_end FROM windows WHERE document_id = ?", (document_id,)
        ).fetchall()
        self.connection.executemany(
            "INSERT INTO windows_fts (windows_fts, rowid, text) VALUES ('delete', ?, ?)",
            [(window_id, text[start:end]) for window_id, start, end in windows],
        )

    # --- searching -------------------------------------------------------------------

    def search(self, question: str, limit: int, only: Iterable[int] | None = None) -> list[Hit]:
        """The ``limit`` windows matching the question best by BM25, best first; with
        ``only``, of those documents (by id) alone."""
        words = query_words(question)
        if not words:
            return []
        query = " OR ".join(f'"{w}"' for w in words)
        chosen = (
            "" if only is None else " AND windows.document_id IN (SELECT value FROM json_each(?))"
        )
        params: tuple[object, ...] = (query,) if only is None else (query, json.dumps(list(only)))
        rows = self.connection.execute(
            "SELECT windows.document_id, windows.number, bm25(windows_fts) AS relevance"
            " FROM windows_fts JOIN windows ON windows.id = windows_fts.rowid"
            f" WHERE windows_fts MATCH ?{chosen} ORDER BY relevance LIMIT ?",
            (*params, limit),
        ).fetchall()
        best = rows[0][2] if rows else 0.0  # FTS5's bm25() is negative: lower is better
        return [Hit(d, w, score / best if best < 0 else 1.0) for d, w, score in rows]

    def check(self) -> str:
        """SQLite's integrity check and FTS5's own ("ok" when both pass)."""
        result = str(self.connection.execute("PRAGMA integrity_check").fetchone()[0])
        try:
            self.connection.execute(
                "INSERT INTO windows_fts (windows_fts, rank) VALUES ('integrity-check', 0)"
            )
        except sqlite3.DatabaseError as exc:
            return f"full-text index: {exc}"
        return result
