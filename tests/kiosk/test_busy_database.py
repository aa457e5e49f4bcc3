"""A tap while sync holds the site database's write lock: the screen stays alive.

SQLite makes a writer wait up to its busy timeout (30 s) for the lock; the kiosk
waits on its database thread, says "one moment", and answers when the lock goes.
A tap goes before the background jobs (refresh, ping) queued meanwhile, and
closing the kiosk does not wait for a job the lock holds.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

from kiosk import controller
from kiosk.screens import Problem, ProblemKind, Screen
from kiosk.service import KioskService
from station.credential import Credential
from station.db import make_engine
from tests.support.kiosk_env import ALICE, KioskEnv, settle, sign_up, visits


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


def record_jobs(
    monkeypatch: pytest.MonkeyPatch, service: KioskService
) -> list[tuple[str, threading.Thread]]:
    """Which database job starts, in order, and on which thread: a tap, a refresh of
    the idle screen (its first call) or a ping."""
    started: list[tuple[str, threading.Thread]] = []

    def recorded(job: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            started.append((job, threading.current_thread()))
            return call(*args)

        return run

    for job, name in (("tap", "tap"), ("refresh", "auto_check_out"), ("ping", "ping")):
        monkeypatch.setattr(service, name, recorded(job, getattr(service, name)))
    return started


def test_a_tap_goes_before_the_background_jobs_queued_during_a_long_write(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Refreshes and pings every 50 ms stand for every 30 s and 5 s, a busy timeout of
    # 0.3 s for the 30 s one: the lock lasts through many of their periods.
    monkeypatch.setattr(controller, "REFRESH_S", 0.05)
    monkeypatch.setattr(controller, "DB_RETRY_S", 0.05)
    engine = make_engine(kiosk_env.db_url, connect_args={"timeout": 0.3})
    kiosk = make_kiosk(engine=engine)
    ctl, window = kiosk.controller, kiosk.window
    try:
        # A visitor still in after closing time: each refresh must write (check her
        # out), so each waits for the lock, as the tap does.
        sign_up(qtbot, kiosk, "Chloé", "fablab")
        kiosk_env.clock.now = dt.datetime(2026, 11, 24, 21, 0, tzinfo=dt.UTC)  # 22:00 Paris
        started = record_jobs(monkeypatch, kiosk.service)
        asked: list[int] = []
        ctl.refresh_timer.timeout.connect(lambda: asked.append(1))
        most_queued: Counter[str] = Counter()

        def sample() -> None:
            for kind, count in Counter(ctl.worker.queued_background).items():
                most_queued[kind] = max(most_queued[kind], count)

        sampler = QTimer()
        sampler.setInterval(5)
        sampler.timeout.connect(sample)
        sampler.start()
        with write_lock(kiosk_env):
            qtbot.waitUntil(lambda: Problem.DATABASE in ctl.state.problems, timeout=3000)
            qtbot.waitUntil(lambda: [j for j, _ in started].count("refresh") >= 3, timeout=5000)
            qtbot.waitUntil(lambda: bool(ctl.worker.queued_background), timeout=3000)
            queued = ctl.worker.queued_background  # a job is running, others wait
            mark = len(started)
            ctl.handle_badge(Credential.uid(ALICE))
            qtbot.waitUntil(lambda: ctl.screen is Screen.PROBLEM, timeout=3000)
            assert window.problem.kind is ProblemKind.DATABASE
            after = [job for job, _ in started[mark:]]
            # Only the job already handed to the thread may start before the tap: not
            # those queued before it (`queued`), nor those asked for while it waited.
            assert queued and "tap" in after[:2], (queued, after)
            refreshes_asked = len(asked)
        sampler.stop()
        # Asked for every 50 ms, but never queued twice: far fewer refreshes ran.
        refreshes = [job for job, _ in started].count("refresh")
        assert refreshes_asked > 2 * refreshes, (refreshes_asked, refreshes)
        assert max(most_queued.values()) == 1, most_queued
        # The lock is gone: the next refresh checks her out, the next tap checks in.
        qtbot.waitUntil(lambda: Problem.DATABASE not in ctl.state.problems, timeout=3000)
        ctl.go_idle()
        ctl.handle_badge(Credential.uid(ALICE))
        qtbot.waitUntil(lambda: ctl.screen is Screen.WELCOME, timeout=3000)
        ctl.refresh_timer.stop()
        ctl.db_retry_timer.stop()
        settle(qtbot, kiosk)
        chloe, alice = visits(kiosk_env)
        assert chloe.checkout_reason == "closing" and alice.checked_out_at is None
    finally:
        kiosk.close()
        engine.dispose()


def test_closing_does_not_wait_for_a_job_held_by_the_lock(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = make_kiosk()  # its own engine, with SQLite's busy timeout of 30 s
    started = record_jobs(monkeypatch, kiosk.service)
    disposed_on: list[threading.Thread] = []
    close_service = kiosk.service.close

    def dispose() -> None:
        disposed_on.append(threading.current_thread())
        close_service()

    monkeypatch.setattr(kiosk.service, "close", dispose)
    with write_lock(kiosk_env):
        kiosk.bridge.reader.present(ALICE)
        qtbot.waitUntil(lambda: kiosk.controller.worker.is_waiting, timeout=3000)
        [(job, database_thread)] = started
        assert job == "tap"
        kiosk.close()
        # Back from close while the tap still waits for the lock: it was not waited for.
        assert database_thread.is_alive() and disposed_on == []
        assert visits(kiosk_env) == []
    # The lock is gone: the tap ends, the engine is disposed of there, the thread ends.
    database_thread.join(timeout=10)
    assert not database_thread.is_alive()
    assert disposed_on == [database_thread]
