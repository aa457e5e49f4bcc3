"""Fixtures of the console's end-to-end tests: a PostgreSQL central, a site's database
and its sync (woken by NOTIFY), and the front door's agent running in a thread on
gpiozero's mock pins, over the test broker.

A test module imports the fixtures below (the names ending in `_fixture`; pytest knows
them by their `name`) and defines `door_settings`, the front door's table of `[agents]`.
The site's sync and the agent sign, send and check by the real time, so the console's
clock here is the real time too (these are the only console tests that read it).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from door_agent.agent import Agent
from station.config import StationConfig, load_config
from station.db import make_engine, upgrade
from station.seed import seed_site
from sync import central
from sync.service import SyncService
from tests.console.conftest import Clock
from tests.support.agents import RunningAgent
from tests.support.config import ANY_HOUR
from tests.support.mqtt import BrokerAddress
from tests.support.wait import wait_for

DOOR = "front-door"


class WallClock(Clock):
    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass
class LiveSite:
    config: StationConfig
    site: Engine
    agent: RunningAgent


@pytest.fixture(name="clock")
def wall_clock_fixture() -> Clock:
    return WallClock()


@pytest.fixture(name="central_engine")
def central_engine_fixture(pg_migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture(name="config")
def config_fixture(
    config_factory: Callable[..., Path],
    pg_migrated_url: str,
    mqtt_broker: BrokerAddress,
    door_settings: dict[str, Any],
) -> StationConfig:
    return load_config(
        config_factory(
            {
                "site": {"id": f"t-{uuid.uuid4().hex[:12]}"},
                "central": {"url": pg_migrated_url, "poll_interval_s": 60},
                **ANY_HOUR,
                "agents": {DOOR: door_settings},
            }
        )
    )


@pytest.fixture(name="live_site")
def live_site_fixture(config: StationConfig, central_engine: Engine) -> Iterator[LiveSite]:
    """The site seeded at both ends, its sync running, and the door's agent holding
    its first grants."""
    url = config.resolve_url(config.database.url)
    upgrade(url)
    site = make_engine(url)
    with Session(site) as db, db.begin():
        seed_site(db, config)
    with central.session(central_engine) as db:
        seed_site(db, config)
    service = SyncService(config, site_engine=site, central_engine=central_engine)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    factory = MockFactory()
    agent = RunningAgent(
        Agent(config, DOOR, pin_factory=factory, kernel_synced=lambda: True), factory
    )
    with service:
        thread.start()
        try:
            wait_for(lambda: agent.call(lambda: agent.agent.store.version) >= 1, timeout=30)
            yield LiveSite(config, site, agent)
        finally:
            agent.stop()
            agent.agent.close()
            stop.set()
            service.wake()
            thread.join(10)
    site.dispose()
