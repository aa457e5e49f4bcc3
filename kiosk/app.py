"""Putting the kiosk together: service, bus, reader, controller, window."""

from __future__ import annotations

import glob
import logging
import os
import signal
from types import TracebackType

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from sqlalchemy import Engine

from kiosk.bus import CommandBus
from kiosk.controller import KioskController
from kiosk.i18n import Translations
from kiosk.reader_bridge import ReaderBridge, ReaderFactory
from kiosk.service import Clock, KioskService, utc_now
from kiosk.window import KioskWindow
from station.config import StationConfig
from station.errors import ConfigError

log = logging.getLogger(__name__)


def physical_keyboard() -> bool:
    """Whether a keyboard is plugged in (USB and most others appear here)."""
    return bool(
        glob.glob("/dev/input/by-id/*-event-kbd") + glob.glob("/dev/input/by-path/*-event-kbd")
    )


def use_virtual_keyboard(mode: str) -> None:
    """Before the QApplication exists: Qt's on-screen keyboard when there is no keyboard.

    It shows under X11 or Wayland (never offscreen); ``mode`` is auto, on or off.
    """
    if mode == "on" or (mode == "auto" and not physical_keyboard()):
        os.environ.setdefault("QT_IM_MODULE", "qtvirtualkeyboard")


class Kiosk:
    """A running kiosk; ``close()`` stops the reader, the bus and the database."""

    def __init__(
        self,
        config: StationConfig,
        kiosk_id: str,
        *,
        fullscreen: bool = False,
        hide_cursor: bool | None = None,
        engine: Engine | None = None,
        clock: Clock = utc_now,
        reader_factory: ReaderFactory | None = None,
        bus: bool = True,
    ) -> None:
        if kiosk_id not in config.kiosks:
            raise ConfigError(
                [
                    f"{config.source}: kiosks.{kiosk_id}: no such kiosk; expected "
                    f"one of {', '.join(config.kiosks) or 'none declared'}"
                ]
            )
        app = QApplication.instance()
        self.app = app if isinstance(app, QApplication) else QApplication([])
        kiosk = config.kiosks[kiosk_id]
        self.service = KioskService(config, kiosk_id, engine=engine, clock=clock)
        self.controller = KioskController(self.service)
        self.bus = CommandBus(config, kiosk_id, **self.controller.bus_callbacks()) if bus else None
        self.controller.bus = self.bus
        self.translations = Translations(self.app)
        self.translations.set_language(kiosk.language)
        self.window = KioskWindow(
            self.controller,
            self.translations,
            fullscreen=fullscreen,
            hide_cursor=kiosk.hide_cursor if hide_cursor is None else hide_cursor,
        )
        self.bridge = (
            ReaderBridge(reader_factory, self.controller)
            if reader_factory
            else ReaderBridge.from_config(config, kiosk_id, self.controller)
        )
        self.bridge.badge.connect(self.controller.handle_badge)
        self.bridge.bad_read.connect(self.controller.handle_bad_read)
        self.bridge.state.connect(self.controller.reader_state)
        self.fullscreen = fullscreen
        self._closed = False

    def start(self) -> None:
        if self.bus is not None:
            self.bus.start()
        self.controller.start()
        self.bridge.open()
        if self.fullscreen:
            self.window.showFullScreen()
        else:
            self.window.resize(1280, 800)
            self.window.show()

    def run(self) -> int:
        self.start()
        # Ctrl-C and systemd's SIGTERM stop the event loop cleanly; the timer lets
        # Python see signals while Qt's loop runs.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.app.quit())
        wake = QTimer()
        wake.start(250)
        wake.timeout.connect(lambda: None)
        try:
            return self.app.exec()
        finally:
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # The engine is disposed of on the database thread once its running job ends:
        # a job held by sync's lock must not freeze the closing (nor lose its engine).
        self.controller.stop(then=self.service.close)
        self.bridge.close()
        if self.bus is not None:
            self.bus.close()
        self.window.allow_close = True
        self.window.close()
        self.window.deleteLater()
        self.translations.close()

    def __enter__(self) -> Kiosk:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
