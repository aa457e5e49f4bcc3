"""Commands from the office, end to end, in a real browser: the console on a PostgreSQL
central, the site's sync (woken by NOTIFY), and the front door's agent running in a
thread on gpiozero's mock pins, over the test broker (tests/support/console_end_to_end.py).

The site's sync and the agent sign, send and check commands by the real time, so this
test's console clock is the real time too.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from console.accounts import add_account
from station import registry
from station.config import StationConfig
from station.credential import Credential
from station.db import AccessEvent, Badge
from station.db.staff import Role
from sync import central
from tests.console.conftest import PASSWORD, Clock
from tests.support.agents import RunningAgent
from tests.support.browser import click_and_wait, needs_chromium
from tests.support.console_end_to_end import (  # noqa: F401 (fixtures)
    DOOR,
    LiveSite,
    central_engine_fixture,
    config_fixture,
    live_site_fixture,
    wall_clock_fixture,
)
from tests.support.wait import wait_for

pytestmark = [needs_chromium, pytest.mark.mqtt]

UID = "04C0FFEE"
MANAGER = "manager-e2e@example.org"


@dataclass
class RunningSite:
    config: StationConfig
    site: Engine
    agent: RunningAgent
    member: uuid.UUID
    badge: uuid.UUID


@pytest.fixture
def door_settings() -> dict[str, Any]:
    return {"schedule": "always", "pins": {"contact": 0}, "reader": {"debounce_s": 0}}


@pytest.fixture
def running(
    live_site: LiveSite, central_engine: Engine, sessions: sessionmaker[Session], clock: Clock
) -> RunningSite:
    """The live site, with Eve and her badge at central (in the agent's grants) and the
    site's manager's account."""
    config, agent = live_site.config, live_site.agent
    with central.session(central_engine) as db:
        eve = registry.add_member(
            db, "Eve", "Durand", membership_until=dt.date(2099, 1, 1), today=dt.date(2026, 1, 1)
        )
        badge = registry.enroll_badge(db, eve, Credential.uid(UID), config.badge_key)
        member_id, badge_id = eve.id, badge.id
    with sessions() as db, db.begin():
        add_account(db, MANAGER, PASSWORD, Role.MANAGER, clock(), config.site.id)
    held = agent.hash(UID)
    wait_for(
        lambda: agent.call(lambda: agent.agent.store.lookup(held)[0]) is not None,
        timeout=30,
        what="Eve's badge in the agent's grants",
    )
    return RunningSite(config, live_site.site, agent, member_id, badge_id)


def log_in(browser: Any, served: str, path: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{served}{path}")
    browser.find_element(By.ID, "email").send_keys(MANAGER)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))


def decisions(site: Engine, agent: RunningAgent) -> list[AccessEvent]:
    with Session(site) as db:
        return list(
            db.scalars(
                select(AccessEvent)
                .where(
                    AccessEvent.credential_hash == agent.hash(UID),
                    AccessEvent.type.in_(("granted", "denied")),
                )
                .order_by(AccessEvent.at)
            )
        )


@pytest.mark.timeout(120)
def test_unlock_the_front_door_from_the_console(
    running: RunningSite, served: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site_id = running.config.site.id
    log_in(browser, served, f"/sites/{site_id}")
    button = f"unlock_once-{DOOR}"

    def door_shown() -> bool:  # the door is listed once the site has pushed its status
        if browser.find_elements(By.ID, button):
            return True
        browser.refresh()
        return False

    wait_for(door_shown, timeout=30, interval=0.5, what="the front door on the site page")
    assert not running.agent.relay
    clicked = time.monotonic()
    click_and_wait(browser, browser.find_element(By.ID, button))
    wait_for(lambda: running.agent.relay, timeout=5, what="the strike's relay energised")
    energised = time.monotonic()
    assert browser.current_url == f"{served}/sites/{site_id}"

    # Updated in the page as the result comes back (the site page's live stream).
    done = "#command-requests tbody tr.state-done"
    WebDriverWait(browser, 10).until(lambda _b: browser.find_elements(By.CSS_SELECTOR, done))
    row = browser.find_element(By.CSS_SELECTOR, "#command-requests tbody tr")
    assert row.get_attribute("class") == "state-done" and MANAGER in row.text
    print(f"\nconsole click -> relay energised {1000 * (energised - clicked):.0f} ms")


@pytest.mark.timeout(120)
def test_a_revocation_in_the_console_is_denied_at_the_agent_within_two_seconds(
    running: RunningSite, served: str, browser: Any, central_engine: Engine
) -> None:
    from selenium.webdriver.common.by import By

    agent = running.agent
    agent.tap(UID)
    wait_for(lambda: [e.type for e in decisions(running.site, agent)] == ["granted"])
    assert agent.relay  # the strike opens for her: the badge was good
    agent.lift()
    version = agent.call(lambda: agent.agent.store.version)

    log_in(browser, served, f"/members/{running.member}/badges")
    revoke = browser.find_element(
        By.CSS_SELECTOR, f'form[action$="/badges/{running.badge}/revoke"] button'
    )
    revoked_at = dt.datetime.now(dt.UTC)
    click_and_wait(browser, revoke)
    with Session(central_engine) as db:
        assert db.scalar(select(Badge.status).where(Badge.id == running.badge)) == "revoked"
    wait_for(
        lambda: agent.call(lambda: agent.agent.store.version) > version,
        timeout=2,
        what="the revocation in the agent's grants",
    )
    agent.tap(UID)
    denied = wait_for(
        lambda: [e for e in decisions(running.site, agent) if e.type == "denied"],
        what="the denial stored",
    )[0]
    assert denied.reason == "badge_revoked"
    took = (denied.at - revoked_at).total_seconds()
    print(f"\nconsole revocation -> tap denied at the agent {1000 * took:.0f} ms")
    assert took < 2.0
