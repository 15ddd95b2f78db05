"""The window's small dialogs: keyboard shortcuts (F1), about, a web link's confirmation
and errors. Non-modal (``open``) so tests and the event loop go on."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_qa import __version__


def shortcuts_dialog(parent: QWidget, rows: list[tuple[str, str]]) -> QMessageBox:
    """F1's list: every shortcut with what it does."""
    table = "".join(f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in rows)
    box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts",
                      f"<table cellpadding=3>{table}</table>", parent=parent)  # fmt: skip
    box.setObjectName("shortcuts-dialog")
    box.open()
    return box


def about_dialog(parent: QWidget, model_facts: str, built_in: list[str]) -> None:
    """Versions, the model in use and the built-in models (a line of facts each)."""
    import onnxruntime
    import pymupdf
    import PySide6

    shipped = "".join(f"<li>{line}</li>" for line in built_in)
    QMessageBox.about(
        parent,
        "About desktop-qa",
        f"<b>desktop-qa {__version__}</b><p>Ask questions about PDFs, answered by a "
        f"local extractive QA model.</p><p>Model: {model_facts}</p>"
        f"<p>Built-in models:</p><ul>{shipped}</ul>"
        f"<p>PySide6 {PySide6.__version__} (LGPL-3.0), PyMuPDF {pymupdf.VersionBind} "
        f"(AGPL-3.0), ONNX Runtime {onnxruntime.__version__} (MIT).</p>",
    )


def confirm_web_link(parent: QWidget, url: str) -> QMessageBox:
    """Ask before a clicked web link goes to the browser (PDF links can mislead)."""
    box = QMessageBox(
        QMessageBox.Icon.Question, "Open a web link?",
        f"This link in the document goes to:\n\n{url}\n\nOpen it in your browser?",
        QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel, parent,
    )  # fmt: skip
    box.setObjectName("link-dialog")
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.accepted.connect(lambda: QDesktopServices.openUrl(QUrl(url)))
    box.open()
    return box


def error_dialog(parent: QWidget, title: str, message: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, parent=parent)
    box.setObjectName("error-dialog")
    box.open()
    return box
