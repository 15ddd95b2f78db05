"""The window's menus and toolbar: every action with its shortcut, and F1's list of
them. Actions call the window's (and its tab's) methods; nothing else lives here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QMenuBar

from desktop_qa.gui.page_colours import PAGE_COLOURS

if TYPE_CHECKING:
    from desktop_qa.gui.main_window import MainWindow

#: keys that act without a menu entry, for F1's list beside the menus' shortcuts
OTHER_KEYS = (
    ("Enter (in the question box)", "ask"),
    ("Esc (in the question box)", "cancel the running question"),
    ("Up / Down (in the question box or the answers)",
     "the previous / next answer, highlighted on its page"),
    ("Ctrl+wheel", "zoom in / out"),
    ("PgUp / PgDn / Home / End", "previous / next / first / last page"),
    ("Drag on a page", "select text to copy"),
)  # fmt: skip
EXPORTS = (("CSV…", "csv"), ("JSON…", "json"), ("Markdown…", "md"), ("Annotated PDF…", "pdf"))


@dataclass
class WindowActions:
    """The actions the window updates after it was built."""

    back: QAction
    forward: QAction
    page_colours: QActionGroup
    recent: QMenu


def build_menus(window: MainWindow) -> WindowActions:
    """Fill the window's menu bar and toolbar."""

    def action(text: str, slot: Any, shortcut: Any = None, menu: QMenu | None = None) -> QAction:
        made = QAction(text, window)
        if shortcut is not None:
            made.setShortcut(QKeySequence(shortcut))
        made.triggered.connect(slot)
        if menu is not None:
            menu.addAction(made)
        return made

    def on_view(method: str) -> Any:
        return lambda: window.current_view_do(method)

    keys = QKeySequence.StandardKey
    files = window.menuBar().addMenu("&File")
    open_action = action("&Open…", window.choose_file, keys.Open, files)
    recent = files.addMenu("Open &Recent")
    action("Ask a &Folder of PDFs…", window.choose_library, "Ctrl+Shift+O", files)
    action("Ask a &List of Questions…", window.ask_list, "Ctrl+Shift+L", files)
    export = files.addMenu("&Export this document's history")
    for label, fmt in EXPORTS:
        action(label, lambda _=False, f=fmt: window.history.export(window.tab, f), None, export)
    files.addSeparator()
    action("&Close Tab", lambda: window.close_tab(window.tab), keys.Close, files)
    action("&Quit", window.close, keys.Quit, files)

    edit = window.menuBar().addMenu("&Edit")
    action("&Copy selected text", on_view("copy_selection"), keys.Copy, edit)
    action("Copy the &Answer with Its Citation", window.copy_answer, "Ctrl+Shift+C", edit)
    action("&Ask a Question", window.focus_question, "Ctrl+L", edit)
    action("&Find…", window.focus_find, keys.Find, edit)
    action("Find &Next", lambda: window.current_tab_do("find_next"), keys.FindNext, edit)
    edit.addSeparator()
    action("&Settings…", window.models.open_settings, keys.Preferences, edit)

    view = window.menuBar().addMenu("&View")
    zoom_in = action("Zoom &In", on_view("zoom_in"), keys.ZoomIn, view)
    zoom_out = action("Zoom &Out", on_view("zoom_out"), keys.ZoomOut, view)
    fit_width = action("Fit &Width", on_view("fit_width"), "Ctrl+1", view)
    action("Fit &Page", on_view("fit_page"), "Ctrl+2", view)
    view.addSeparator()
    back = action("&Back", on_view("back"), "Alt+Left", view)
    forward = action("For&ward", on_view("forward"), "Alt+Right", view)
    action("&Go to Page…", window.ask_page, "Ctrl+G", view)
    action("Ne&xt Tab", lambda: window.step_tab(1), "Ctrl+Tab", view)
    action("Pre&vious Tab", lambda: window.step_tab(-1), "Ctrl+Shift+Tab", view)
    view.addSeparator()
    colours = view.addMenu("Page &Colours")
    group = QActionGroup(window)
    for mode, label in zip(PAGE_COLOURS, ("Follow the &System", "&Light", "&Dark"), strict=True):
        chosen = action(label, lambda _=False, m=mode: window.set_page_colours(m), None, colours)
        chosen.setCheckable(True)
        chosen.setData(mode)
        group.addAction(chosen)
    action("Dark Pages &On or Off", window.page_colours.toggle, "Ctrl+Shift+D", colours)
    sidebar = window.sidebar_dock.toggleViewAction()
    sidebar.setShortcut(QKeySequence("F9"))
    view.addAction(sidebar)
    library = window.library_dock.toggleViewAction()
    library.setShortcut(QKeySequence("Ctrl+Shift+B"))
    library.toggled.connect(window.library_toggled)
    view.addAction(library)

    help_menu = window.menuBar().addMenu("&Help")
    action("&Keyboard shortcuts", window.show_shortcuts, "F1", help_menu)
    action("&About desktop-qa", window.about, None, help_menu)

    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("main-toolbar")
    for made in (open_action, back, forward, zoom_out, zoom_in, fit_width):
        toolbar.addAction(made)
    toolbar.addWidget(QLabel(" Page "))
    toolbar.addWidget(window.page_box)
    toolbar.addSeparator()
    toolbar.addWidget(window.find_box)
    return WindowActions(back, forward, group, recent)


def shortcut_rows(menu_bar: QMenuBar) -> list[tuple[str, str]]:
    """Every menu action with a shortcut, then the keys that act without one."""
    rows = []
    for menu in menu_bar.findChildren(QMenu):
        for made in menu.actions():
            keys = made.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys and not made.menu():
                rows.append((keys, made.text().replace("&", "").removesuffix("…")))
    return list(dict.fromkeys(rows)) + list(OTHER_KEYS)
