"""A per-document cache of extraction and tokenisation, keyed by the file's sha256.

Opening a PDF again, or asking it a second question after a restart, then
skips text extraction and tokenisation: only the reader runs. Entries are
versioned (a change to extraction bumps ``EXTRACTION_VERSION`` and old entries
are ignored), written to a temporary name and renamed into place, and an
unreadable entry is treated as a miss. Encrypted PDFs are never cached, so
their text is not left in the clear.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from desktop_qa.core.chunking import DocumentTokens
from desktop_qa.core.config import data_dir
from desktop_qa.core.document import Document, Page

log = logging.getLogger(__name__)

EXTRACTION_VERSION = 3  # 3: titles from the first page when the PDF has none
TOKENS_VERSION = 2  # 2: boundary marks tokens inside a word


class DocumentCache:
    """Documents and their tokens on disk, one folder per document hash."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or data_dir() / "cache" / "documents"

    def _folder(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def load_document(self, sha256: str, path: Path | None) -> Document | None:
        """The cached document for this hash, or None."""
        entry = self._folder(sha256) / f"document-v{EXTRACTION_VERSION}.npz"
        try:
            with np.load(entry, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                return Document(
                    path=path,
                    sha256=sha256,
                    title=meta["title"],
                    text=str(data["text"]),
                    pages=tuple(Page(**page) for page in meta["pages"]),
                    char_page=data["char_page"],
                    char_box=data["char_box"],
                    char_line=data["char_line"],
                )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("ignoring unreadable cache entry %s: %s", entry, exc)
            return None

    def store_document(self, document: Document) -> None:
        meta = {"title": document.title, "pages": [page.__dict__ for page in document.pages]}
        self._write(
            self._folder(document.sha256) / f"document-v{EXTRACTION_VERSION}.npz",
            meta=np.array(json.dumps(meta)),
            text=np.array(document.text),
            char_page=document.char_page,
            char_box=document.char_box,
            char_line=document.char_line,
        )

    def load_tokens(self, sha256: str, tokenizer_key: str) -> DocumentTokens | None:
        entry = self._folder(sha256) / f"tokens-v{TOKENS_VERSION}-{tokenizer_key[:16]}.npz"
        try:
            with np.load(entry, allow_pickle=False) as data:
                return DocumentTokens(data["ids"], data["offsets"], data["boundary"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            log.debug("ignoring unreadable cache entry %s: %s", entry, exc)
            return None

    def store_tokens(self, sha256: str, tokenizer_key: str, tokens: DocumentTokens) -> None:
        self._write(
            self._folder(sha256) / f"tokens-v{TOKENS_VERSION}-{tokenizer_key[:16]}.npz",
            ids=tokens.ids,
            offsets=tokens.offsets,
            boundary=tokens.boundary,
        )

    def _write(self, target: Path, **arrays: np.ndarray) -> None:
        """Write atomically, compressed (a paper's boxes and tokens shrink 3-5x, and read
        back in milliseconds); a cache that cannot be written is only a slower next time."""
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(suffix=".npz", dir=target.parent)
            try:
                with (
                    os.fdopen(handle, "wb") as stream,
                    zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as npz,
                ):
                    for name, array in arrays.items():  # an .npz as np.load reads it
                        with npz.open(f"{name}.npy", "w", force_zip64=True) as member:
                            np.lib.format.write_array(member, np.asanyarray(array))
                Path(temporary).replace(target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            log.warning("could not cache %s: %s", target.parent.name, exc.strerror or exc)
