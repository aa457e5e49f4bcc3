"""The kiosk's database work, off the GUI thread.

SQLite waits up to 30 s for a lock that sync holds while it writes: done on the
GUI thread, a tap in that window would freeze the screen. Jobs run one after the
other on a single thread (the engine is never shared by two threads at once);
each result comes back to the GUI thread through a queued Qt signal, where the
controller, the only owner of the kiosk's state, handles it.

Someone waits for a job (`submit`: a tap, a touch) or nobody does (`submit_background`:
the idle screen's refresh, the database ping). Each of those can block for the
busy timeout too, so a waited-for job runs before every queued background one (in
the order submitted, as taps were), and a background job is not queued again
while one of its kind still waits to start: a tap waits for at most the one job
already running. The queues live on the GUI thread; the database thread is only
ever handed the next job. A waited-for job that takes longer than `WAIT_S`
turns `waiting` on until every such job has answered.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal

log = logging.getLogger(__name__)
T = TypeVar("T")
WAIT_S = 0.3  # shorter waits go unnoticed; longer ones get "one moment"


class Background(enum.StrEnum):
    """The jobs nobody waits for; one of each kind at most waits to start."""

    REFRESH = "refresh"  # the idle screen's figures (and the check-out at closing)
    PING = "ping"  # is the database back?


class Jobs(Protocol):
    """What staff mode and the visitor flow need of the worker: jobs someone waits for."""

    def submit(self, work: Callable[[], T], done: Callable[[Future[T]], None]) -> None: ...


@dataclass(frozen=True, slots=True)
class _Job:
    work: Callable[[], Any]
    done: Callable[[Future[Any]], None]
    kind: Background | None  # None: someone is waiting for it


class DatabaseWorker(QObject):
    waiting = Signal(bool)  # a waited-for job has been running longer than `WAIT_S`
    _finished = Signal(object, object)  # _Job, Future

    def __init__(self, parent: QObject | None = None, *, wait_s: float = WAIT_S) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-db")
        self._waited: deque[_Job] = deque()
        self._background: dict[Background, _Job] = {}  # in the order submitted
        self._running: _Job | None = None  # handed to the thread, not yet delivered
        self._visible = 0  # waited-for jobs queued, running or not yet delivered
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
        return self._running is None and not self._waited and not self._background

    @property
    def is_waiting(self) -> bool:
        return self._waiting

    @property
    def queued_background(self) -> tuple[Background, ...]:
        """The background jobs waiting to start (each kind once at most)."""
        return tuple(self._background)

    def submit(self, work: Callable[[], T], done: Callable[[Future[T]], None]) -> None:
        """Run `work` on the database thread before any queued background job,
        then `done(future)` on this object's thread."""
        if self._closed:
            return
        self._waited.append(_Job(work, done, None))
        self._visible += 1
        if not self._waiting and not self._slow.isActive():
            self._slow.start()
        self._start_next()

    def submit_background(
        self, kind: Background, work: Callable[[], T], done: Callable[[Future[T]], None]
    ) -> None:
        """As `submit`, after every waited-for job; dropped if a `kind` job is queued
        (not yet started: it will read what this one would have)."""
        if self._closed or kind in self._background:
            return
        self._background[kind] = _Job(work, done, kind)
        self._start_next()

    def drain(self, timeout_s: float = 10.0) -> bool:
        """Process events until every job has been delivered (tools, screenshots)."""
        deadline = time.monotonic() + timeout_s
        while not self.idle and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.002)
        return self.idle

    def close(self, then: Callable[[], None] | None = None) -> None:
        """Drop queued jobs and return at once; the running job ends on its thread
        (a lock may hold it up to the busy timeout), then `then()` runs there (the
        engine is disposed of once nothing uses it) and the thread ends."""
        if self._closed:
            return
        self._closed = True
        self._slow.stop()
        self._waited.clear()
        self._background.clear()
        if then is not None:
            self._pool.submit(_logged, then)
        self._pool.shutdown(wait=False, cancel_futures=False)

    def _start_next(self) -> None:
        if self._running is not None or self._closed:
            return
        if self._waited:
            job = self._waited.popleft()
        elif self._background:
            job = self._background.pop(next(iter(self._background)))
        else:
            return
        self._running = job
        future = self._pool.submit(job.work)
        future.add_done_callback(lambda f: self._emit_finished(job, f))

    def _emit_finished(self, job: _Job, future: Future[Any]) -> None:
        """On the database thread: hand the answer to the GUI thread."""
        if self._closed:
            return  # nobody listens any more (the object may be gone)
        try:
            self._finished.emit(job, future)
        except RuntimeError:  # deleted between the check and the emit
            log.debug("database answer after close dropped")

    def _deliver(self, job: _Job, future: Future[Any]) -> None:
        if self._closed:
            return
        try:
            job.done(future)
        finally:
            # Cleared after `done`: a job it submits keeps `idle` false throughout,
            # and its next badge goes before queued background jobs.
            self._running = None
            if job.kind is None:
                self._visible -= 1
                if self._visible == 0:
                    self._slow.stop()
                    if self._waiting:
                        self._waiting = False
                        self.waiting.emit(False)
            self._start_next()

    def _set_waiting(self) -> None:
        if self._visible and not self._waiting:
            self._waiting = True
            self.waiting.emit(True)


def _logged(then: Callable[[], None]) -> None:
    try:
        then()
    except Exception:
        log.exception("closing the kiosk's database")
