"""The whole road of the live page, in Chromium: a real door agent (gpiozero mock pins)
on the test broker, the site's sync, a PostgreSQL central and the console
(tests/support/console_end_to_end.py). The door's contact closes, then opens with
nobody let in: the page, never reloaded, says the door is closed, then open and forced."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from console.accounts import add_account
from station.config import StationConfig
from station.db.staff import Role
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

CONTACT = 27  # the sample configuration's door contact
RECEPTION = "reception-live@example.org"


@pytest.fixture
def door_settings() -> dict[str, Any]:
    return {"schedule": "always"}


@pytest.fixture
def door_agent(live_site: LiveSite, sessions: sessionmaker[Session], clock: Clock) -> RunningAgent:
    with sessions() as db, db.begin():
        add_account(db, RECEPTION, PASSWORD, Role.RECEPTION, clock(), live_site.config.site.id)
    return live_site.agent


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
