"""Choosing the model and the reader's settings: the Settings dialog, the first-run
dialog, installing a curated model, importing one from a folder.

Each choice becomes one job on the window's runner that (installs or imports,
then) loads the model and reads every open document again with it, so no tab
keeps windows cut by the model before.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QWidget

from desktop_qa.core.assistant import OpenDocument
from desktop_qa.core.config import ReaderSettings
from desktop_qa.gui.dialogs import (
    FirstRunDialog,
    SettingsDialog,
    model_choice,
    save_reader_settings,
)
from desktop_qa.gui.worker import WorkerState

#: (kind, job): a job for the window's runner; kinds are "install", "import", "reload"
Submit = Callable[[str, Any], None]
MODEL_JOBS = ("install", "import", "reload")


class ModelActions(QObject):
    """The model and settings choices of one window."""

    #: every open document read again with the new model: {path: OpenDocument}
    documents_reopened = Signal(object)
    loading = Signal(str)  # a note while the model loads

    def __init__(
        self, parent: QWidget, settings: QSettings, worker: WorkerState, submit: Submit,
        open_paths: Callable[[], list[Path]],
    ) -> None:  # fmt: skip
        super().__init__(parent)
        self.window = parent
        self.settings = settings
        self.worker = worker
        self.submit = submit
        self.open_paths = open_paths
        self.first_run: FirstRunDialog | None = None

    def open_settings(self) -> SettingsDialog:
        from desktop_qa.core.model import available_models, shipped_models

        offered = [(model_choice(info), info.path.name) for info in shipped_models()]
        offered += [
            (info.path.name, info.path.name)
            for where, info in available_models()
            if where == "installed"
        ]
        dialog = SettingsDialog(self.worker.settings, self.worker.model_path, offered, self.window)
        dialog.accepted.connect(
            lambda: self.apply_settings(dialog.reader_settings(), dialog.chosen_model())
        )
        dialog.open()
        return dialog

    def apply_settings(self, reader: ReaderSettings, model: Path | None) -> None:
        """Save settings, then reload the model and the open documents with them."""
        save_reader_settings(self.settings, reader)
        self.settings.setValue("model", str(model) if model else "")
        self.use_model(model, reader, "reload")

    def use_model(
        self, model: Path | None, reader: ReaderSettings, kind: str, prepare: Any = None
    ) -> None:
        """A job that (optionally prepares then) loads ``model`` and re-opens the documents."""
        worker, paths = self.worker, self.open_paths()
        self.loading.emit("Loading the model…")

        def job(cancelled: Any, progress: Any) -> dict[Path, OpenDocument]:
            chosen = prepare(progress) if prepare is not None else model
            worker.model_path, worker.settings, worker.assistant = chosen, reader, None
            assistant = worker.ensure_assistant()
            return {path: assistant.open(path) for path in paths}

        self.submit(kind, job)

    def show_first_run(self, reason: str) -> FirstRunDialog:
        from desktop_qa.core.download import known_models

        curated = [name for name, model in known_models().items() if model.repo]
        dialog = FirstRunDialog(reason, curated, self.window)
        dialog.install_requested.connect(self.install_model)
        dialog.import_requested.connect(self.import_model)
        self.first_run = dialog
        dialog.open()
        return dialog

    def install_model(self, name: str) -> None:
        from desktop_qa.core.download import install_model, known_models

        if self.first_run is not None:
            self.first_run.working(f"Downloading and importing {name}…")

        def prepare(progress: Any) -> Path:
            install_model(
                known_models()[name], progress=lambda _, done, total: progress(done, total or 0)
            )
            return Path(name)

        self.settings.setValue("model", name)
        self.use_model(None, self.worker.settings, "install", prepare)

    def import_model(self, folder: Path) -> None:
        from desktop_qa.core.convert import import_model

        if self.first_run is not None:
            self.first_run.working(f"Importing {folder.name} (export, quantize, verify)…")

        def prepare(progress: Any) -> Path:
            return Path(import_model(folder).name)

        self.settings.setValue("model", folder.name)
        self.use_model(None, self.worker.settings, "import", prepare)

    # --- results, from the window's job dispatch -------------------------------------

    def changed(self, result: object) -> None:
        if self.first_run is not None:
            self.first_run.accept()
            self.first_run = None
        self.documents_reopened.emit(result if isinstance(result, dict) else {})

    def failed(self, message: str) -> bool:
        """Show a failed install, import or reload in the first-run dialog if it is open;
        False when the window should say it instead."""
        if self.first_run is None:
            return False
        self.first_run.failed(message)
        return True

    def progressed(self, done: int, total: int) -> bool:
        if self.first_run is None:
            return False
        self.first_run.show_progress(done, total)
        return True
