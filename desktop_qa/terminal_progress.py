"""Progress of long counted work, printed on stderr for the command line."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def counted_progress(what: str, lead: str = "") -> Callable[[int, int], None]:
    """Report ``{lead}done of total {what}`` on stderr at every 5% and at the end, with
    the time left."""
    began = time.perf_counter()
    shown = -1

    def report(done: int, total: int) -> None:
        nonlocal shown
        percent = 100 * done // total if total else 100
        if percent == shown or (percent % 5 and done != total):
            return
        shown = percent
        elapsed = time.perf_counter() - began
        left = f", about {elapsed / done * (total - done):.0f} s left" if done else ""
        print(f"{lead}{done} of {total} {what} ({percent}%{left})", file=sys.stderr, flush=True)

    return report
