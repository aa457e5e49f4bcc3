"""The whole registry read in a thread of its own (sync/background_reading.py): the
reading reaches the loop's queue, one at a time, and a failure says why."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from station.config import StationConfig
from station.db import make_engine
from sync.background_reading import BackgroundReading, WholeRead
from sync.compiler import GrantCompiler
from sync.grant_cache import fingerprint
from sync.grant_reading import WholeReading
from tests.sync.grant_site import MEMBERS, NOW, config, site

__all__ = ["config", "site"]  # fixtures, used by name


def test_the_reading_reaches_the_loop_queue(site: Engine, config: StationConfig) -> None:
    compiler = GrantCompiler(config, wall=lambda: NOW)
    inbox: queue.Queue[Any] = queue.Queue()
    background = BackgroundReading(compiler, site, inbox)
    assert background.start()
    item = inbox.get(timeout=30)
    background.close()
    assert isinstance(item, WholeRead) and item.reading is not None
    with site.connect() as connection:
        assert item.reading.marker[:-1] == fingerprint(connection)
    assert item.reading.badges == MEMBERS
    assert sorted(item.reading.agents) == sorted(config.agents)
    assert compiler.current == {}  # the thread took nothing in: the loop does
    assert compiler.adopt(site, item.reading)
    assert sorted(compiler.current) == sorted(config.agents)


def test_a_failed_reading_says_why(tmp_path: Path, config: StationConfig) -> None:
    broken = tmp_path / "site.db"
    broken.write_bytes(b"not a database" * 100)
    engine = make_engine(f"sqlite:///{broken}")
    inbox: queue.Queue[Any] = queue.Queue()
    background = BackgroundReading(GrantCompiler(config, wall=lambda: NOW), engine, inbox)
    background.start()
    item = inbox.get(timeout=30)
    background.close()
    engine.dispose()
    assert item.reading is None
    assert "not a database" in item.error


def test_one_reading_at_a_time(
    site: Engine, config: StationConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiler = GrantCompiler(config, wall=lambda: NOW)
    release = threading.Event()
    read = compiler.read_whole

    def slow(engine: Engine) -> WholeReading:
        release.wait(30)
        return read(engine)

    monkeypatch.setattr(compiler, "read_whole", slow)
    inbox: queue.Queue[Any] = queue.Queue()
    background = BackgroundReading(compiler, site, inbox)
    assert background.start()
    assert background.running
    assert not background.start()  # under way: not a second one
    release.set()
    assert inbox.get(timeout=30).reading is not None
    background.close()
    assert not background.running
    assert inbox.empty()
