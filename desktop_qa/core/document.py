"""Open a PDF and build its reading text, with every character mapped to its box.

The text is what a reader would read: ligatures expanded, words hyphenated at
line ends joined again, two-column pages read column by column, running
headers, footers and page numbers left out, and Unicode normalised. Every
character that comes from the page keeps the page it is on and its box in PDF
points (pymupdf's page coordinates: origin at the top left, y growing down).
Characters the extraction adds itself (the space between two lines, the
newline between two blocks) have no box.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from desktop_qa.core.errors import (
    CancelledError,
    DamagedPDFError,
    DocumentNotFoundError,
    EncryptedPDFError,
    NotAPDFError,
    NoTextLayerError,
    SlowDocumentError,
)

if TYPE_CHECKING:
    import pymupdf

    from desktop_qa.core.cache import DocumentCache

Box = tuple[float, float, float, float]

#: Presentation-form ligatures, expanded by hand so both letters keep the glyph's box.
LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
#: Spacing accents that TeX places over a neighbouring letter, as combining marks.
SPACING_ACCENTS = {
    "\u00b4": "\u0301",
    "`": "\u0300",
    "\u00a8": "\u0308",
    "\u02c6": "\u0302",
    "\u02dc": "\u0303",
    "\u00b8": "\u0327",
    "\u02c7": "\u030c",
    "\u02da": "\u030a",
    "\u00af": "\u0304",
    "\u02d8": "\u0306",
    "\u02d9": "\u0307",
    "\u02dd": "\u030b",
}
#: A gap wider than this fraction of the glyph height between two glyphs is a word space.
WORD_GAP_FRACTION = 0.22
HYPHENS = frozenset("-\u2010\u00ad")
SOFT_HYPHEN = "\u00ad"
#: Blocks this close to the top or bottom edge (fraction of page height) may be running heads.
MARGIN_FRACTION = 0.09
PAGE_NUMBER = re.compile(
    r"^[-\u2013\u2014\s]*(page\s+)?(\d{1,4}|[ivxlcdm]{1,7})(\s*(/|of)\s*\d{1,4})?[-\u2013\u2014\s]*$",
    re.IGNORECASE,
)
PAGE_SEPARATOR = "\n\n"
OCR_LANGUAGE = "eng"
OCR_DPI = 300
BLOCK_SEPARATOR = "\n"


@dataclass(frozen=True)
class Page:
    """One page: its 1-based number, its text range and its size in points.

    ``ocr`` marks a page without a text layer whose text was recognised by OCR.
    """

    number: int
    char_start: int
    char_end: int
    width: float
    height: float
    has_text: bool
    ocr: bool = False


@dataclass(frozen=True)
class Fragment:
    """The part of a text range on one line of one page, as one box."""

    page: int
    box: Box


@dataclass(eq=False)
class Document:
    """A document's reading text and the map from its characters to the page.

    Attributes:
        path: The file it came from; None for plain text.
        sha256: Hash of the file bytes (or of the UTF-8 text).
        title: The PDF's title, else the file name.
        text: The clean reading text.
        pages: Every page, including those without text.
        char_page: 0-based page index of each character of ``text``.
        char_box: (x0, y0, x1, y1) of each character; NaN where it has none.
        char_line: Line id of each character; -1 where it has no box.
    """

    path: Path | None
    sha256: str
    title: str
    text: str
    pages: tuple[Page, ...]
    char_page: np.ndarray
    char_box: np.ndarray
    char_line: np.ndarray
    _page_starts: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._page_starts = np.array([p.char_start for p in self.pages], dtype=np.int64)

    @classmethod
    def from_text(cls, text: str, title: str = "text") -> Document:
        """A one-page document of plain text with no boxes (e.g. a SQuAD context)."""
        n = len(text)
        return cls(
            path=None,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            title=title,
            text=text,
            pages=(Page(1, 0, n, 0.0, 0.0, bool(text.strip())),),
            char_page=np.zeros(n, dtype=np.int32),
            char_box=np.full((n, 4), np.nan, dtype=np.float32),
            char_line=np.full(n, -1, dtype=np.int32),
        )

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def page_at(self, offset: int) -> int:
        """The 1-based page holding the character at ``offset``."""
        index = int(np.searchsorted(self._page_starts, offset, side="right")) - 1
        return self.pages[max(index, 0)].number

    def fragments(self, start: int, end: int) -> list[Fragment]:
        """One box per line fragment covered by ``text[start:end]``, in reading order."""
        lines = self.char_line[start:end]
        has_box = lines >= 0
        if not has_box.any():
            return []
        indices = np.nonzero(has_box)[0] + start
        line_ids = self.char_line[indices]
        cuts = np.nonzero(np.diff(line_ids))[0] + 1
        result = []
        for group in np.split(indices, cuts):
            boxes = self.char_box[group]
            box = (
                float(boxes[:, 0].min()),
                float(boxes[:, 1].min()),
                float(boxes[:, 2].max()),
                float(boxes[:, 3].max()),
            )
            result.append(Fragment(int(self.char_page[group[0]]) + 1, box))
        return result


# --- reading a PDF -------------------------------------------------------------------------

Char = tuple[str, Box]


@dataclass
class _Line:
    """One line of normalised text and a box per character (float32, n x 4)."""

    text: str
    boxes: np.ndarray


@dataclass
class _Block:
    """A text block of one page: its lines."""

    page: int
    bbox: Box
    lines: list[_Line]

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)


def open_pdf(
    path: str | Path,
    password: str | None = None,
    cache: DocumentCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    budget_s: float = 0.0,
) -> Document:
    """Open a PDF and extract its reading text and character map.

    With a ``cache``, a document seen before (same bytes) is loaded from it, and a
    new one is stored in it unless it is encrypted. ``progress(pages done, pages)``
    is called as pages are read, and ``cancelled()`` is checked before each page,
    as is the time budget (``budget_s`` seconds; 0 for none).

    Raises:
        DocumentNotFoundError, NotAPDFError, EncryptedPDFError, DamagedPDFError,
        NoTextLayerError, SlowDocumentError: with a message that says what is wrong.
        CancelledError: when ``cancelled()`` turns true.
    """
    import pymupdf

    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise DocumentNotFoundError(f"{path}: {what}")
    data = _read_bytes(path)
    if not data:
        raise NotAPDFError(f"{path}: the file is empty")
    if b"%PDF-" not in data[:1024]:
        raise NotAPDFError(f"{path}: not a PDF (no %PDF header)")
    sha256 = hashlib.sha256(data).hexdigest()
    if cache is not None and (cached := cache.load_document(sha256, path)) is not None:
        return cached
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)
    try:
        pdf = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # MuPDF reports damage as several exception types
        raise DamagedPDFError(f"{path}: the PDF is damaged and cannot be read ({exc})") from exc
    with pdf:
        if pdf.needs_pass:
            if password is None:
                raise EncryptedPDFError(
                    f"{path}: the PDF is password-protected; give its password with --password"
                )
            if not pdf.authenticate(password):
                raise EncryptedPDFError(f"{path}: wrong password for this PDF")
        if pdf.page_count == 0:
            raise DamagedPDFError(f"{path}: the PDF has no pages")
        deadline = time.monotonic() + budget_s if budget_s > 0 else math.inf
        document = _build_document(pdf, path, sha256, progress, cancelled, deadline)
        if cache is not None and not pdf.is_encrypted and password is None:
            cache.store_document(document)
        return document


def document_title(
    pdf: pymupdf.Document, path: Path, first_page: dict[str, Any] | None = None
) -> str:
    """The title a reader would give: the PDF's own when it looks like one, else the
    largest text at the top of the first page (papers often carry a file name or
    nothing as their title), else the file name. ``first_page``: the first page's
    rawdict, when the caller has read it already."""
    declared = " ".join(str((pdf.metadata or {}).get("title") or "").split())
    if _looks_like_a_title(declared):
        return declared
    try:
        if first_page is None:
            first_page = pdf[0].get_text("rawdict", flags=_text_flags())
        heading = _first_page_heading(first_page)
    except Exception:  # an unreadable first page: no heading
        heading = ""
    return heading or path.stem


def _looks_like_a_title(text: str) -> bool:
    words = text.split()
    tool_made = text.lower().startswith(("microsoft word", "untitled")) or bool(
        re.search(r"\.(docx?|tex|dvi|pdf|pptx?|indd|qxd)$", text.lower())
    )
    return len(words) >= 2 and not tool_made


def _first_page_heading(page: dict[str, Any]) -> str:
    """The first run of lines set in the page's largest type (and one font) in its top
    half: a paper's title, without the authors beneath it."""
    height = float(page.get("height") or 0) or 792.0
    lines: list[tuple[float, str, float, float, str]] = []  # size, font, top, bottom, text
    for block in page.get("blocks", []):
        for line in block.get("lines", []):
            if abs(line.get("dir", (1, 0))[1]) > 0.01:  # sideways, e.g. arXiv's margin stamp
                continue
            spans = line.get("spans", [])
            chars: list[Char] = [(c["c"], tuple(c["bbox"])) for s in spans for c in s["chars"]]
            text = " ".join("".join(c for c, _ in normalise_line(chars)).split())
            top, bottom = float(line["bbox"][1]), float(line["bbox"][3])
            if sum(c.isalpha() for c in text) < 3 or top > height / 2:
                continue
            weight: Counter[tuple[float, str]] = Counter()
            for span in spans:
                weight[(round(float(span["size"]) * 2) / 2, str(span["font"]))] += len(
                    span["chars"]
                )
            (size, font), _ = weight.most_common(1)[0]
            lines.append((size, font, top, bottom, text))
    if not lines:
        return ""
    largest = max(size for size, *_ in lines)
    body = sorted(size for size, *_ in lines)[len(lines) // 2]
    if largest < body * 1.15:  # nothing stands out from the text: no heading
        return ""
    ordered = sorted(lines, key=lambda line: line[2])
    first = next(line for line in ordered if line[0] == largest)
    chosen, bottom = [first[4]], first[3]
    for size, font, top, line_bottom, text in ordered[ordered.index(first) + 1 :]:
        if (size, font) != first[:2] or top - bottom > (first[3] - first[2]) * 1.2:
            break
        chosen.append(text)
        bottom = line_bottom
    heading = " ".join(chosen)
    return heading if len(heading) <= 250 else ""


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise DocumentNotFoundError(f"{path}: permission denied") from exc
    except OSError as exc:
        raise DocumentNotFoundError(f"{path}: cannot be read ({exc.strerror})") from exc


def _build_document(
    pdf: pymupdf.Document,
    path: Path,
    sha256: str,
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
    deadline: float,
) -> Document:
    page_blocks: list[list[_Block]] = []
    first_page: dict[str, Any] | None = None  # read once, for the text and for the title
    sizes: list[tuple[float, float]] = []
    image_pages = 0
    ocr_pages: set[int] = set()
    tessdata = ocr_languages_folder()
    for index in range(pdf.page_count):
        if cancelled is not None and cancelled():
            raise CancelledError(f"{path}: opening was cancelled")
        if time.monotonic() > deadline:
            raise SlowDocumentError(
                f"{path}: gave up at page {index + 1} of {pdf.page_count}: reading it took "
                "longer than the time budget for one document (--open-timeout SECONDS)"
            )
        if progress is not None:
            progress(index, pdf.page_count)
        try:
            page = pdf[index]
            size = (page.rect.width, page.rect.height)
            raw = page.get_text("rawdict", flags=_text_flags())
            first_page = raw if index == 0 else first_page
            blocks = _page_blocks(index, raw)
            if not blocks and page.get_images():
                image_pages += 1
                if tessdata is not None:
                    blocks = _ocr_blocks(page, index, tessdata)
                    ocr_pages.update([index] if blocks else [])
        except Exception:  # a broken page must not cost the others; it reads as empty
            size, blocks = (0.0, 0.0), []
        sizes.append(size)
        page_blocks.append(blocks)

    heights = [h for _, h in sizes]
    running = _running_heads(page_blocks, heights)
    builder = _TextBuilder()
    pages: list[Page] = []
    for index, blocks in enumerate(page_blocks):
        if pages:
            builder.add_separator(PAGE_SEPARATOR, index - 1)
        start = builder.length
        kept = [b for b in blocks if id(b) not in running]
        for block in _reading_order(kept, sizes[index][0]):
            builder.add_block(block)
        width, height = sizes[index]
        has_text = builder.length > start
        pages.append(
            Page(index + 1, start, builder.length, width, height, has_text, index in ocr_pages)
        )

    if not any(p.has_text for p in pages):
        if image_pages:
            how = (
                "OCR found no text in them"
                if tessdata is not None
                else "install Tesseract to read them by OCR (Debian/Ubuntu: apt install "
                "tesseract-ocr; elsewhere see tesseract-ocr.github.io)"
            )
            raise NoTextLayerError(
                f"{path}: no text layer; {image_pages} of {len(pages)} pages are images only "
                f"(a scanned document?), and {how}"
            )
        raise NoTextLayerError(f"{path}: the PDF contains no text")
    title = document_title(pdf, path, first_page)
    return builder.document(path, sha256, title, tuple(pages))


def ocr_languages_folder() -> str | None:
    """Tesseract's language data folder, or None when Tesseract is not installed.

    ``DESKTOP_QA_OCR=0`` turns OCR off.
    """
    import os

    if os.environ.get("DESKTOP_QA_OCR") == "0":
        return None
    return _tessdata()


@functools.cache
def _tessdata() -> str | None:
    """Where Tesseract's data is (looked up once a process: pymupdf runs a program)."""
    import pymupdf

    try:
        folder = pymupdf.get_tessdata()
    except Exception:  # pymupdf raises when it finds no Tesseract installation
        return None
    return str(folder) if folder and Path(folder, f"{OCR_LANGUAGE}.traineddata").is_file() else None


def _ocr_blocks(page: pymupdf.Page, index: int, tessdata: str) -> list[_Block]:
    """Text blocks recognised by Tesseract on a page that has only images."""
    try:
        textpage = page.get_textpage_ocr(
            language=OCR_LANGUAGE, dpi=OCR_DPI, full=True, tessdata=tessdata
        )
        return _page_blocks(index, page.get_text("rawdict", flags=_text_flags(), textpage=textpage))
    except Exception:  # a page OCR cannot read stays a page without text
        return []


def _text_flags() -> int:
    import pymupdf

    flags = int(pymupdf.TEXTFLAGS_RAWDICT | pymupdf.TEXT_PRESERVE_LIGATURES)
    return flags & ~int(pymupdf.TEXT_PRESERVE_IMAGES)


def _page_blocks(page_index: int, raw: dict[str, Any]) -> list[_Block]:
    """Text blocks of a page, keeping only lines in the page's main direction."""
    raw_blocks = [b for b in raw.get("blocks", []) if b.get("type") == 0]
    direction_weight: Counter[tuple[float, float]] = Counter()
    for block in raw_blocks:
        for line in block["lines"]:
            key = (round(line["dir"][0], 2), round(line["dir"][1], 2))
            direction_weight[key] += sum(len(s["chars"]) for s in line["spans"])
    if not direction_weight:
        return []
    main_direction = direction_weight.most_common(1)[0][0]
    blocks = []
    for block in raw_blocks:
        lines = []
        for line in block["lines"]:
            if (round(line["dir"][0], 2), round(line["dir"][1], 2)) != main_direction:
                continue
            chars: list[Char] = [
                (c["c"], tuple(c["bbox"])) for s in line["spans"] for c in s["chars"]
            ]
            normalised = normalise_line(chars)
            if normalised:
                text = "".join(c for c, _ in normalised)
                lines.append(_Line(text, np.array([b for _, b in normalised], dtype=np.float32)))
        if lines:
            boxes = np.concatenate([line.boxes for line in lines])
            bbox = (
                float(boxes[:, 0].min()),
                float(boxes[:, 1].min()),
                float(boxes[:, 2].max()),
                float(boxes[:, 3].max()),
            )
            blocks.append(_Block(page_index, bbox, lines))
    return blocks


def normalise_line(chars: list[Char]) -> list[Char]:
    """Normalise one line's characters, keeping a box for every output character.

    Ligatures become their letters, each with the ligature's box; TeX's spacing
    accents and combining marks merge into their letter (NFC) with the union of
    both boxes; mathematical alphanumerics and full-width forms fold to plain
    letters (NFKC); invisible and private-use characters are dropped; runs of
    whitespace become one space; the line is stripped. A line-final soft hyphen
    is kept so the caller can join the word.
    """
    chars = _insert_missing_spaces(_attach_spacing_accents(chars))
    out: list[Char] = []
    for index, (char, box) in enumerate(chars):
        if char == SOFT_HYPHEN and index == len(chars) - 1:
            out.append((char, box))
            continue
        for piece in _normalise_char(char):
            if piece == " ":
                if out and out[-1][0] != " ":
                    out.append((" ", box))
            elif not piece.isascii() and unicodedata.combining(piece) and out and out[-1][0] != " ":
                merged = unicodedata.normalize("NFC", out[-1][0] + piece)
                union = _union(out[-1][1], box)
                out[-1] = (merged[0], union)
                out.extend((extra, union) for extra in merged[1:])
            else:
                if box[2] - box[0] <= 0.01 and out and out[-1][0] != " ":
                    box = out[-1][1]  # a multi-letter glyph MuPDF split: share its box
                out.append((piece, box))
    while out and out[-1][0] == " ":
        out.pop()
    return out


@functools.cache
def _normalise_char(char: str) -> str:
    """One character as the reading text has it (cached: a page repeats few characters)."""
    if char in LIGATURES:
        return LIGATURES[char]
    code = ord(char)
    if char.isspace():
        return " "
    if 0x1D400 <= code <= 0x1D7FF or 0xFF01 <= code <= 0xFF5E:
        return unicodedata.normalize("NFKC", char)
    if 0xFE00 <= code <= 0xFE0F or unicodedata.category(char) in ("Cc", "Cf", "Co", "Cs"):
        return ""
    return unicodedata.normalize("NFC", char)


def _insert_missing_spaces(chars: list[Char]) -> list[Char]:
    """Add the word spaces a PDF leaves out, where two glyphs stand a space apart."""
    if len(chars) < 2:
        return chars
    boxes = np.array([box for _, box in chars], dtype=np.float64)
    blank = np.array([char.isspace() for char, _ in chars])
    heights = boxes[:, 3] - boxes[:, 1]
    gaps = boxes[1:, 0] - boxes[:-1, 2]
    wide = gaps > WORD_GAP_FRACTION * np.maximum(heights[1:], heights[:-1])
    before = np.nonzero(wide & ~blank[1:] & ~blank[:-1])[0] + 1  # a space goes before these
    if not len(before):
        return chars
    result: list[Char] = []
    last = 0
    for index in before.tolist():
        result.extend(chars[last:index])
        previous, box = chars[index - 1][1], chars[index][1]
        result.append((" ", (previous[2], box[1], box[0], box[3])))
        last = index
    result.extend(chars[last:])
    return result


def _attach_spacing_accents(chars: list[Char]) -> list[Char]:
    """Turn a spacing accent drawn over a neighbouring letter into a combining mark after it."""
    if not any(c in SPACING_ACCENTS for c, _ in chars):
        return chars
    result = list(chars)
    index = 0
    while index < len(result):
        char, box = result[index]
        if char in SPACING_ACCENTS:
            for neighbour in (index + 1, index - 1):
                if 0 <= neighbour < len(result) and _accent_fits(box, result[neighbour]):
                    letter, letter_box = result[neighbour]
                    composed = unicodedata.normalize("NFC", letter + SPACING_ACCENTS[char])
                    if len(composed) == 1:
                        low, high = sorted((index, neighbour))
                        result[low : high + 1] = [(composed, _union(box, letter_box))]
                        break
        index += 1
    return result


def _accent_fits(accent_box: Box, neighbour: Char) -> bool:
    letter, box = neighbour
    if not letter.isalpha():
        return False
    overlap = min(accent_box[2], box[2]) - max(accent_box[0], box[0])
    width = max(accent_box[2] - accent_box[0], 0.1)
    return overlap >= 0.5 * width


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _running_heads(page_blocks: list[list[_Block]], heights: list[float]) -> set[int]:
    """Ids of blocks that are page numbers or headers/footers repeated across pages."""
    # (block, its text, the text with numbers masked: the same on every page for a running head)
    candidates: list[tuple[_Block, str, str]] = []
    for blocks, height in zip(page_blocks, heights, strict=True):
        for block in blocks:
            in_margin = (
                block.bbox[3] <= MARGIN_FRACTION * height
                or block.bbox[1] >= (1 - MARGIN_FRACTION) * height
            )
            text = block.text.strip()
            if in_margin and len(text) <= 120:
                candidates.append((block, text, re.sub(r"\d+", "#", text.lower())))
    pattern_pages: dict[str, set[int]] = {}
    for block, _, pattern in candidates:
        pattern_pages.setdefault(pattern, set()).add(block.page)
    repeat_threshold = max(2, math.ceil(0.3 * len(page_blocks)))
    return {
        id(block)
        for block, text, pattern in candidates
        if PAGE_NUMBER.match(text) or len(pattern_pages[pattern]) >= repeat_threshold
    }


def _reading_order(blocks: list[_Block], page_width: float) -> list[_Block]:
    """Order blocks as read: full-width blocks split the page into bands; in a
    band laid out in two columns, the left column is read before the right."""
    if not blocks or page_width <= 0:
        return blocks
    middle = page_width / 2
    tolerance = 0.02 * page_width

    def column(block: _Block) -> str:
        if block.bbox[2] <= middle + tolerance:
            return "left"
        if block.bbox[0] >= middle - tolerance:
            return "right"
        return "full"

    ordered: list[_Block] = []
    band: list[_Block] = []

    def flush() -> None:
        left = [b for b in band if column(b) == "left"]
        right = [b for b in band if column(b) == "right"]
        if sum(len(b.text) for b in left) >= 100 and sum(len(b.text) for b in right) >= 100:
            ordered.extend(sorted(left, key=lambda b: b.bbox[1]))
            ordered.extend(sorted(right, key=lambda b: b.bbox[1]))
        else:
            ordered.extend(sorted(band, key=lambda b: (b.bbox[1], b.bbox[0])))
        band.clear()

    for block in sorted(blocks, key=lambda b: (b.bbox[1], b.bbox[0])):
        if column(block) == "full":
            flush()
            ordered.append(block)
        else:
            band.append(block)
    flush()
    return ordered


class _TextBuilder:
    """Accumulates text in pieces (a line or a separator), each with its page,
    line id and character boxes, and joins them once at the end."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.boxes: list[np.ndarray] = []
        self.pages: list[int] = []
        self.lines: list[int] = []
        self.length = 0
        self.line_count = 0

    def add_separator(self, separator: str, page: int) -> None:
        self._append(separator, np.full((len(separator), 4), np.nan, np.float32), page, -1)

    def add_block(self, block: _Block) -> None:
        for line in block.lines:
            if self.length and self._last(1) != "\n" and not self._join_hyphenated(line):
                separator = " " if line is not block.lines[0] else BLOCK_SEPARATOR
                self.add_separator(separator, block.page)
            self._append(line.text, line.boxes, block.page, self.line_count)
            self.line_count += 1

    def _last(self, count: int) -> str:
        """The last ``count`` characters so far."""
        tail = ""
        for text in reversed(self.texts):
            tail = text + tail
            if len(tail) >= count:
                break
        return tail[-count:]

    def _join_hyphenated(self, next_line: _Line) -> bool:
        """Join a word broken at a line-end hyphen; True when no space is wanted.

        The hyphen is dropped when it splits a lowercase word ("con-" + "volution");
        it stays when the word has capitals or digits ("IO-" + "aware").
        """
        tail = self._last(2)
        last, before = tail[-1], tail[:-1]
        if last not in HYPHENS:
            return False
        first = next_line.text[0]
        if last == SOFT_HYPHEN or (before.islower() and first.islower()):
            self.texts[-1] = self.texts[-1][:-1]  # a line never ends with a separator's char
            self.boxes[-1] = self.boxes[-1][:-1]
            self.length -= 1
            return True
        # "IO-" + "aware": a hyphen inside a compound stays, with no space after it.
        return before.isalnum() and first.isalpha()

    def _append(self, text: str, boxes: np.ndarray, page: int, line: int) -> None:
        self.texts.append(text)
        self.boxes.append(boxes)
        self.pages.append(page)
        self.lines.append(line)
        self.length += len(text)

    def document(self, path: Path, sha256: str, title: str, pages: tuple[Page, ...]) -> Document:
        sizes = [len(text) for text in self.texts]
        return Document(
            path=path,
            sha256=sha256,
            title=title,
            text="".join(self.texts),
            pages=pages,
            char_page=np.repeat(np.array(self.pages, dtype=np.int32), sizes),
            char_box=(np.concatenate(self.boxes) if self.boxes else np.zeros((0, 4), np.float32)),
            char_line=np.repeat(np.array(self.lines, dtype=np.int32), sizes),
        )
