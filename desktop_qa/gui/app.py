"""Start the desktop app: the QApplication and the main window."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from desktop_qa.core.config import data_dir, shipped_dir
from desktop_qa.gui.main_window import MainWindow

SETTINGS_NAME = "gui.ini"
ICON = shipped_dir("resources") / "desktop-qa.svg"
DARK = {
    QPalette.ColorRole.Window: "#2b2d30",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1f2023",
    QPalette.ColorRole.AlternateBase: "#2a2c2f",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#35373b",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#2f6fbd",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#35373b",
    QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.PlaceholderText: "#8a8d91",
}


def settings() -> QSettings:
    """The window's settings, an INI file in the data folder."""
    return QSettings(str(data_dir() / SETTINGS_NAME), QSettings.Format.IniFormat)


def apply_theme(app: QApplication, dark: bool | None = None) -> bool:
    """Light or dark, following the system unless told; returns whether it is dark."""
    if dark is None:
        dark = app.styleHints().colorScheme() == Qt.ColorScheme.Dark
    app.setStyle("Fusion")
    palette = app.style().standardPalette()
    if dark:
        for role, color in DARK.items():
            palette.setColor(role, QColor(color))
    app.setPalette(palette)
    return dark


def run(file: Path | None = None, model: Path | None = None) -> int:
    """Show the main window (opening ``file`` if given) and run until it closes."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("desktop-qa")
    apply_theme(app)
    app.styleHints().colorSchemeChanged.connect(lambda _: apply_theme(app))
    if ICON.is_file():
        app.setWindowIcon(QIcon(str(ICON)))
    window = MainWindow(settings(), model)
    window.show()
    if file is not None:
        window.open_file(file)
    quit_after = os.environ.get("DESKTOP_QA_QUIT_AFTER_MS")  # for smoke tests of a build
    if quit_after:
        QTimer.singleShot(int(quit_after), window.close)
    return app.exec()
