"""The SQLite habits every store of desktop-qa shares (history, libraries).

The schema version lives in ``PRAGMA user_version``; migrations run at open in
one ``BEGIN IMMEDIATE`` transaction. WAL and foreign keys are on and writers
wait for each other (``busy_timeout``), so several processes can write at once.
A database from a newer desktop-qa is refused and left untouched. Errors of
the machine (disk full, locked, read-only) are told apart from a damaged file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_qa.core.errors import DesktopQAError

BUSY_TIMEOUT_MS = 30_000
#: Schema version -> statements that bring version - 1 up to it.
Migrations = Mapping[int, Sequence[str]]

ENVIRONMENT_ERRORS = frozenset(
    ("SQLITE_FULL", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY", "SQLITE_CANTOPEN",
     "SQLITE_IOERR", "SQLITE_PERM")
)  # fmt: skip


def open_database(
    path: Path, migrations: Migrations, error: type[DesktopQAError]
) -> sqlite3.Connection:
    """Connect, refuse a newer schema (raising ``error``), migrate, check.

    Raises:
        sqlite3.DatabaseError: the file is not a readable database.
    """
    latest = max(migrations)
    # One thread at a time uses a connection, but the GUI may close its worker's itself.
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version > latest:
            raise error(
                f"{path} was written by a newer desktop-qa (schema {version}; this "
                f"version knows up to {latest}); it was left untouched. Update "
                "desktop-qa, or set DESKTOP_QA_DATA_DIR to use another folder."
            )
        use_wal(connection)
        if version < latest:  # with foreign keys off, so that a table can be rebuilt
            migrate(connection, migrations, latest)
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA quick_check").fetchone()
    except BaseException:
        connection.close()
        raise
    return connection


def use_wal(connection: sqlite3.Connection) -> None:
    """Switch to WAL, waiting up to ``BUSY_TIMEOUT_MS`` while another process holds the
    file: SQLite answers "database is locked" at once instead of waiting there (two
    processes opening a new database together, as two indexers of one library do)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = getattr(exc, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED")
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migrate(connection: sqlite3.Connection, migrations: Migrations, target: int) -> None:
    """Apply the migrations up to ``target`` in one transaction."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        for step in range(version + 1, target + 1):
            for statement in migrations[step]:
                connection.execute(statement)
        broken = connection.execute("PRAGMA foreign_key_check").fetchone()
        if broken is not None:
            raise sqlite3.IntegrityError(f"the migration broke a reference: {tuple(broken)}")
        connection.execute(f"PRAGMA user_version = {target}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def environment_error(exc: sqlite3.DatabaseError) -> bool:
    """Errors of the machine (disk full, locked, read-only), not of the file's content."""
    return getattr(exc, "sqlite_errorname", "") in ENVIRONMENT_ERRORS


def move_aside(path: Path) -> Path:
    """Rename a damaged database (and its WAL files) out of the way, never deleting it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    path.replace(target)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.replace(target.with_name(target.name + suffix))
    return target


class Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``; rolls back on error and reports machine faults
    as ``error`` ("cannot save to {what}: the disk is full")."""

    def __init__(
        self, connection: sqlite3.Connection, what: str, error: type[DesktopQAError]
    ) -> None:
        self.connection = connection
        self.what = what
        self.error = error

    def __enter__(self) -> None:
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise self.error(f"cannot write {self.what}: {exc}") from exc

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, _: Any) -> None:
        if kind is None:
            try:
                self.connection.execute("COMMIT")
                return
            except sqlite3.Error as failure:
                exc = failure
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            full = getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL"
            reason = "the disk is full" if full else str(exc)
            raise self.error(f"cannot save to {self.what}: {reason}") from exc
