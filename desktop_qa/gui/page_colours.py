"""Page colours: as printed, dark, or following the system's colour scheme (the
default). Only what is shown changes; the view inverts text and keeps images."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QGuiApplication

PAGE_COLOURS = ("system", "light", "dark")
SETTING = "page_colours"


class PageColours(QObject):
    """The chosen mode, kept in the settings; ``changed`` says pages must redraw."""

    changed = Signal()

    def __init__(self, settings: QSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _: self.changed.emit())

    def mode(self) -> str:
        value = str(self.settings.value(SETTING, "system"))
        return value if value in PAGE_COLOURS else "system"

    def dark(self) -> bool:
        """Whether pages show dark: chosen so, or following a dark system."""
        mode = self.mode()
        if mode == "system":
            return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
        return mode == "dark"

    def choose(self, mode: str) -> None:
        self.settings.setValue(SETTING, mode)
        self.changed.emit()

    def toggle(self) -> None:
        self.choose("light" if self.dark() else "dark")
