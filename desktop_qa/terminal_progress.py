"""Progress of long counted work, printed on stderr for the command line."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def counted_progress(what: str, lead: str = "") -> Callable[[int, int], None]:
    """Report ``{lead}done of total {what}`` on stderr once at each 5 percent mark
    passed and at the end, with the time left."""
    began = time.perf_counter()
    next_mark = 5

    def report(done: int, total: int) -> None:
        nonlocal next_mark
        percent = 100 * done // total if total else 100
        if percent < next_mark and done != total:
            return
        next_mark = percent - percent % 5 + 5
        elapsed = time.perf_counter() - began
        left = elapsed / done * (total - done) if done else 0.0
        print(
            f"{lead}{done} of {total} {what} ({percent}%, about {left:.0f} s left)",
            file=sys.stderr, flush=True,
        )  # fmt: skip

    return report
