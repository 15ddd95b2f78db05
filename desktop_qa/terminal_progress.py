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


def download_progress() -> Callable[[str, int, int | None], None]:
    """Report each file's megabytes downloaded on stderr, every 5 percent."""
    shown: dict[str, int] = {}

    def report(name: str, done: int, expected: int | None) -> None:
        percent = 100 * done // expected if expected else -1
        if shown.get(name) != percent and (percent % 5 == 0 or done == expected):
            shown[name] = percent
            of = f" of {expected / 1e6:.1f} MB ({percent}%)" if expected else ""
            print(f"{name}: {done / 1e6:.1f} MB{of}", file=sys.stderr, flush=True)

    return report
