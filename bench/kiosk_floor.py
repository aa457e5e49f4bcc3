"""The floor of the kiosk's figures: a bare PySide6 window painting one label.

Started the same way as the kiosk (a fresh process to its first paint) and tapped
the same way (a call from another thread, as a reader's thread makes, timed to the
paint of the label): a queued signal, a dict lookup, `setText`, a paint. What the
kiosk adds on top (database, rules, screens, translations) is its own cost, shown
by `bench_kiosk.py` as the ratio to this floor.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QLabel, QWidget

GUARD_MS = 5000


def peak_resident_mb() -> float:
    """This process's peak resident memory since its exec (VmHWM). Not getrusage's
    ru_maxrss, which a forked child inherits from its parent across exec."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def application() -> QApplication:
    app = QApplication.instance()
    return app if isinstance(app, QApplication) else QApplication([])


class PaintTimer(QObject):
    """Milliseconds from a call made on another thread to the next paint of ``widget``."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self._loop = QEventLoop()
        self._at: float | None = None
        self._painted: float | None = None
        self._guard = QTimer()  # re-armed per tap: a missed paint returns None, never hangs
        self._guard.setSingleShot(True)
        self._guard.timeout.connect(self._loop.quit)
        widget.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self._at is not None and self._painted is None:
            self._painted = time.monotonic()
            QTimer.singleShot(0, self._loop.quit)
        return False

    def time(self, present: Callable[[float], None]) -> float | None:
        self._at = self._painted = None

        def from_another_thread() -> None:
            # The reader's timestamp, noted before the GUI can possibly paint.
            self._at = time.monotonic()
            present(self._at)

        presenter = threading.Thread(target=from_another_thread)
        QTimer.singleShot(0, presenter.start)
        self._guard.start(GUARD_MS)
        self._loop.exec()
        self._guard.stop()
        presenter.join()
        if self._at is None or self._painted is None:
            return None
        return (self._painted - self._at) * 1000


class Greeting(QObject):
    """The floor's whole kiosk: a tap's UID crosses threads, is looked up, is shown."""

    tapped = Signal(str)

    def __init__(self, label: QLabel, names: dict[str, str]) -> None:
        super().__init__()
        self._label = label
        self._names = names
        self.tapped.connect(self.greet)  # emitted on another thread: queued to this one

    def tap(self, uid: str, _at: float) -> None:
        self.tapped.emit(uid)

    @Slot(str)
    def greet(self, uid: str) -> None:
        self._label.setText(f"Bonjour {self._names.get(uid, '?')}")


def floor_taps(uids: list[str]) -> list[float]:
    app = application()
    label = QLabel("Badgez ici")
    label.resize(1024, 600)
    label.show()
    app.processEvents()
    greeting = Greeting(label, {uid: f"Prénom{n}" for n, uid in enumerate(uids)})
    timer = PaintTimer(label)
    latencies: list[float] = []
    for uid in uids:
        elapsed = timer.time(functools.partial(greeting.tap, uid))
        if elapsed is None:
            raise RuntimeError(f"the floor's label was not painted for {uid}")
        latencies.append(elapsed)
        label.setText("Badgez ici")
        app.processEvents()
    label.close()
    return latencies


def floor_startup_child() -> None:
    """Run in a fresh process: one label shown; print its first paint and peak memory."""
    app = application()
    label = QLabel("Badgez ici")
    label.resize(1024, 600)

    class FirstPaint(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                rss_mb = peak_resident_mb()
                print(f"painted {rss_mb:.1f}", flush=True)
                app.quit()
            return False

    watch = FirstPaint()
    label.installEventFilter(watch)
    label.show()
    app.exec()


if __name__ == "__main__":  # alone, importing nothing of Station: the start-up floor
    floor_startup_child()
