"""desktop-qa: ask questions about PDFs with a local extractive QA model."""

__version__ = "0.1.0"
