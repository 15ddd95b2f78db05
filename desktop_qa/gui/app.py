"""Start the desktop app: the QApplication and the main window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from desktop_qa.core.config import data_dir
from desktop_qa.gui.main_window import MainWindow

SETTINGS_NAME = "gui.ini"


def settings() -> QSettings:
    """The window's settings, an INI file in the data folder."""
    return QSettings(str(data_dir() / SETTINGS_NAME), QSettings.Format.IniFormat)


def run(file: Path | None = None, model: Path | None = None) -> int:
    """Show the main window (opening ``file`` if given) and run until it closes."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("desktop-qa")
    window = MainWindow(settings(), model)
    window.show()
    if file is not None:
        window.open_file(file)
    return app.exec()
