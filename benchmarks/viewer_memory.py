"""Memory of the viewer scrolling a long PDF end to end, against a short one.

    QT_QPA_PLATFORM=offscreen python benchmarks/viewer_memory.py [--pages 2000] [--json OUT]

Generates a text PDF of ``--pages`` pages and one of 20, and in this process
(offscreen, fit to a 1280x820 window's page width) scrolls each from the first
page to the last, every page painted on the way, then the thumbnails from top to
bottom. Prints resident memory (RSS) after each step and how much the long
document added over the short one: rendered pages and thumbnails are kept in
bounded caches, so the difference should be the page widgets and pymupdf's own
page tree, not the renders.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pymupdf
from PySide6.QtWidgets import QApplication

from desktop_qa.gui.pdf_view import PdfView
from desktop_qa.gui.sidebar import Sidebar


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_pdf(path: Path, pages: int) -> Path:
    document = pymupdf.open()
    for number in range(1, pages + 1):
        page = document.new_page()
        text = f"Page {number}. " + "The castle was rebuilt after the fire of the year. " * 40
        page.insert_textbox(pymupdf.Rect(54, 54, 558, 760), text, fontsize=10)
    document.save(path)
    return path


def scroll_through(app: QApplication, path: Path) -> dict[str, float]:
    view = PdfView()
    view.resize(900, 800)
    view.show()
    before = rss_mib()
    view.load(path)
    view.fit_width()
    opened = rss_mib()
    began = time.perf_counter()
    for page in range(1, view.page_count + 1):
        view.go_to_page(page)
        view.pages[page - 1].repaint()
        app.processEvents()
    seconds = time.perf_counter() - began
    scrolled = rss_mib()
    sidebar = Sidebar()
    sidebar.resize(200, 800)
    sidebar.show()
    sidebar.show_document(view)
    sidebar.setCurrentWidget(sidebar.thumbnails)
    sidebar.thumbnails.doItemsLayout()
    bar = sidebar.thumbnails.verticalScrollBar()
    bar.setValue(0)  # the sidebar opened at the page the view is on, the last
    rendered = set()
    while True:
        app.processEvents()
        while sidebar._timer.isActive():
            app.processEvents()
        rendered.update(sidebar.rendered_thumbnails())
        if bar.value() >= bar.maximum():
            break
        bar.setValue(bar.value() + bar.pageStep())
        app.processEvents()
    thumbnails = rss_mib()
    figures = {
        "pages": float(view.page_count),
        "open_mib": round(opened - before, 1),
        "after_scrolling_mib": round(scrolled - before, 1),
        "after_thumbnails_mib": round(thumbnails - before, 1),
        "ms_per_page": round(1000 * seconds / view.page_count, 1),
        "pages_rendered_kept": float(len(view.rendered_pages)),
        "thumbnails_rendered": float(len(rendered)),
        "thumbnails_kept": float(len(sidebar.rendered_thumbnails())),
    }
    sidebar.show_document(None)
    view.close_document()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    app = QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        short = scroll_through(app, make_pdf(Path(folder) / "short.pdf", 20))
        long = scroll_through(app, make_pdf(Path(folder) / "long.pdf", args.pages))
    for name, figures in (("20 pages", short), (f"{args.pages} pages", long)):
        print(f"{name:<12}", "  ".join(f"{k} {v:g}" for k, v in figures.items()))
    extra = long["after_thumbnails_mib"] - short["after_thumbnails_mib"]
    print(f"memory the long document added over the short one: {extra:.0f} MiB")
    if args.json:
        args.json.write_text(json.dumps({"short": short, "long": long}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
