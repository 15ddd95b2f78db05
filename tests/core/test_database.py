"""The SQLite habits every store shares: opening one new database from two places at once."""

from __future__ import annotations

import threading
from pathlib import Path

from desktop_qa.core.database import open_database
from desktop_qa.core.errors import DesktopQAError

MIGRATIONS = {1: ["CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"]}


def test_two_openers_of_one_new_database_both_get_it(tmp_path: Path) -> None:
    failures: list[BaseException] = []

    def open_it(path: Path, ready: threading.Barrier) -> None:
        ready.wait()
        try:
            open_database(path, MIGRATIONS, DesktopQAError).close()
        except Exception as exc:  # collected: an exception in a thread fails nothing
            failures.append(exc)

    for trial in range(200):
        path = tmp_path / f"store{trial}.sqlite3"
        ready = threading.Barrier(2)
        openers = [threading.Thread(target=open_it, args=(path, ready)) for _ in range(2)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(timeout=60)
        assert not failures, f"trial {trial}: {failures[0]!r}"
        connection = open_database(path, MIGRATIONS, DesktopQAError)
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
        connection.close()
