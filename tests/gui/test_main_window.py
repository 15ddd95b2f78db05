"""The desktop app, offscreen, driven as a user would with pytest-qt."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_qa.core.assistant import Assistant
from desktop_qa.core.chunking import EncodedBatch
from desktop_qa.core.config import ReaderSettings
from desktop_qa.core.history import HistoryStore
from desktop_qa.core.model import load_model_info, resolve_model
from desktop_qa.core.reader import OnnxQAModel
from desktop_qa.gui.dialogs import load_reader_settings, save_reader_settings
from desktop_qa.gui.document_tab import DocumentTab
from desktop_qa.gui.main_window import MainWindow
from desktop_qa.gui.worker import WorkerState
from tests.checkpoints import checkpoint
from tests.conftest import shared_file
from tests.pdfs import encrypted_pdf, scanned_pdf, text_pdf


class CountingModel:
    """The real ONNX model, counting its calls and optionally slowed down."""

    def __init__(self, model: OnnxQAModel, delay: float = 0.0) -> None:
        self.model = model
        self.delay = delay
        self.calls = 0
        self.provider = model.provider

    def logits(self, batch: EncodedBatch) -> tuple[np.ndarray, np.ndarray]:
        self.calls += 1
        time.sleep(self.delay)
        return self.model.logits(batch)


def make_window(
    qtbot: QtBot, tmp_path: Path, model_dir: Path, delay: float = 0.0, batch_size: int = 8
) -> tuple[MainWindow, CountingModel]:
    info = load_model_info(model_dir)
    counting = CountingModel(OnnxQAModel(info, "cpu"), delay)
    worker = WorkerState(model_dir, ReaderSettings(batch_size=batch_size))
    worker.assistant = Assistant(info, worker.settings, counting)
    window = MainWindow(
        QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat), worker=worker
    )
    qtbot.addWidget(window)
    window.show()
    return window, counting


@pytest.fixture
def window(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path
) -> Iterator[tuple[MainWindow, CountingModel]]:
    made = make_window(qtbot, tmp_path, tiny_model)
    yield made
    made[0].close()


def front(window: MainWindow) -> DocumentTab:
    """The document tab in front, which the test expects to be there."""
    tab = window.tab
    assert tab is not None
    return tab


def open_and_wait(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    window.open_file(path)
    qtbot.waitUntil(lambda: window.opened is not None, timeout=60_000)


def ask(qtbot: QtBot, window: MainWindow, question: str) -> None:
    window.ask_panel.question.setText(question)
    with qtbot.waitSignal(window.runner.finished, timeout=60_000):
        qtbot.keyClick(window.ask_panel.question, Qt.Key.Key_Return)


def test_opening_shows_the_first_page_without_rendering_the_rest(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel]
) -> None:
    main, _ = window
    flash = shared_file("corpus", "flashattn.pdf")
    main.open_file(flash)
    assert main.view.page_count == 34
    qtbot.waitUntil(lambda: 0 in main.view.rendered_pages, timeout=10_000)
    assert len(main.view.rendered_pages) <= 4
    assert "page 1 of 34" in main.status_page.text()
    qtbot.waitUntil(lambda: main.opened is not None, timeout=60_000)


def test_ask_fills_the_answers_and_highlights_the_best_on_its_page(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel]
) -> None:
    main, model = window
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    assert main.ask_panel.question.isEnabled()
    ask(qtbot, main, "How many parameters does the network have?")
    assert model.calls > 0
    answers = main.ask_panel.answers
    assert answers.count() >= 1 and answers.currentRow() == 0
    first = main.ask_panel._shown[0]
    assert "confidence" in answers.item(0).text() and f"page {first.page}" in answers.item(0).text()
    page, _ = first.boxes[0]
    assert main.view.highlights_on(page - 1), "the best answer is highlighted on its page"
    assert abs(main.view.current_page() - page) <= 1
    assert "stand-in" in main.status_model.text() and "cpu" in main.status_model.text()


def test_escape_cancels_a_running_question(qtbot: QtBot, tmp_path: Path, tiny_model: Path) -> None:
    main, model = make_window(qtbot, tmp_path, tiny_model, delay=0.1, batch_size=1)
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    main.ask_panel.question.setText("What is dropout?")
    with qtbot.waitSignal(main.runner.progressed, timeout=30_000):
        qtbot.keyClick(main.ask_panel.question, Qt.Key.Key_Return)
    with qtbot.waitSignal(main.runner.cancelled, timeout=30_000):
        qtbot.keyClick(main.ask_panel.question, Qt.Key.Key_Escape)
    assert main.ask_panel.status.text() == "Cancelled."
    assert model.calls < 20 and main.ask_panel.answers.count() == 0
    main.close()


def test_history_reshows_answers_without_running_the_model(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel]
) -> None:
    main, model = window
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    ask(qtbot, main, "What is ImageNet?")
    shown = [a.text for a in main.ask_panel._shown]
    assert main.history_panel.list.count() == 1
    calls = model.calls
    main.ask_panel.answers.clear()
    main.view.set_highlights([])
    item = main.history_panel.list.item(0)
    qtbot.mouseClick(
        main.history_panel.list.viewport(), Qt.MouseButton.LeftButton,
        pos=main.history_panel.list.visualItemRect(item).center(),
    )  # fmt: skip
    assert [a.text for a in main.ask_panel._shown] == shown
    assert model.calls == calls
    assert any(main.view.highlights_on(i) for i in range(main.view.page_count))
    main.history_panel.list.setCurrentRow(0)
    main.history_panel.delete_button.click()
    assert main.history_panel.list.count() == 0


def test_a_broken_pdf_gets_a_dialog_and_the_app_goes_on(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel], tmp_path: Path
) -> None:
    main, _ = window
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    main.open_file(broken)
    dialog = main.findChild(QMessageBox, "error-dialog")
    assert dialog is not None and dialog.isVisible() and "broken.pdf" in dialog.text()
    dialog.close()
    scanned = scanned_pdf(tmp_path / "scan.pdf")
    main.open_file(scanned)
    qtbot.waitUntil(lambda: "no text layer" in main.ask_panel.status.text(), timeout=30_000)
    assert not main.ask_panel.question.isEnabled()
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    assert main.ask_panel.question.isEnabled()


def test_settings_round_trip(qtbot: QtBot, tmp_path: Path, tiny_model: Path) -> None:
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    main.resize(700, 500)  # within the offscreen screen, which clamps restored geometry
    size = (main.width(), main.height())
    alexnet = shared_file("corpus", "alexnet.pdf")
    open_and_wait(qtbot, main, alexnet)
    main.close()
    again, _ = make_window(qtbot, tmp_path, tiny_model)
    assert (again.width(), again.height()) == size
    assert again.session.recent()[0] == str(alexnet.resolve())
    assert [a.text() for a in again.recent_menu.actions()] == [str(alexnet.resolve())]
    again.close()


def test_zoom_keeps_the_page_and_scales_highlights(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel]
) -> None:
    main, _ = window
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    main.view.go_to_page(5)
    width = main.view.pages[4].width()
    main.view.zoom_in()
    assert main.view.pages[4].width() > width
    assert main.view.current_page() == 5


def test_pyside_does_not_die_after_many_calls_returning_nothing() -> None:
    """PySide6 6.12.0 leaked a None reference per call and aborted after a few thousand."""
    code = (
        "from PySide6.QtWidgets import QApplication, QWidget\n"
        "app = QApplication([])\nw = QWidget()\n"
        "for i in range(50_000):\n    w.setObjectName('x')\n"
        "print('survived')\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert "survived" in completed.stdout


def test_find_marks_every_match_and_steps_through_them(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel]
) -> None:
    main, _ = window
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    qtbot.keyClicks(main.find_box, "dropout")
    assert document_count(main, "dropout") == len(front(main).hits) > 3
    first_page = front(main).hits[front(main).hit][0][0]
    assert any(current for _, current in main.view.search_hits_on(first_page - 1))
    qtbot.keyClick(main.find_box, Qt.Key.Key_Return)
    assert front(main).hit == 1 or len(front(main).hits) == 1
    main.find_box.clear()
    assert not any(main.view.search_hits_on(i) for i in range(main.view.page_count))


def document_count(main: MainWindow, word: str) -> int:
    assert main.opened is not None
    return main.opened.document.text.lower().count(word)


def test_dragging_on_a_page_selects_text_to_copy(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel]
) -> None:
    main, _ = window
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    document = main.opened.document if main.opened else None
    assert document is not None
    start = document.text.index("ImageNet Classification")
    x0, y0, x1, y1 = document.fragments(start, start + len("ImageNet Classification"))[0].box
    page = main.view.pages[0]
    zoom = main.view.zoom
    qtbot.mousePress(
        page, Qt.MouseButton.LeftButton, pos=QPoint(int(x0 * zoom) - 2, int(y0 * zoom) - 1)
    )
    qtbot.mouseMove(page, QPoint(int(x1 * zoom) + 2, int(y1 * zoom) + 1))
    qtbot.mouseRelease(
        page, Qt.MouseButton.LeftButton, pos=QPoint(int(x1 * zoom) + 2, int(y1 * zoom) + 1)
    )
    assert main.view.selected_text() == "ImageNet Classification"
    main.view.copy_selection()
    assert QGuiApplication.clipboard().text() == "ImageNet Classification"


def test_settings_dialog_applies_and_keeps_its_values(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel], tmp_path: Path
) -> None:
    main, _ = window
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    dialog = main.models.open_settings()
    dialog.spins["top_k"].setValue(3)
    dialog.spins["stride"].setValue(64)
    dialog.provider.setCurrentText("cpu")
    with qtbot.waitSignal(main.runner.finished, timeout=60_000):
        dialog.accept()
    assert main.worker.settings.top_k == 3 and main.worker.settings.stride == 64
    assert main.opened is not None and main.ask_panel.question.isEnabled()
    ask(qtbot, main, "What is ImageNet?")
    assert main.ask_panel.answers.count() <= 3
    stored = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    saved = load_reader_settings(stored)
    assert (saved.top_k, saved.stride, saved.provider) == (3, 64, "cpu")
    reader_keys = [key for key in stored.allKeys() if key.startswith("reader/")]
    assert sorted(reader_keys) == ["reader/provider", "reader/stride", "reader/top_k"]


def test_settings_offer_the_built_in_models_by_tier_and_load_the_chosen_one(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel], tmp_path: Path
) -> None:
    from desktop_qa.core.model import shipped_models

    main, _ = window
    fast = shipped_models()[0]
    dialog = main.models.open_settings()
    offered = {
        dialog.model.itemText(i): dialog.model.itemData(i) for i in range(dialog.model.count())
    }
    measured = fast.manifest["measured"]
    label = (
        f"Fast: {fast.name} (F1 {measured['paragraph_f1']}, "
        f"{measured['seconds_per_question']} s a question)"
    )
    assert offered[label] == fast.name
    dialog.model.setCurrentText(label)
    with qtbot.waitSignal(main.runner.finished, timeout=60_000):
        dialog.accept()
    assert main.worker.assistant is not None and main.worker.assistant.model.path == fast.path
    stored = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    assert stored.value("model") == fast.name


def test_settings_left_alone_follow_newer_defaults(tmp_path: Path) -> None:
    stored = QSettings(str(tmp_path / "old.ini"), QSettings.Format.IniFormat)
    stored.setValue("reader/retrieval_k", 8)  # an earlier version stored every default
    stored.setValue("reader/top_k", 3)
    loaded = load_reader_settings(stored)
    assert loaded.retrieval_k == ReaderSettings().retrieval_k and loaded.top_k == 3
    save_reader_settings(stored, replace(loaded, top_k=ReaderSettings().top_k))
    assert stored.allKeys() == []


def test_marking_an_answer_is_kept_in_the_history(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel]
) -> None:
    main, _ = window
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    ask(qtbot, main, "What is ImageNet?")
    main.ask_panel.mark_requested.emit(1, False)
    assert main.ask_panel.answers.item(0).text().endswith("marked wrong")
    with HistoryStore() as store:
        assert store.questions()[0].answers[0].verdict is False


def test_without_a_model_the_first_run_dialog_imports_one(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path
) -> None:
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    main = MainWindow(settings, model_path=tmp_path / "no-model-here")
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.first_run is not None, timeout=30_000)
    dialog = main.first_run
    assert dialog is not None and dialog.isVisible() and "does not exist" in dialog.message.text()
    assert "distilbert-base-cased-distilled-squad" in [
        dialog.curated.itemText(i) for i in range(dialog.curated.count())
    ]
    source = checkpoint(tmp_path / "my-qa", tiny_model / "tokenizer.json")
    dialog.import_requested.emit(source)
    qtbot.waitUntil(lambda: main.first_run is None, timeout=120_000)
    assert main.worker.assistant is not None and main.worker.assistant.model.name == "my-qa"
    assert settings.value("model") == "my-qa"
    main.close()


def test_an_encrypted_pdf_asks_for_its_password(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel], tmp_path: Path
) -> None:
    main, _ = window
    secret = encrypted_pdf(tmp_path / "secret.pdf", "sesame")
    main.open_file(secret)
    dialog = main.findChild(QInputDialog, "password-dialog")
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("wrong")
    dialog.accept()
    retry = [d for d in main.findChildren(QInputDialog, "password-dialog") if d.isVisible()]
    assert retry and "not right" in retry[0].labelText()
    retry[0].setTextValue("sesame")
    retry[0].accept()
    qtbot.waitUntil(lambda: main.opened is not None, timeout=30_000)
    assert main.opened is not None and "launch date" in main.opened.document.text


def test_dropping_a_pdf_opens_it(qtbot: QtBot, window: tuple[MainWindow, CountingModel]) -> None:
    main, _ = window
    alexnet = shared_file("corpus", "alexnet.pdf")
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(alexnet))])
    drop = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    main.dropEvent(drop)
    qtbot.waitUntil(lambda: main.opened is not None, timeout=30_000)
    assert main.path == alexnet and main.view.page_count == 9


def test_without_a_model_a_document_can_still_be_read_and_searched(
    qtbot: QtBot, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat)
    main = MainWindow(settings, model_path=tmp_path / "no-model-here")
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.first_run is not None, timeout=30_000)
    assert main.first_run is not None
    main.first_run.reject()
    main.open_file(shared_file("corpus", "alexnet.pdf"))
    qtbot.waitUntil(lambda: front(main).text_only is not None, timeout=30_000)
    assert not main.ask_panel.question.isEnabled()
    assert "can be read and searched" in main.ask_panel.status.text()
    qtbot.keyClicks(main.find_box, "dropout")
    assert front(main).hits
    main.close()


def test_a_folder_of_pdfs_is_asked_at_once_and_answers_open_their_document(
    qtbot: QtBot, window: tuple[MainWindow, CountingModel], tmp_path: Path
) -> None:
    main, _ = window
    library = tmp_path / "library"
    library.mkdir()
    (library / "alexnet.pdf").write_bytes(shared_file("corpus", "alexnet.pdf").read_bytes())
    text_pdf(library / "castle.pdf", ["The castle was built in 1066 by the duke."])
    main.open_library(library)
    qtbot.waitUntil(lambda: len(front(main).folder) == 2, timeout=60_000)
    assert "Library: 2 PDFs" in main.ask_panel.status.text()
    ask(qtbot, main, "When was the castle built?")
    shown = main.ask_panel._shown
    assert shown and all(a.document is not None for a in shown)
    names = {a.document.name for a in shown if a.document}
    assert names <= {"alexnet.pdf", "castle.pdf"}
    chosen = shown[0]
    assert chosen.document is not None
    assert main.path == chosen.document and main.view.highlights_on(chosen.page - 1)
    by_title = {"alexnet.pdf": "ImageNet Classification", "castle.pdf": "castle"}
    assert by_title[chosen.document.name] in chosen.title  # named by title, not file name
    assert chosen.title in main.ask_panel.answers.item(0).text()


def test_a_thorough_question_shows_better_answers_while_it_reads(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path
) -> None:
    main, model = make_window(qtbot, tmp_path, tiny_model, delay=0.05, batch_size=1)
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    main.ask_panel.thorough.setChecked(True)
    main.ask_panel.question.setText("What is dropout?")
    qtbot.keyClick(main.ask_panel.question, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "still reading" in main.ask_panel.status.text(), timeout=30_000)
    assert main.ask_panel.answers.count() >= 1 and main.ask_panel.progress.isVisible()
    calls_when_shown = model.calls
    with qtbot.waitSignal(main.runner.finished, timeout=60_000):
        pass
    assert model.calls > calls_when_shown, "answers showed before the reading ended"
    assert "still reading" not in main.ask_panel.status.text()
    assert main.ask_panel.answers.count() >= 1 and not main.ask_panel.progress.isVisible()
    main.close()


def test_the_about_box_states_the_shipped_models_facts_as_model_list_does(
    qtbot: QtBot, tmp_path: Path
) -> None:
    info = resolve_model(None)
    if info.stand_in:
        pytest.skip("no model shipped in models/")
    main, _ = make_window(qtbot, tmp_path, info.path)
    listed = subprocess.run(
        [sys.executable, "-m", "desktop_qa", "model", "list"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    from desktop_qa.core.model import shipped_models
    from desktop_qa.gui.help_dialogs import about_text

    assistant = main.worker.ensure_assistant()
    about = about_text(assistant.model, assistant.provider)
    assert info.measured is not None and info.measured in info.facts
    for fact in (info.version, info.manifest["description"], "; ".join(info.facts)):
        assert fact in about and fact in listed
    for built_in in shipped_models():  # every built-in model, with its tier and facts
        assert f"<b>{built_in.tier}</b>: {built_in.name}" in about
        assert "; ".join(built_in.facts) in about
    main.close()


def test_answers_show_their_calibrated_confidence_and_not_found_keeps_the_guesses(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path
) -> None:
    from tests.oracle import OracleLogits, calibrated_copy, token_span

    model = calibrated_copy(tiny_model, tmp_path / "calibrated", threshold=0.5)
    oracle = OracleLogits(None)
    worker = WorkerState(model, ReaderSettings())
    worker.assistant = Assistant(load_model_info(model), worker.settings, oracle)
    main = MainWindow(
        QSettings(str(tmp_path / "gui.ini"), QSettings.Format.IniFormat), worker=worker
    )
    qtbot.addWidget(main)
    main.show()
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    assert main.opened is not None
    text = main.opened.document.text
    start = text.index("60 million parameters")
    strong = token_span(main.opened.tokens, start, start + len("60 million"))
    oracle.span = strong
    ask(qtbot, main, "How many parameters does the network have?")
    first = main.ask_panel.answers.item(0).text()
    assert first.startswith("60 million") and "likely right, 99%" in first and "█" in first
    assert "Not found" not in main.ask_panel.status.text()

    oracle.span = None
    oracle.others = {strong: 4.0}  # the same span, weakly: below the 'not found' threshold
    ask(qtbot, main, "How many parameters does the network have?")
    assert main.ask_panel.status.text().startswith("Not found in this document.")
    assert "best guesses" in main.ask_panel.status.text()
    guess = main.ask_panel.answers.item(0).text()
    assert guess.startswith("60 million") and "guess · unsure, 27%" in guess
    main.close()
