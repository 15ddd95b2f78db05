"""The history database, on real SQLite files in tmp_path."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlite_utils

from desktop_qa.core.database import migrate
from desktop_qa.core.errors import HistoryError
from desktop_qa.core.history import MIGRATIONS, SCHEMA_VERSION, HistoryStore
from tests.history_helpers import document, result

ROOT = Path(__file__).resolve().parents[2]


def test_a_new_database_gets_the_whole_schema_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        connection = store.connection
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        tables = set(store.db.table_names())
        assert {"documents", "questions", "answers", "questions_fts", "answers_fts"} <= tables


def test_migration_from_the_previous_version_keeps_rows_and_indexes_them(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    migrate(connection, MIGRATIONS, 1)
    connection.execute(
        "INSERT INTO documents (sha256, title, first_opened, last_opened)"
        " VALUES ('x', 'T', 'a', 'a')"
    )
    connection.execute(
        "INSERT INTO questions (document_id, text, asked_at)"
        " VALUES (1, 'Who led the Normans?', 'a')"
    )
    connection.execute(
        "INSERT INTO answers (question_id, rank, text) VALUES (1, 1, 'Rollo of Normandy')"
    )
    connection.close()
    with HistoryStore(path) as store:
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        found = store.questions(search="rollo")
        assert [q.text for q in found] == ["Who led the Normans?"]
        assert found[0].answers[0].verdict is None and found[0].answers[0].confidence is None
        assert found[0].library is None and found[0].answers[0].document_title == "T"
        assert [q.id for q in store.questions(search="normans")] == [1]  # rebuilt table's FTS
        assert store.connection.execute("PRAGMA foreign_key_check").fetchone() is None


def test_a_question_is_stored_with_its_answers_and_boxes(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        doc = document()
        question_id = store.record(
            doc, result("Who led them?", ["Rollo", "Normans"]), "m", "1", "cpu"
        )
        [stored] = store.questions()
        assert stored.id == question_id and stored.text == "Who led them?"
        assert stored.document_sha256 == doc.sha256 and stored.document_title == "Normans"
        assert [a.text for a in stored.answers] == ["Rollo", "Normans"]
        assert stored.best is not None and stored.best.boxes == [[1, 0.0, 20.0, 50.0, 30.0]]
        assert stored.model_name == "m" and stored.provider == "cpu" and stored.elapsed_ms == 12.5
        assert [a.confidence for a in stored.answers] == [0.9, 0.4]
        store.record(doc, result("Is there a dragon?", []), "m", "1", "cpu")
        newest = store.questions(limit=1)[0]
        assert newest.no_answer and newest.best is None


def test_full_text_search_finds_questions_and_answers(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.record(document(), result("Who led them?", ["Rollo"]), "m", "1", "cpu")
        store.record(document(), result("Which century?", ["10th century"]), "m", "1", "cpu")
        assert [q.text for q in store.questions(search="led")] == ["Who led them?"]
        assert [q.text for q in store.questions(search="rol")] == ["Who led them?"]
        assert [q.text for q in store.questions(search="century")] == ["Which century?"]
        assert store.questions(search='"quoted" AND OR (') == []
        other = document("Something else entirely about ships.", "Ships")
        store.record(other, result("What?", ["ships"], other.text), "m", "1", "cpu")
        assert [q.text for q in store.questions(document_sha256=other.sha256)] == ["What?"]


def test_marking_and_deleting(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        doc = document()
        first = store.record(doc, result("Who?", ["Rollo", "Normans"]), "m", "1", "cpu")
        store.record(doc, result("Where?", ["Normandy"]), "m", "1", "cpu")
        answer = store.questions(search="who")[0].answers[1]
        store.mark(answer.id, False)
        assert store.questions(search="who")[0].answers[1].verdict is False
        with pytest.raises(HistoryError, match="no answer with id"):
            store.mark(99_999, True)
        assert store.delete_question(first) == 1
        assert store.connection.execute("SELECT count(*) FROM answers").fetchone()[0] == 1
        assert store.questions(search="rollo") == []
        assert store.delete_document(doc.sha256) == 1
        assert store.questions() == []
        assert store.connection.execute("SELECT count(*) FROM answers").fetchone()[0] == 0


def test_a_database_from_a_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    connection.close()
    before = path.read_bytes()
    with pytest.raises(HistoryError, match="newer desktop-qa"):
        HistoryStore(path)
    assert path.read_bytes() == before


def test_a_corrupt_file_is_moved_aside_and_a_new_database_started(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    garbage = b"this is not a database " * 400
    path.write_bytes(garbage)
    with HistoryStore(path) as store:
        assert store.moved_aside is not None and store.moved_aside.read_bytes() == garbage
        assert store.questions() == []
    assert sqlite_utils.Database(path).table_names()


def test_disk_full_is_reported_and_earlier_rows_survive(tmp_path: Path) -> None:
    with HistoryStore(tmp_path / "h.sqlite3") as store:
        store.record(document(), result("Who?", ["Rollo"]), "m", "1", "cpu")
        pages = store.connection.execute("PRAGMA page_count").fetchone()[0]
        store.connection.execute(f"PRAGMA max_page_count = {pages}")
        big = document("x " * 200_000, "big")
        with pytest.raises(HistoryError, match="disk is full"):
            for n in range(50):
                store.record(big, result(f"q{n} " + "y" * 5000, []), "m", "1", "cpu")
        assert [q.text for q in store.questions()][-1] == "Who?"


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from desktop_qa.core.history import HistoryStore
    from tests.history_helpers import document, result
    store = HistoryStore(Path(sys.argv[1]))
    for n in range(int(sys.argv[2])):
        store.record(document(), result(f"{sys.argv[3]} {n}", ["Rollo", "Normans", "Normandy"]),
                     "m", "1", "cpu")
        print(n, flush=True)
    """
)


def writer(path: Path, count: int, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(count), tag],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    processes = [writer(path, 200, "first"), writer(path, 200, "second")]
    for process in processes:
        _, errors = process.communicate(timeout=240)
        assert process.returncode == 0, errors
    with HistoryStore(path) as store:
        texts = {q.text for q in store.questions()}
        assert len(texts) == 400
        assert store.connection.execute("SELECT count(*) FROM answers").fetchone()[0] == 1200


def test_a_killed_writer_leaves_a_consistent_database(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    process = writer(path, 100_000, "killed")
    assert process.stdout is not None
    for _ in range(30):
        process.stdout.readline()
    time.sleep(0.2)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate()
    with HistoryStore(path) as store:
        assert store.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        questions = store.connection.execute("SELECT count(*) FROM questions").fetchone()[0]
        answers = store.connection.execute("SELECT count(*) FROM answers").fetchone()[0]
        assert questions >= 30 and answers == 3 * questions
        assert len(store.questions(search="killed")) == questions


def test_every_migration_is_listed_in_order() -> None:
    assert sorted(MIGRATIONS) == list(range(1, SCHEMA_VERSION + 1))
