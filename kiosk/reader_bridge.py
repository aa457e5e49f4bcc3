"""The badge reader's thread reaches the GUI thread only through these Qt signals.

The reader calls `_on_event` from its own thread; emitting a signal of an object
living in the GUI thread queues the call there. If the reader cannot be opened
(unplugged, pcscd down), the bridge says so and tries again every few seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from hardware.readers import (
    BadgePresented,
    BadRead,
    Reader,
    ReaderEvent,
    ReaderState,
    open_reader,
)
from station.config import StationConfig
from station.errors import StationError

log = logging.getLogger(__name__)
RETRY_MS = 5000
ReaderFactory = Callable[[Callable[[ReaderEvent], None]], Reader]


class ReaderBridge(QObject):
    badge = Signal(object, float)  # Credential, monotonic time the reader saw it
    state = Signal(bool, str)  # available, detail
    bad_read = Signal(object, object)  # ReadFailure, the card's UID credential or None

    def __init__(self, factory: ReaderFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self.reader: Reader | None = None
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self.open)

    @classmethod
    def from_config(
        cls, config: StationConfig, kiosk_id: str, parent: QObject | None = None
    ) -> ReaderBridge:
        reader_config = config.kiosks[kiosk_id].reader
        reader_id = f"kiosk-{kiosk_id}"

        def factory(sink: Callable[[ReaderEvent], None]) -> Reader:
            # `station reader tap --reader KIOSK_ID` finds the simulated reader here.
            return open_reader(
                reader_id,
                reader_config,
                sink,
                sim_socket=config.sim_socket(kiosk_id),
                keys_dir=config.keys_dir,
            )

        return cls(factory, parent)

    def open(self) -> None:
        if self.reader is not None and not self.reader.closed:
            return
        try:
            reader = self._factory(self._on_event)
            reader.start()
        except (StationError, OSError) as exc:
            log.warning("kiosk reader unavailable: %s", exc)
            self.state.emit(False, str(exc))
            self._retry.start()
            return
        self.reader = reader

    def close(self) -> None:
        self._retry.stop()
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def _on_event(self, event: ReaderEvent) -> None:  # the reader's thread
        if isinstance(event, BadgePresented):
            self.badge.emit(event.credential, event.at)
        elif isinstance(event, ReaderState):
            self.state.emit(event.available, event.detail)
        elif isinstance(event, BadRead):
            log.info("kiosk reader: %s (%s)", event.reason, event.detail)
            self.bad_read.emit(event.reason, event.uid)
