"""The kiosk says when the site database or the reader is unavailable, and recovers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy.pool import NullPool

from hardware.exc import ReaderUnavailable
from hardware.readers.sim import SimReader
from kiosk.app import Kiosk
from kiosk.screens import Screen
from station.db import make_engine
from tests.support.kiosk_env import ALICE, KioskEnv, settle, tap


def test_database_outage_is_shown_and_recovered(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    # NullPool: each call opens the file anew, as after a real outage.
    engine = make_engine(kiosk_env.db_url, poolclass=NullPool)
    kiosk = make_kiosk(engine=engine)
    path = Path(kiosk_env.db_url.removeprefix("sqlite:///"))
    aside = path.with_suffix(".aside")
    os.replace(path, aside)  # SQLite now opens an empty file: every query fails
    try:
        tap(qtbot, kiosk, ALICE, Screen.PROBLEM)
        assert kiosk.window.problem.kind == "database"
        assert kiosk.window.banner.isVisibleTo(kiosk.window)
        assert "Base de données indisponible" in kiosk.window.banner.text()
        assert kiosk.controller.db_retry_timer.isActive()
        kiosk.controller.db_retry_timer.timeout.emit()  # still down
        settle(qtbot, kiosk)
        assert kiosk.window.banner.isVisibleTo(kiosk.window)
    finally:
        path.unlink(missing_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(aside, path)
    kiosk.controller.db_retry_timer.timeout.emit()
    settle(qtbot, kiosk)
    assert not kiosk.window.banner.isVisibleTo(kiosk.window)
    assert not kiosk.controller.db_retry_timer.isActive()
    kiosk.controller.go_idle()
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)
    engine.dispose()


def test_reader_outage_is_shown_and_recovered(qtbot: Any, kiosk_env: KioskEnv) -> None:
    attempts: list[int] = []
    config = kiosk_env.config.kiosks["entrance"].reader

    def factory(sink: Any) -> SimReader:
        attempts.append(1)
        if len(attempts) == 1:
            raise ReaderUnavailable("no reader plugged in")
        return SimReader("kiosk-entrance", config, sink)

    kiosk = Kiosk(
        kiosk_env.config, "entrance", clock=kiosk_env.clock, bus=False, reader_factory=factory
    )
    try:
        kiosk.start()
        window = kiosk.window
        qtbot.waitUntil(lambda: window.banner.isVisibleTo(window), timeout=5000)
        assert "Lecteur de badges indisponible" in window.banner.text()
        kiosk.bridge._retry.timeout.emit()  # the retry timer fires
        qtbot.waitUntil(lambda: not window.banner.isVisibleTo(window), timeout=5000)
        assert len(attempts) == 2
        tap(qtbot, kiosk, ALICE, Screen.WELCOME)
        # The reader going away later is shown too.
        reader = kiosk.bridge.reader
        assert isinstance(reader, SimReader)
        reader._set_available(False, "unplugged")
        qtbot.waitUntil(lambda: window.banner.isVisibleTo(window), timeout=5000)
    finally:
        kiosk.close()
