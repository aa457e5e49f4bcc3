"""The whole road of the live page, in Chromium: a real door agent (gpiozero mock pins)
on the test broker, the site's sync, a PostgreSQL central and the console. The door's
contact closes, then opens with nobody let in: the page, never reloaded, says the door
is closed, then open and forced."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from console.accounts import add_account
from door_agent.agent import Agent
from station.config import StationConfig, load_config
from station.db import make_engine, upgrade
from station.db.staff import Role
from station.seed import seed_site
from sync import central
from sync.service import SyncService
from tests.console.conftest import PASSWORD, Clock
from tests.support.agents import RunningAgent
from tests.support.browser import click_and_wait, needs_chromium
from tests.support.config import ANY_HOUR
from tests.support.mqtt import BrokerAddress
from tests.support.wait import wait_for

pytestmark = [needs_chromium, pytest.mark.mqtt]

DOOR = "front-door"
CONTACT = 27  # the sample configuration's door contact
RECEPTION = "reception-live@example.org"


class WallClock(Clock):
    """The console's clock: the site's heartbeat is on the site server's wall clock."""

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return WallClock()


@pytest.fixture
def central_engine(pg_migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def config(
    config_factory: Callable[..., Path], pg_migrated_url: str, mqtt_broker: BrokerAddress
) -> StationConfig:
    agent = {"schedule": "always"}
    return load_config(
        config_factory(
            {
                "site": {"id": f"t-{uuid.uuid4().hex[:12]}"},
                "central": {"url": pg_migrated_url, "poll_interval_s": 60},
                **ANY_HOUR,
                "agents": {DOOR: agent},
            }
        )
    )


@pytest.fixture
def door_agent(
    config: StationConfig, central_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> Iterator[RunningAgent]:
    url = config.resolve_url(config.database.url)
    upgrade(url)
    site = make_engine(url)
    with Session(site) as db, db.begin():
        seed_site(db, config)
    with central.session(central_engine) as db:
        seed_site(db, config)
    with sessions() as db, db.begin():
        add_account(db, RECEPTION, PASSWORD, Role.RECEPTION, clock(), config.site.id)
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
            yield agent
        finally:
            agent.stop()
            agent.agent.close()
            stop.set()
            service.wake()
            thread.join(10)
    site.dispose()


def test_a_door_forced_at_the_agent_shows_in_the_open_page(
    door_agent: RunningAgent, config: StationConfig, served: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    page = f"{served}/sites/{config.site.id}"
    browser.get(f"{served}/language/fr?next=/login")
    browser.get(page)
    browser.find_element(By.ID, "email").send_keys(RECEPTION)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))

    def shown() -> str:
        found = browser.find_elements(By.ID, f"agent-{DOOR}")
        return str(found[0].text) if found else ""

    door_agent.pin(CONTACT).drive_low()  # shut
    wait_for(lambda: "fermée" in shown(), timeout=15, what="the door shut, in the page")
    browser.execute_script("window.notReloaded = true")
    door_agent.pin(CONTACT).drive_high()  # opened with nobody let in
    wait_for(lambda: "porte forcée" in shown(), timeout=10, what="the forced door, in the page")
    assert "ouverte" in shown() and "en ligne" in shown()
    assert browser.execute_script("return window.notReloaded") is True
    assert browser.current_url == page
