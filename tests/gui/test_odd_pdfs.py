"""The desktop app opens every odd or broken PDF: a rendered page or a dialog, never a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop_qa.gui.main_window import MainWindow
from tests.gui.test_main_window import make_window
from tests.robustness.test_odd_cli import BUDGET_S, ODD


def _outcome(main: MainWindow) -> str | None:
    """What the user sees once opening has settled, or None while it goes on."""
    for kind, name in ((QMessageBox, "error-dialog"), (QInputDialog, "password-dialog")):
        dialog = main.findChild(kind, name)
        if dialog is not None and dialog.isVisible():
            return name
    if main.opened is not None and 0 in main.view.rendered_pages:
        return "rendered"
    return None


def _close_dialogs(main: MainWindow) -> None:
    for kind in (QMessageBox, QInputDialog):
        for dialog in main.findChildren(kind):
            dialog.close()
            dialog.deleteLater()


@pytest.mark.skipif(not ODD, reason="../shared/corpus/odd is not available")
def test_every_odd_pdf_shows_a_page_or_a_dialog_in_time(
    qtbot: QtBot, tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTOP_QA_OCR", "0")  # OCR has its own tests; keep each file quick
    main, _ = make_window(qtbot, tmp_path, tiny_model)
    outcomes: dict[str, str] = {}
    for path in ODD:
        began = time.monotonic()
        main.open_file(path)
        qtbot.waitUntil(lambda: _outcome(main) is not None, timeout=BUDGET_S * 1000)
        outcome = _outcome(main)
        assert outcome is not None
        outcomes[path.name] = outcome
        if outcome == "error-dialog":
            dialog = main.findChild(QMessageBox, "error-dialog")
            assert dialog is not None
            assert dialog.informativeText() or dialog.text(), path.name
            assert "Traceback" not in dialog.text() + dialog.informativeText(), path.name
        assert time.monotonic() - began < BUDGET_S, path.name
        _close_dialogs(main)
    rendered = sum(outcome == "rendered" for outcome in outcomes.values())
    assert rendered > len(ODD) // 2, outcomes
    main.close()
