"""The window's small dialogs: keyboard shortcuts (F1), about, a web link's confirmation
and errors. Non-modal (``open``) so tests and the event loop go on."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from desktop_qa import __version__
from desktop_qa.core.model import ModelInfo


def shortcuts_dialog(parent: QWidget, rows: list[tuple[str, str]]) -> QMessageBox:
    """F1's list: every shortcut with what it does."""
    table = "".join(f"<tr><td><b>{keys}</b></td><td>{what}</td></tr>" for keys, what in rows)
    box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts",
                      f"<table cellpadding=3>{table}</table>", parent=parent)  # fmt: skip
    box.setObjectName("shortcuts-dialog")
    box.open()
    return box


def about_dialog(parent: QWidget, model: ModelInfo | None, provider: str) -> None:
    QMessageBox.about(parent, "About desktop-qa", about_text(model, provider))


def about_text(model: ModelInfo | None, provider: str) -> str:
    """Versions, the model in use (or ``provider``'s note while there is none) and the
    built-in models, a line of facts each."""
    import onnxruntime
    import pymupdf
    import PySide6

    from desktop_qa.core.model import shipped_models

    in_use = provider
    if model is not None:
        lines = [f"{model.name} {model.version}, on {provider}"]
        if model.manifest.get("description"):
            lines.append(str(model.manifest["description"]))
        lines.append("; ".join(model.facts))
        in_use = "<br>".join(lines)
    built_in = "".join(
        f"<li><b>{m.tier}</b>: {m.name} {m.version}; {'; '.join(m.facts)}</li>"
        for m in shipped_models()
    )
    return (
        f"<b>desktop-qa {__version__}</b><p>Ask questions about PDFs, answered by a "
        f"local extractive QA model.</p><p>Model: {in_use}</p>"
        f"<p>Built-in models:</p><ul>{built_in}</ul>"
        f"<p>PySide6 {PySide6.__version__} (LGPL-3.0), PyMuPDF {pymupdf.VersionBind} "
        f"(AGPL-3.0), ONNX Runtime {onnxruntime.__version__} (MIT).</p>"
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
