"""Pictures of the window with a highlighted answer, light and dark, for a person to look at.

Saved in ``DESKTOP_QA_SCREENSHOTS`` when set, else under ``artifacts/screenshots``
in CI (``CI=true``), else in the test's temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop_qa.gui.app import apply_theme
from desktop_qa.gui.sidebar import PAGE_ROLE
from tests.conftest import shared_file
from tests.gui.test_main_window import ask, make_window, open_and_wait


def screenshot_folder(tmp_path: Path) -> Path:
    in_ci = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    default = in_ci if os.environ.get("CI") == "true" else tmp_path
    folder = Path(os.environ.get("DESKTOP_QA_SCREENSHOTS", default))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save_screenshot(window: QWidget, tmp_path: Path, name: str) -> QImage:
    """Save a picture of the window for a person to look at; the picture."""
    target = screenshot_folder(tmp_path) / name
    image = window.grab().toImage()
    assert image.save(str(target)) and target.stat().st_size > 20_000
    return image


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
    ask(qtbot, main, "How many parameters does the network have?")
    qtbot.wait(200)
    image = save_screenshot(main, tmp_path, f"main-window-{theme}.png")
    window_color = image.pixelColor(image.width() - 5, image.height() // 2).lightness()
    assert (window_color < 100) == (theme == "dark")
    main.close()


@pytest.mark.parametrize("theme", ["light", "dark"], indirect=True)
def test_screenshot_of_the_outline_and_answer_cards(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path, theme: str
) -> None:
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    main.resize(1400, 860)
    main.set_page_colours(theme)
    open_and_wait(qtbot, main, shared_file("corpus", "flashattn.pdf"))
    main.sidebar.setCurrentWidget(main.sidebar.outline)
    chosen = main.sidebar.outline.topLevelItem(2)
    assert chosen is not None
    main.sidebar.outline.setCurrentItem(chosen)
    main.sidebar.page_chosen.emit(chosen.data(0, PAGE_ROLE), None)
    ask(qtbot, main, "How much faster is FlashAttention?")
    qtbot.wait(300)
    image = save_screenshot(main, tmp_path, f"outline-and-cards-{theme}.png")
    page = main.view.pages[main.view.current_page() - 1]
    seen = page.visibleRegion().boundingRect()  # the part of the page in the window
    corner = page.mapTo(main, seen.topLeft() + QPoint(3, 3))
    paper = image.pixelColor(corner.x(), corner.y()).lightness()
    assert (paper < 60) == (theme == "dark")  # the page itself is dark in dark mode
    main.close()
