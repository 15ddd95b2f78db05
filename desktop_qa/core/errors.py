"""Known, user-facing failures, each with its own process exit code.

Bugs are not modelled here: they raise ordinary exceptions. Everything in this
module is something a user can cause and fix (a wrong path, a scanned PDF, a
missing model), so the CLI prints its message on one line and exits with
``exit_code``.
"""

from __future__ import annotations


class DesktopQAError(Exception):
    """Base of every failure the user should see as one clear message."""

    exit_code = 1


class DocumentError(DesktopQAError):
    """A document cannot be opened or read."""

    exit_code = 10


class DocumentNotFoundError(DocumentError):
    """The path does not exist or is not a regular file."""

    exit_code = 11


class NotAPDFError(DocumentError):
    """The file is not a PDF."""

    exit_code = 12


class EncryptedPDFError(DocumentError):
    """The PDF needs a password, or the password given is wrong."""

    exit_code = 13


class NoTextLayerError(DocumentError):
    """The PDF has pages but no extractable text (scanned or image-only)."""

    exit_code = 14


class DamagedPDFError(DocumentError):
    """The PDF is too damaged to read."""

    exit_code = 15


class SlowDocumentError(DocumentError):
    """Opening the PDF took longer than its time budget (a pathological file?)."""

    exit_code = 16


class InputError(DesktopQAError):
    """A question or an option value is unusable."""

    exit_code = 20


class EmptyQuestionError(InputError):
    """The question is empty or only whitespace."""

    exit_code = 21


class DatasetError(InputError):
    """A SQuAD-format file or questions file cannot be read."""

    exit_code = 22


class ModelError(DesktopQAError):
    """The QA model cannot be found, loaded or run."""

    exit_code = 30


class ModelNotFoundError(ModelError):
    """No model directory was given or installed."""

    exit_code = 31


class BrokenModelError(ModelError):
    """A model directory exists but its files are missing or unreadable."""

    exit_code = 32


class ProviderError(ModelError):
    """The requested execution provider is not available."""

    exit_code = 33


class CancelledError(DesktopQAError):
    """The user cancelled a long operation."""

    exit_code = 130


class OutputError(DesktopQAError):
    """A result cannot be written (no space, no permission, missing folder)."""

    exit_code = 40


class NetworkError(ModelError):
    """A model download failed (no network, server error, cut transfer)."""

    exit_code = 34


class HistoryError(DesktopQAError):
    """The history database cannot be opened, read or written."""

    exit_code = 50
