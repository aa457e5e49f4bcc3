"""An event collector standing in for the owner's queue, for the reader tests."""

from __future__ import annotations

import queue
from typing import TypeVar

from hardware.readers.base import ReaderEvent

T = TypeVar("T")
TIMEOUT = 5.0  # generous: pcscd polls every 400 ms, nfcpy's udp sense waits up to 1 s


class Events:
    """The events a reader posted, in order; what an agent's event queue would get."""

    def __init__(self) -> None:
        self.queue: queue.Queue[ReaderEvent] = queue.Queue()

    def __call__(self, event: ReaderEvent) -> None:
        self.queue.put(event)

    def next(self, timeout: float = TIMEOUT) -> ReaderEvent:
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no reader event within {timeout} s") from None

    def expect(self, kind: type[T], timeout: float = TIMEOUT) -> T:
        event = self.next(timeout)
        assert isinstance(event, kind), f"expected {kind.__name__}, got {event!r}"
        return event

    def pending(self) -> list[ReaderEvent]:
        """Everything posted so far and not yet taken, without waiting."""
        items = []
        while True:
            try:
                items.append(self.queue.get_nowait())
            except queue.Empty:
                return items
