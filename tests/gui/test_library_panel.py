"""The Library panel, offscreen: adding by drop, indexing that never blocks, asking it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QTableWidgetItem
from pytestqt.qtbot import QtBot

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.chunking import QATokenizer
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.history import HistoryStore
from desktop_qa.core.model import load_model_info
from desktop_qa.gui.main_window import MainWindow
from desktop_qa.gui.worker import WorkerState
from tests.core.test_library import town_pdf
from tests.gui.event_loop import longest_gap
from tests.oracle import PhraseOracle, calibrated_copy


@pytest.fixture
def main(qtbot: QtBot, tmp_path: Path, tiny_model: Path) -> Iterator[MainWindow]:
    model = calibrated_copy(tiny_model, tmp_path / "calibrated", threshold=0.5)
    tokenizer = QATokenizer.from_file(model / "tokenizer.json")
    oracle = PhraseOracle(tuple(tokenizer.encode_text("1122")[0].tolist()))  # town 3, page 2
    worker = WorkerState(model, ReaderSettings())
    worker.assistant = Assistant(load_model_info(model), worker.settings, oracle)
    window = MainWindow(
        QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat), worker=worker
    )
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def drop(target: object, paths: list[Path]) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(5, 5), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    target.dropEvent(event)  # type: ignore[attr-defined]


def test_a_dropped_folder_is_indexed_without_blocking_the_window_then_asked(
    qtbot: QtBot, main: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "towns"
    folder.mkdir()
    for n in range(12):
        town_pdf(folder / f"town{n:02d}.pdf", n, pages=4)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7 nothing")
    panel = main.library_panel
    main.library_dock.show()
    with longest_gap() as stalled, qtbot.waitSignal(panel.indexed, timeout=120_000) as done:
        drop(panel, [folder])
        assert panel.cancel_button.isVisible()
    report = done.args[0]
    assert (report.indexed, report.failed) == (12, 1)
    assert stalled[0] < 0.1, f"the event loop stalled for {stalled[0]:.3f} s"
    states = {d.path.name: d.status for d in panel.model.documents}
    assert states["broken.pdf"] == "failed" and states["town03.pdf"] == "indexed"
    assert panel.model.rowCount() == 13 and not panel.cancel_button.isVisible()

    panel.ask_library.setChecked(True)
    assert "the library main" in main.ask_panel.status.text()
    main.ask_panel.question.setText("What was built in 1122?")
    with qtbot.waitSignal(main.runner.finished, timeout=60_000):
        qtbot.keyClick(main.ask_panel.question, Qt.Key.Key_Return)
    best = main.ask_panel.answers.item(0).text()
    assert "1122" in best and "town03" in best
    with HistoryStore() as store:
        asked = store.questions(library="main")
    assert [q.text for q in asked] == ["What was built in 1122?"]
    assert Path(asked[0].answers[0].document_path).name == "town03.pdf"
    assert main.history_panel.list.count() == 1  # the History tab shows the library's
    main.history_panel.question_chosen.emit(asked[0])
    again = main.ask_panel.answers.item(0).text()
    assert "1122" in again and "town03" in again

    town = panel.model.documents.index(
        next(d for d in panel.model.documents if d.path.name == "town05.pdf")
    )
    panel.table.selectRow(town)
    panel.ask_selection.setChecked(True)
    assert main.library_panel.ask_target() == ("main", [panel.model.documents[town].id])
    main.ask_panel.question.setText("What was built in 1122?")
    with qtbot.waitSignal(main.runner.finished, timeout=60_000):
        qtbot.keyClick(main.ask_panel.question, Qt.Key.Key_Return)
    shown = [main.ask_panel.answers.item(i).text() for i in range(main.ask_panel.answers.count())]
    assert not any("1122" in line for line in shown)  # town 3 is not among the selected


def test_indexing_can_be_cancelled_and_keeps_what_it_indexed(
    qtbot: QtBot, main: MainWindow, tmp_path: Path
) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(40):
        town_pdf(folder / f"town{n:02d}.pdf", n, pages=6)
    panel = main.library_panel
    main.library_dock.show()
    with qtbot.waitSignal(panel.runner.cancelled, timeout=120_000):
        panel.add_paths([folder])
        qtbot.waitUntil(lambda: panel.progress.value() >= 2, timeout=60_000)
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert "kept" in panel.status.text()
    kept = len(panel.model.documents)
    assert 2 <= kept < 40
    assert all(d.status == "indexed" for d in panel.model.documents)


def test_a_list_of_questions_fills_a_table_that_exports_the_batch_csv(
    qtbot: QtBot, main: MainWindow, tmp_path: Path
) -> None:
    import csv

    from desktop_qa.core.batch import COLUMNS

    folder = tmp_path / "towns"
    folder.mkdir()
    for n in range(5):
        town_pdf(folder / f"town{n}.pdf", n, pages=3)
    panel = main.library_panel
    with qtbot.waitSignal(panel.indexed, timeout=120_000):
        panel.add_paths([folder])
    panel.ask_library.setChecked(True)
    dialog = main.ask_list()
    assert dialog is not None and "library main" in dialog.status.text()
    dialog.questions.setPlainText("What was built in 1122?\n\nWho built the bridge?\n")
    with qtbot.waitSignal(dialog.all_done, timeout=120_000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    cells = [
        [(dialog.table.item(r, c) or QTableWidgetItem()).text()
         for c in range(dialog.table.columnCount())]
        for r in range(dialog.table.rowCount())
    ]  # fmt: skip
    assert cells[0][:2] == ["What was built in 1122?", "1122"] and cells[0][3] == "town3"
    assert {row[0] for row in cells} == {"What was built in 1122?", "Who built the bridge?"}
    assert "2 of 2 questions answered" in dialog.status.text()
    out = tmp_path / "answers.csv"
    dialog.export(out)
    with out.open(newline="") as stream:
        reader = csv.DictReader(stream)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        rows = list(reader)
    assert len(rows) == len(cells) and rows[0]["answer"] == "1122"
    assert rows[0]["page"] == "2" and "1122" in rows[0]["snippet"]
    with HistoryStore() as store:
        assert len(store.questions(library="main")) == 2
