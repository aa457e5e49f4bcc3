"""The kiosk's database work, off the GUI thread.

SQLite waits up to 30 s for a lock that sync holds while it writes: done on the
GUI thread, a tap in that window would freeze the screen. Jobs run one after the
other on a single thread (the order of taps is kept, and the engine is never
shared by two threads at once); each result comes back to the GUI thread through
a queued Qt signal, where the controller, the only owner of the kiosk's state,
handles it. A job someone waits for that takes longer than `WAIT_S` turns
`waiting` on until every such job has answered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal

log = logging.getLogger(__name__)
T = TypeVar("T")
WAIT_S = 0.3  # shorter waits go unnoticed; longer ones get "one moment"


class Jobs(Protocol):
    """What staff mode and the controller need of the worker."""

    def submit(
        self,
        work: Callable[[], T],
        done: Callable[[Future[T]], None],
        *,
        visible: bool = True,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class _Job:
    done: Callable[[Future[Any]], None]
    visible: bool  # someone is waiting for it (a tap, a touch), not a background refresh


class DatabaseWorker(QObject):
    waiting = Signal(bool)  # a visible job has been running longer than `WAIT_S`
    _finished = Signal(object, object)  # _Job, Future

    def __init__(self, parent: QObject | None = None, *, wait_s: float = WAIT_S) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-db")
        self._pending = 0
        self._visible = 0
        self._waiting = False
        self._closed = False
        self._slow = QTimer(self)
        self._slow.setSingleShot(True)
        self._slow.setInterval(int(wait_s * 1000))
        self._slow.timeout.connect(self._set_waiting)
        # Queued even when a job ends before `submit` returns: `done` always runs
        # later, from the event loop, never inside the caller.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def idle(self) -> bool:
        """No job queued, running or waiting to be delivered."""
        return self._pending == 0

    @property
    def is_waiting(self) -> bool:
        return self._waiting

    def submit(
        self,
        work: Callable[[], T],
        done: Callable[[Future[T]], None],
        *,
        visible: bool = True,
    ) -> None:
        """Run `work` on the database thread, then `done(future)` on this object's thread."""
        if self._closed:
            return
        job = _Job(done, visible)
        self._pending += 1
        if visible:
            self._visible += 1
            if not self._waiting and not self._slow.isActive():
                self._slow.start()
        future = self._pool.submit(work)
        future.add_done_callback(lambda f: self._finished.emit(job, f))

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Process events until every job has been delivered (tools, screenshots)."""
        deadline = time.monotonic() + timeout_s
        while not self.idle and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.002)
        return self.idle

    def close(self) -> None:
        """Finish the running job (the engine is disposed after), drop queued ones."""
        if self._closed:
            return
        self._closed = True
        self._slow.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _deliver(self, job: _Job, future: Future[Any]) -> None:
        if self._closed or future.cancelled():
            return
        try:
            job.done(future)
        finally:
            # Counted down after `done`: a job it submits keeps `idle` false throughout.
            self._pending -= 1
            if job.visible:
                self._visible -= 1
                if self._visible == 0:
                    self._slow.stop()
                    if self._waiting:
                        self._waiting = False
                        self.waiting.emit(False)

    def _set_waiting(self) -> None:
        if self._visible and not self._waiting:
            self._waiting = True
            self.waiting.emit(True)
