"""The one background worker: model and database work off the GUI thread.

Work runs on a single thread, one job at a time. Submitting a job cancels the
one before it (its result is dropped when it arrives), so a new question
supersedes a running one. Results, errors and progress come back as Qt
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
    """Runs jobs one at a time on a worker thread; the latest job wins."""

    finished = Signal(int, object)  # job id, result
    failed = Signal(int, object)  # job id, exception
    progressed = Signal(int, int, int)  # job id, done, total
    cancelled = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="desktop-qa")
        self._next_id = 0
        self._current = -1
        self._stop: threading.Event | None = None

    def submit(self, job: Job) -> int:
        """Queue a job, cancelling the previous one; returns the new job's id."""
        self.cancel()
        self._next_id += 1
        job_id = self._current = self._next_id
        stop = self._stop = threading.Event()

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

    def cancel(self) -> None:
        """Ask the running job to stop at its next check."""
        if self._stop is not None:
            self._stop.set()

    def is_current(self, job_id: int) -> bool:
        """Whether a signal belongs to the latest job (older results are stale)."""
        return job_id == self._current

    def shutdown(self) -> None:
        self.cancel()
        self._executor.shutdown(wait=True, cancel_futures=True)
