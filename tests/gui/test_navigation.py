"""Reading like in a PDF reader: outline, thumbnails, back and forward, tabs, dark pages,
the welcome page and the last session, on real papers from the shared corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pymupdf
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMenu, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from desktop_qa.gui.main_window import MainWindow
from desktop_qa.gui.pdf_view import PdfView
from desktop_qa.gui.sidebar import PAGE_ROLE
from tests.conftest import shared_file
from tests.gui.event_loop import longest_gap
from tests.gui.test_main_window import ask, front, make_window, open_and_wait


@pytest.fixture
def reader(qtbot: QtBot, tmp_path: Path, tiny_model: Path) -> Iterator[MainWindow]:
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    yield main
    main.close()


def outline_items(window: MainWindow) -> list[QTreeWidgetItem]:
    tree = window.sidebar.outline
    items = []
    walk = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    while walk:
        item = walk.pop(0)
        if item is not None:
            items.append(item)
            walk = [item.child(i) for i in range(item.childCount())] + walk
    return items


def test_an_outline_entry_jumps_to_its_page_and_alt_left_comes_back(
    qtbot: QtBot, reader: MainWindow
) -> None:
    main = reader
    path = shared_file("corpus", "flashattn.pdf")
    open_and_wait(qtbot, main, path)
    toc = pymupdf.open(path).get_toc()
    entries = outline_items(main)
    assert [item.text(0) for item in entries] == [" ".join(t.split()) for _, t, _ in toc]
    chosen = next(item for item in entries if item.data(0, PAGE_ROLE) >= 5)
    page = chosen.data(0, PAGE_ROLE)
    tree = main.sidebar.outline
    tree.scrollToItem(chosen)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualItemRect(chosen).center())  # fmt: skip
    qtbot.waitUntil(lambda: main.view.current_page() == page, timeout=5_000)
    assert main.back_action.isEnabled() and not main.forward_action.isEnabled()

    qtbot.keyClick(main.view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: main.view.current_page() == 1, timeout=5_000)
    assert main.forward_action.isEnabled()
    qtbot.keyClick(main.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: main.view.current_page() == page, timeout=5_000)


def test_the_outline_follows_the_page_being_read(qtbot: QtBot, reader: MainWindow) -> None:
    main = reader
    path = shared_file("corpus", "flashattn.pdf")
    open_and_wait(qtbot, main, path)
    toc = pymupdf.open(path).get_toc()
    main.page_box.setValue(toc[3][2])  # typing a page number is not a jump through links
    qtbot.waitUntil(lambda: main.sidebar.outline.currentItem() is not None, timeout=5_000)
    current = main.sidebar.outline.currentItem()
    assert current is not None
    assert current.data(0, PAGE_ROLE) <= toc[3][2]
    later = [page for _, _, page in toc if page > current.data(0, PAGE_ROLE)]
    assert not later or min(later) > toc[3][2]


def test_a_thumbnail_click_moves_the_view_and_thumbnails_render_lazily(
    qtbot: QtBot, reader: MainWindow
) -> None:
    main = reader
    open_and_wait(qtbot, main, shared_file("corpus", "flashattn.pdf"))
    sidebar = main.sidebar
    sidebar.setCurrentWidget(sidebar.thumbnails)
    qtbot.waitUntil(lambda: len(sidebar.rendered_thumbnails()) > 0, timeout=5_000)
    qtbot.waitUntil(lambda: not sidebar._timer.isActive(), timeout=10_000)
    rendered = sidebar.rendered_thumbnails()
    assert 0 in rendered and len(rendered) < 34  # only those in sight of 34 pages
    item = sidebar.thumbnails.item(rendered[-1])
    qtbot.mouseClick(sidebar.thumbnails.viewport(), Qt.MouseButton.LeftButton,
                     pos=sidebar.thumbnails.visualItemRect(item).center())  # fmt: skip
    qtbot.waitUntil(lambda: main.view.current_page() == rendered[-1] + 1, timeout=5_000)

    bar = sidebar.thumbnails.verticalScrollBar()
    with longest_gap() as stalled:
        while bar.value() < bar.maximum():  # a reader scrolling down the pages
            bar.setValue(bar.value() + bar.pageStep() // 2)
            qtbot.waitUntil(lambda: not sidebar._timer.isActive(), timeout=10_000)
    assert 33 in sidebar.rendered_thumbnails()
    assert stalled[0] < 0.1, f"the event loop stalled for {stalled[0]:.3f} s"


def test_tabs_keep_their_own_document_questions_and_page(qtbot: QtBot, reader: MainWindow) -> None:
    main = reader
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    first = front(main)
    ask(qtbot, main, "What does the network use to reduce overfitting?")
    main.view.go_to_page(3)
    first_answers = [first.ask_panel.answers.item(i).text()
                     for i in range(first.ask_panel.answers.count())]  # fmt: skip
    assert first_answers

    main.open_file(shared_file("corpus", "flashattn.pdf"))
    qtbot.waitUntil(lambda: main.tabs.count() == 2 and main.opened is not None, timeout=60_000)
    second = front(main)
    assert second is not first and second.ask_panel.answers.count() == 0
    ask(qtbot, main, "What is FlashAttention?")
    assert second.history_panel.list.count() == 1

    qtbot.keyClick(main.view, Qt.Key.Key_Tab, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: main.tab is first, timeout=5_000)
    assert main.view.current_page() == 3
    assert first.path == shared_file("corpus", "alexnet.pdf")
    shown = [first.ask_panel.answers.item(i).text()
             for i in range(first.ask_panel.answers.count())]  # fmt: skip
    assert shown == first_answers
    questions = [first.history_panel.list.item(i).text()
                 for i in range(first.history_panel.list.count())]  # fmt: skip
    assert len(questions) == 1 and "overfitting" in questions[0]


def test_dark_pages_invert_text_and_keep_images(qtbot: QtBot) -> None:
    path = shared_file("corpus", "alexnet.pdf")
    view = PdfView()
    qtbot.addWidget(view)
    view.load(path)
    page = pymupdf.open(path)[7]  # photographs of ImageNet classes beside text
    scale = 1.5
    light = view.render_page(7, scale)
    view.set_dark_pages(True)
    dark = view.render_page(7, scale)
    assert (light.width, light.height) == (dark.width, dark.height)

    def pixel(pixmap: pymupdf.Pixmap, x: float, y: float) -> tuple[int, ...]:
        return tuple(pixmap.pixel(int(x * scale), int(y * scale)))

    image = pymupdf.Rect(page.get_image_info()[0]["bbox"])
    inside = [(image.x0 + image.width * i / 10, image.y0 + image.height * j / 10)
              for i in range(2, 9) for j in range(2, 9)]  # fmt: skip
    assert all(pixel(light, x, y) == pixel(dark, x, y) for x, y in inside)
    assert len({pixel(light, x, y) for x, y in inside}) > 5  # a photograph, not a blank

    ink = []
    for x0, y0, x1, y1, *_ in page.get_text("words")[:200]:
        for i in range(1, 8):
            for j in range(1, 4):
                x, y = x0 + (x1 - x0) * i / 8, y0 + (y1 - y0) * j / 4
                if sum(pixel(light, x, y)) < 200:  # a dark pixel of a letter
                    ink.append((x, y))
    assert len(ink) > 100
    for x, y in ink:
        inverted = zip(pixel(light, x, y), pixel(dark, x, y), strict=True)
        assert all(abs(d - (255 - v)) <= 1 for v, d in inverted)
    margin = pixel(dark, 5, 5)
    assert max(margin) < 30  # the paper is dark


def test_without_a_document_the_welcome_page_lists_recent_documents(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path
) -> None:
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    assert main.stack.currentWidget() is main.welcome
    assert main.sidebar_dock.isHidden()  # nothing to outline yet
    alexnet = shared_file("corpus", "alexnet.pdf")
    open_and_wait(qtbot, main, alexnet)
    assert main.stack.currentWidget() is main.tabs and main.sidebar_dock.isVisible()
    main.close_tab(main.tab)
    assert main.stack.currentWidget() is main.welcome
    recent = [main.welcome.recent.item(i).text() for i in range(main.welcome.recent.count())]
    assert recent == ["ImageNet Classification with Deep Convolutional Neural Networks\n"
                      "    alexnet.pdf"]  # fmt: skip
    main.close()


def test_the_last_session_reopens_its_documents_at_their_pages(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path
) -> None:
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    main.view.go_to_page(4)
    main.open_file(shared_file("corpus", "flashattn.pdf"))
    qtbot.waitUntil(lambda: main.tabs.count() == 2 and main.opened is not None, timeout=60_000)
    main.view.go_to_page(12)
    main.close()

    again, _ = make_window(qtbot, tmp_path, tiny_model)
    qtbot.waitUntil(lambda: again.tabs.count() == 2, timeout=10_000)
    tabs = again.all_tabs()
    qtbot.waitUntil(lambda: all(tab.view.pdf is not None for tab in tabs), timeout=60_000)
    pages = {tab.path.name: tab.view.current_page() for tab in tabs if tab.path is not None}
    assert pages == {"alexnet.pdf": 4, "flashattn.pdf": 12}
    again.close()


def test_f1_lists_every_menu_shortcut(qtbot: QtBot, reader: MainWindow) -> None:
    main = reader
    box = main.show_shortcuts()
    text = box.text() + box.informativeText() + (box.detailedText() or "")
    menus = main.menuBar().findChildren(QMenu)
    shortcuts = [action.shortcut().toString() for menu in menus for action in menu.actions()
                 if not action.shortcut().isEmpty()]  # fmt: skip
    assert {"Alt+Left", "Alt+Right", "Ctrl+L", "F9", "Ctrl+Shift+B"} <= set(shortcuts)
    assert all(shortcut in text for shortcut in shortcuts)
    box.close()


def test_dark_pages_follow_the_view_menu(qtbot: QtBot, reader: MainWindow) -> None:
    main = reader
    open_and_wait(qtbot, main, shared_file("corpus", "alexnet.pdf"))
    shown_dark = []
    for mode in ("dark", "light"):
        main.set_page_colours(mode)
        shown_dark.append(main.view.dark_pages)
    assert shown_dark == [True, False]
    assert (
        QSettings(main.settings.fileName(), QSettings.Format.IniFormat).value("page_colours")
        == "light"
    )
