"""What the window remembers between runs, in its settings: the recently opened
documents and the last session's documents with the page each was at."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

RECENT_FILES = 10


class Session:
    """Recent documents and the last session, kept in ``settings``."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def recent(self) -> list[str]:
        """Recently opened documents, the latest first."""
        return _strings(self.settings.value("recent_files", []))

    def opened(self, path: Path) -> None:
        """Put a document first among the recent ones."""
        resolved = str(path.resolve())
        recent = [resolved, *[p for p in self.recent() if p != resolved]]
        self.settings.setValue("recent_files", recent[:RECENT_FILES])

    def last(self) -> list[tuple[Path, int | None]]:
        """The documents open when the app last closed (those still there), and their pages."""
        documents = []
        for entry in _strings(self.settings.value("session", [])):
            path, _, page = entry.rpartition("|")
            if path and Path(path).is_file():
                documents.append((Path(path), int(page) if page.isdigit() else None))
        return documents

    def keep(self, documents: list[tuple[Path, int]]) -> None:
        """Remember the open documents and their pages for the next start."""
        self.settings.setValue("session", [f"{path}|{page}" for path, page in documents])


def _strings(value: object) -> list[str]:
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v]
