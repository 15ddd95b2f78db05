"""A picture of the window with a highlighted answer, for a person to look at.

Saved in ``DESKTOP_QA_SCREENSHOTS`` when set (CI keeps it as an artifact),
else in the test's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.conftest import shared_file
from tests.gui.test_main_window import make_window, open_and_wait


def test_screenshot_of_a_highlighted_answer(qtbot: QtBot, tmp_path: Path, tiny_model: Path) -> None:
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    main.resize(1280, 800)
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    main.view.fit_width()
    main.ask_panel.question.setText("How many parameters does the network have?")
    with qtbot.waitSignal(main.runner.finished, timeout=60_000):
        qtbot.keyClick(main.ask_panel.question, Qt.Key.Key_Return)
    qtbot.wait(200)
    folder = Path(os.environ.get("DESKTOP_QA_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "main-window-light.png"
    assert main.grab().save(str(target))
    assert target.stat().st_size > 20_000
    main.close()
