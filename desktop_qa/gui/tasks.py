"""The one background worker: model and database work off the GUI thread.

Work runs on a single thread, one job at a time. Submitting a job cancels the
one before it in the same slot (its result is dropped when it arrives), so a
new question supersedes a running one; jobs of other slots (another open
document's) are queued, not cancelled. Results, errors and progress come back as Qt
signals, delivered on the GUI thread; a job never touches a widget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_qa.core.errors import CancelledError

#: A job gets a ``cancelled()`` check and a ``progress(done, total)`` callback.
Job = Callable[[Callable[[], bool], Callable[[int, int], None]], Any]


class TaskRunner(QObject):
    """Runs jobs one at a time on a worker thread; the latest job of a slot wins."""

    finished = Signal(int, object)  # job id, result
    failed = Signal(int, object)  # job id, exception
    progressed = Signal(int, int, int)  # job id, done, total
    cancelled = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desktop-qa")
        self._next_id = 0
        self._current: dict[object, int] = {}  # slot -> its latest job
        self._slot: dict[int, object] = {}  # job -> its slot, while it may still report
        self._stop: dict[object, threading.Event] = {}

    def submit(self, job: Job, slot: object = None) -> int:
        """Queue a job, cancelling the slot's previous one; returns the new job's id."""
        self.cancel(slot)
        self._next_id += 1
        job_id = self._current[slot] = self._next_id
        self._slot[job_id] = slot
        stop = self._stop[slot] = threading.Event()

        def run() -> None:
            try:
                result = job(
                    stop.is_set, lambda done, total: self.progressed.emit(job_id, done, total)
                )
            except CancelledError:
                self.cancelled.emit(job_id)
            except Exception as exc:  # handed to the GUI thread, which shows it
                self.failed.emit(job_id, exc)
            else:
                self.finished.emit(job_id, result)

        future: Future[None] = self._executor.submit(run)
        del future
        return job_id

    def cancel(self, slot: object = None) -> None:
        """Ask the slot's running job to stop at its next check."""
        stop = self._stop.get(slot)
        if stop is not None:
            stop.set()

    def is_current(self, job_id: int) -> bool:
        """Whether a signal belongs to the latest job of its slot (older results are stale)."""
        slot = self._slot.get(job_id, job_id)
        return self._current.get(slot) == job_id

    def forget(self, slot: object) -> None:
        """Cancel a slot's job and drop whatever it still reports (its owner is gone)."""
        self.cancel(slot)
        self._current.pop(slot, None)
        self._stop.pop(slot, None)

    def shutdown(self) -> None:
        for stop in self._stop.values():
            stop.set()
        self._executor.shutdown(wait=True, cancel_futures=True)
