"""Reader events and the `Reader` base class every backend derives from.

The base class owns the logic every backend shares, so that each backend only
reports what the device says ("this card is in the field", "the field is
empty", "the device is gone"):

- a card held on the reader is reported once (a machine uses presence, a door
  must not re-trigger);
- a removal is held back for ``debounce_s``: if the same card comes back
  within that window (a card at the edge of the field, a second impatient tap)
  nothing is reported, so ``presented``/``removed`` always come in pairs;
- a reader that goes away reports ``ReaderState(available=False)`` once, and
  a card it held is reported removed at once.

Events are handed to ``on_event`` from the backend's thread, one at a time and
in order; ``on_event`` must only post them to the owner's event queue.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from hardware.exc import ReaderUnavailable
from station.config.reader import ReaderConfig
from station.credential import Credential, ReadFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BadgePresented:
    reader_id: str
    credential: Credential
    at: float  # time.monotonic() when the backend saw the card


@dataclass(frozen=True, slots=True)
class BadgeRemoved:
    reader_id: str
    credential: Credential
    at: float  # when the card left the field (reported up to debounce_s later)


@dataclass(frozen=True, slots=True)
class ReaderState:
    reader_id: str
    available: bool
    detail: str
    at: float


@dataclass(frozen=True, slots=True)
class BadRead:
    """A card was seen but gave no credential; it always denies. `uid` is its
    anti-collision UID when that was read (a failed secure read): where no secure badge
    is required the owner may decide on it (docs/hardware.md)."""

    reader_id: str
    detail: str
    at: float
    reason: ReadFailure = ReadFailure.BAD_READ
    uid: Credential | None = None


ReaderEvent = BadgePresented | BadgeRemoved | ReaderState | BadRead
EventSink = Callable[[ReaderEvent], None]


class Reader(abc.ABC):
    """A badge reader delivering `ReaderEvent`s to ``on_event``.

    Subclasses implement `_open` (start watching the device, usually in a
    thread) and `_shutdown` (stop it and wait), and report what they see with
    `_card_present`, `_card_removed`, `_set_available` and `_bad_read`.
    """

    def __init__(self, reader_id: str, config: ReaderConfig, on_event: EventSink) -> None:
        self.reader_id = reader_id
        self.config = config
        self._on_event = on_event
        # Re-entrant: an unavailable reader flushes its removal from inside the lock.
        self._lock = threading.RLock()
        self._present: Credential | None = None
        self._pending: tuple[Credential, float, threading.Timer] | None = None
        self._available: bool | None = None  # unknown until the backend first reports
        self._started = False
        self._closed = False
        self.bad_reads = 0

    # -- public interface -------------------------------------------------------------

    @property
    def available(self) -> bool:
        return self._available is True and not self._closed

    @property
    def closed(self) -> bool:
        return self._closed

    def start(self) -> None:
        """Start watching the device; calling it again does nothing."""
        with self._lock:
            if self._closed:
                raise ReaderUnavailable(f"reader {self.reader_id!r} is closed")
            if self._started:
                return
            self._started = True
        self._open()

    def close(self) -> None:
        """Stop watching and release the device; safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._pending is not None:
                self._pending[2].cancel()
                self._pending = None
            started = self._started
        # Outside the lock: the backend thread may be waiting for it while we join it.
        if started:
            self._shutdown()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "available" if self._available else "unavailable"
        return f"<{type(self).__name__} {self.reader_id!r} {self.config.path!r} {state}>"

    # -- for backends -----------------------------------------------------------------

    @abc.abstractmethod
    def _open(self) -> None:
        """Start watching the device (return quickly; report through the helpers)."""

    @abc.abstractmethod
    def _shutdown(self) -> None:
        """Stop watching and wait for the backend's thread, if any."""

    def _card_present(self, credential: Credential, at: float | None = None) -> None:
        at = time.monotonic() if at is None else at
        with self._lock:
            if self._closed or self._present == credential:
                return  # a held card is reported once
            if self._pending is not None:
                pending_credential, _, timer = self._pending
                if pending_credential == credential:
                    timer.cancel()  # back within the window: the same presentation
                    self._pending = None
                    self._present = credential
                    return
                self._flush_removal()
            if self._present is not None:  # another card without a removal in between
                self._emit(BadgeRemoved(self.reader_id, self._present, at))
            self._present = credential
            self._emit(BadgePresented(self.reader_id, credential, at))

    def _card_removed(self, at: float | None = None) -> None:
        at = time.monotonic() if at is None else at
        with self._lock:
            if self._closed or self._present is None:
                return
            credential, self._present = self._present, None
            if self.config.debounce_s <= 0:
                self._emit(BadgeRemoved(self.reader_id, credential, at))
                return
            timer = threading.Timer(self.config.debounce_s, self._removal_due)
            timer.daemon = True
            self._pending = (credential, at, timer)
            timer.start()

    def _set_available(self, available: bool, detail: str) -> None:
        with self._lock:
            if self._closed or available == self._available:
                return
            self._available = available
            if not available:
                self._flush_removal()
                if self._present is not None:
                    credential, self._present = self._present, None
                    self._emit(BadgeRemoved(self.reader_id, credential, time.monotonic()))
            (log.info if available else log.warning)(
                "reader %s %s: %s",
                self.reader_id,
                "available" if available else "unavailable",
                detail,
            )
            self._emit(ReaderState(self.reader_id, available, detail, time.monotonic()))

    def _bad_read(
        self,
        detail: str,
        reason: ReadFailure = ReadFailure.BAD_READ,
        uid: Credential | None = None,
    ) -> None:
        with self._lock:
            if self._closed:
                return
            self.bad_reads += 1
            log.warning(
                "reader %s: %s (%s), total %d", self.reader_id, reason, detail, self.bad_reads
            )
            self._emit(BadRead(self.reader_id, detail, time.monotonic(), reason, uid))

    # -- internals --------------------------------------------------------------------

    def _removal_due(self) -> None:
        with self._lock:
            if self._pending is not None and self._pending[2] is threading.current_thread():
                self._flush_removal()

    def _flush_removal(self) -> None:
        if self._pending is not None:
            credential, at, timer = self._pending
            timer.cancel()
            self._pending = None
            self._emit(BadgeRemoved(self.reader_id, credential, at))

    def _emit(self, event: ReaderEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # the owner's bug must not kill the reader thread
            log.exception("reader %s: on_event failed for %r", self.reader_id, event)
