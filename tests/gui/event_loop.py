"""How long the event loop went without a turn while a test's work ran."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QTimer


@contextmanager
def longest_gap() -> Iterator[list[float]]:
    """Within the block, a timer asks for a turn every 10 ms; the list it yields holds,
    once the block ends, the longest wait between turns in seconds (the first wait,
    before the loop ran at all, is left out)."""
    gaps: list[float] = []
    last = time.perf_counter()

    def tick() -> None:
        nonlocal last
        now = time.perf_counter()
        gaps.append(now - last)
        last = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    longest: list[float] = []
    try:
        yield longest
    finally:
        timer.stop()
        longest.append(max(gaps[1:], default=0.0))
