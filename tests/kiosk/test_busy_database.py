"""A tap while sync holds the site database's write lock: the screen stays alive.

SQLite makes a writer wait up to its busy timeout (30 s) for the lock; the kiosk
waits on its database thread, says "one moment", and answers when the lock goes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer

from kiosk.screens import ProblemKind, Screen
from station.db import make_engine
from tests.support.kiosk_env import ALICE, KioskEnv, settle, visits


@contextmanager
def write_lock(env: KioskEnv) -> Iterator[None]:
    """The site database's write lock, held by another connection (as sync's long write)."""
    holder = sqlite3.connect(Path(env.db_url.removeprefix("sqlite:///")), isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        yield
        holder.execute("ROLLBACK")
    finally:
        holder.close()


@contextmanager
def ticking(every_ms: int = 20) -> Iterator[list[int]]:
    """A timer on the GUI thread: its ticks count how freely the event loop runs."""
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(every_ms)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    try:
        yield ticks
    finally:
        timer.stop()


def test_a_tap_during_a_long_write_keeps_the_screen_alive(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    window = kiosk.window
    with write_lock(kiosk_env), ticking() as ticks:
        kiosk.bridge.reader.present(ALICE)
        qtbot.waitUntil(lambda: window.waiting.isVisibleTo(window), timeout=1000)
        assert window.waiting.text() == "Un instant…"
        before = len(ticks)
        qtbot.wait(400)
        assert len(ticks) - before >= 5  # the event loop runs on (20 ms ticks)
        assert kiosk.controller.screen is Screen.IDLE  # no answer while the lock is held
        assert not window.stack.isEnabled()  # no touch queued behind the wait
        assert visits(kiosk_env) == []
    qtbot.waitUntil(lambda: kiosk.controller.screen is Screen.WELCOME, timeout=5000)
    kiosk.bridge.reader.remove()
    settle(qtbot, kiosk)
    assert window.current is window.welcome
    assert window.welcome.hello.text() == "Bonjour Alice !"
    assert not window.waiting.isVisibleTo(window) and window.stack.isEnabled()
    [visit] = visits(kiosk_env)
    assert visit.checked_out_at is None and visit.kiosk_id == "entrance"


def test_a_lock_held_past_the_busy_timeout_shows_the_database_problem(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    # A busy timeout of half a second stands for the 30 s one.
    engine = make_engine(kiosk_env.db_url, connect_args={"timeout": 0.5})
    kiosk = make_kiosk(engine=engine)
    window = kiosk.window
    try:
        with write_lock(kiosk_env):
            kiosk.bridge.reader.present(ALICE)
            qtbot.waitUntil(lambda: window.waiting.isVisibleTo(window), timeout=1000)
            qtbot.waitUntil(lambda: kiosk.controller.screen is Screen.PROBLEM, timeout=5000)
            kiosk.bridge.reader.remove()
            settle(qtbot, kiosk)
            assert window.problem.kind is ProblemKind.DATABASE
            assert "Base de données indisponible" in window.banner.text()
            assert not window.waiting.isVisibleTo(window)
        kiosk.controller.db_retry_timer.timeout.emit()  # the lock is gone: recovered
        settle(qtbot, kiosk)
        assert not window.banner.isVisibleTo(window)
        kiosk.bridge.reader.present(ALICE)
        qtbot.waitUntil(lambda: kiosk.controller.screen is Screen.WELCOME, timeout=5000)
        kiosk.bridge.reader.remove()
        assert len(visits(kiosk_env)) == 1
    finally:
        kiosk.close()
        engine.dispose()
