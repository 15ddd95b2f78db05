"""Pictures of the window with a highlighted answer, light and dark, for a person to look at.

Saved in ``DESKTOP_QA_SCREENSHOTS`` when set, else under ``artifacts/screenshots``
in CI (``CI=true``), else in the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop_qa.gui.app import apply_theme
from tests.conftest import shared_file
from tests.gui.test_main_window import make_window, open_and_wait


@pytest.fixture
def theme(qapp: QApplication, request: pytest.FixtureRequest) -> Iterator[str]:
    name: str = request.param
    apply_theme(qapp, dark=name == "dark")
    yield name
    apply_theme(qapp, dark=False)


@pytest.mark.parametrize("theme", ["light", "dark"], indirect=True)
def test_screenshot_of_a_highlighted_answer(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path, theme: str
) -> None:
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    main.resize(1280, 800)
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    main.view.fit_width()
    main.ask_panel.question.setText("How many parameters does the network have?")
    with qtbot.waitSignal(main.runner.finished, timeout=60_000):
        qtbot.keyClick(main.ask_panel.question, Qt.Key.Key_Return)
    qtbot.wait(200)
    in_ci = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    default = in_ci if os.environ.get("CI") == "true" else tmp_path
    folder = Path(os.environ.get("DESKTOP_QA_SCREENSHOTS", default))
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"main-window-{theme}.png"
    image = main.grab().toImage()
    assert image.save(str(target)) and target.stat().st_size > 20_000
    window_color = image.pixelColor(image.width() - 5, image.height() // 2).lightness()
    assert (window_color < 100) == (theme == "dark")
    main.close()
