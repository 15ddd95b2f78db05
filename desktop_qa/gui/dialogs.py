"""Settings and first-run dialogs, and the settings they read and write."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop_qa.core.config import PROVIDER_CHOICES, ReaderSettings
from desktop_qa.core.errors import InputError
from desktop_qa.core.model import ModelInfo

#: The reader settings the dialog offers, with their ranges.
INT_RANGES = {"top_k": (1, 20), "stride": (0, 256), "max_answer_tokens": (1, 100)}
OFFERED = (*INT_RANGES, "provider", "no_answer_threshold")
BUILT_IN = "built-in default"
MODELS_OWN = -50.0  # the threshold box's lowest value, shown as "the model's own"


def load_reader_settings(settings: QSettings) -> ReaderSettings:
    """Reader settings saved by the dialog; defaults for anything missing or invalid.

    Only what the dialog offers is read: any other stored value (earlier versions
    stored them all) can only be an old default, and would hide a newer one.
    """
    defaults = ReaderSettings()
    values: dict[str, Any] = {}
    for name in OFFERED:
        stored = settings.value(_key(name))
        if stored is None:
            continue
        kind = float if name == "no_answer_threshold" else type(getattr(defaults, name))
        try:
            values[name] = kind(stored)
        except (TypeError, ValueError):
            continue
    try:
        return ReaderSettings(**values)
    except InputError:
        return defaults


def save_reader_settings(settings: QSettings, reader: ReaderSettings) -> None:
    """Store the values the person changed from the defaults, and nothing else, so
    a later release's better defaults reach every setting left alone."""
    defaults = ReaderSettings()
    for field in fields(ReaderSettings):
        key = _key(field.name)
        value = getattr(reader, field.name)
        if field.name in OFFERED and value != getattr(defaults, field.name):
            settings.setValue(key, value)
        else:
            settings.remove(key)


def _key(name: str) -> str:
    # The threshold was a logit margin before models had calibrations; a value
    # stored then means nothing as a probability, so it lives under a new key.
    return "reader/not_found_threshold" if name == "no_answer_threshold" else f"reader/{name}"


def model_choice(info: ModelInfo) -> str:
    """How Settings offer a built-in model: its tier, name, F1 and speed."""
    measured = info.measured_figures
    if not {"paragraph_f1", "seconds_per_question"} <= set(measured):
        return f"{info.tier}: {info.name}"
    return (
        f"{info.tier}: {info.name} (F1 {measured['paragraph_f1']}, "
        f"{measured['seconds_per_question']} s a question)"
    )


def saved_model(settings: QSettings) -> Path | None:
    """The model folder or installed name chosen in settings; None for the default."""
    value = settings.value("model")
    return Path(str(value)) if value else None


class SettingsDialog(QDialog):
    """Model, provider and reading settings; the caller saves and applies them."""

    def __init__(
        self,
        reader: ReaderSettings,
        model: Path | None,
        models: list[tuple[str, str]],
        parent: QWidget | None,
    ) -> None:
        """``models``: (what the list shows, the name saved) of each model on offer."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.model = QComboBox()
        self.model.addItem(BUILT_IN, None)
        for label, name in models:
            self.model.addItem(label, name)
        if model is not None and self.model.findData(str(model)) < 0:
            self.model.addItem(str(model), str(model))
        self.model.setCurrentIndex(max(0, self.model.findData(str(model) if model else None)))
        browse = QPushButton("Folder…")
        browse.clicked.connect(self._browse)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(browse)
        self.provider = QComboBox()
        self.provider.addItems(list(PROVIDER_CHOICES))
        self.provider.setCurrentText(reader.provider)
        self.spins: dict[str, QSpinBox] = {}
        form = QFormLayout()
        form.addRow("Model", model_row)
        form.addRow("Run on", self.provider)
        labels = {"top_k": "Answers shown", "stride": "Window overlap (tokens)",
                  "max_answer_tokens": "Longest answer (tokens)"}  # fmt: skip
        for name, (low, high) in INT_RANGES.items():
            spin = QSpinBox()
            spin.setRange(low, high)
            spin.setValue(getattr(reader, name))
            self.spins[name] = spin
            form.addRow(labels[name], spin)
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(MODELS_OWN, 50.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setSpecialValueText("the model's own")  # shown at the minimum: None
        threshold = reader.no_answer_threshold
        self.threshold.setValue(MODELS_OWN if threshold is None else threshold)
        self.threshold.setToolTip(
            "Say 'not found' when the best answer's confidence is below this "
            "(for a model without a calibration: when its 'no answer' score beats the "
            "best answer's by more than this)"
        )
        form.addRow("'Not found' threshold", self.threshold)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._base = reader

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder")
        if folder:
            self.model.addItem(folder, folder)
            self.model.setCurrentIndex(self.model.count() - 1)

    def reader_settings(self) -> ReaderSettings:
        return replace(
            self._base,
            **{name: spin.value() for name, spin in self.spins.items()},
            provider=self.provider.currentText(),
            no_answer_threshold=(
                None if self.threshold.value() <= MODELS_OWN else self.threshold.value()
            ),
        )

    def chosen_model(self) -> Path | None:
        data = self.model.currentData()
        return Path(str(data)) if data else None


class FirstRunDialog(QDialog):
    """Shown when no model can be found: install a curated one or import a folder."""

    install_requested = Signal(str)
    import_requested = Signal(Path)

    def __init__(self, reason: str, curated: list[str], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("A question-answering model is needed")
        self.message = QLabel(
            f"{reason}\n\ndesktop-qa needs a model to answer questions. Install one "
            "(downloads from the Hugging Face Hub) or import a model folder you have."
        )
        self.message.setWordWrap(True)
        self.curated = QComboBox()
        self.curated.addItems(curated)
        self.install = QPushButton("Install")
        self.install.clicked.connect(
            lambda: self.install_requested.emit(self.curated.currentText())
        )
        self.import_button = QPushButton("Import a folder…")
        self.import_button.clicked.connect(self._import)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.curated, 1)
        row.addWidget(self.install)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addWidget(self.import_button)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(close)

    def _import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a model folder")
        if folder:
            self.import_requested.emit(Path(folder))

    def working(self, message: str) -> None:
        self.install.setEnabled(False)
        self.import_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.status.setText(message)

    def show_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def failed(self, message: str) -> None:
        self.install.setEnabled(True)
        self.import_button.setEnabled(True)
        self.progress.setVisible(False)
        self.status.setText(message)
