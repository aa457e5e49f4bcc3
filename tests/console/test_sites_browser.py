"""The live site page in a real browser: a status that changes at central shows in the
page without a reload (server-sent events, static/site_live.js, under the console's
Content-Security-Policy), and a check-out asked from the page."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from console import live_stream
from station.db.site_live import CheckoutRequest
from station.db.staff import Role
from station.protocol.vocabulary import DoorState, EventType
from tests.console.conftest import PASSWORD, Clock
from tests.support.browser import click_and_wait, needs_chromium
from tests.support.live_site import door, put_agent, seed_live
from tests.support.wait import wait_for

pytestmark = needs_chromium


def test_a_door_forced_at_the_site_shows_in_the_open_page_without_reload(
    served: str,
    browser: Any,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from selenium.webdriver.common.by import By

    monkeypatch.setattr(live_stream, "POLL_S", 0.2)
    live = seed_live(sessions, clock())
    browser.get(f"{served}/language/fr?next=/sites/gare")  # the words below are French
    browser.get(f"{served}/sites/gare")
    browser.find_element(By.ID, "email").send_keys(accounts[Role.RECEPTION])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))
    assert browser.current_url == f"{served}/sites/gare"
    state = browser.find_element(By.ID, "agent-front-door")
    assert "fermée" in state.text and "porte forcée" not in state.text
    browser.execute_script("window.notReloaded = true")  # gone if the page loads again

    with sessions() as db, db.begin():
        forced = door(relay=True, door=DoorState.OPEN, alarms=[EventType.DOOR_FORCED])
        put_agent(db, "gare", "front-door", forced, clock())
    wait_for(
        lambda: "porte forcée" in browser.find_element(By.ID, "agent-front-door").text,
        timeout=10,
        what="the forced door in the page",
    )
    shown = browser.find_element(By.ID, "agent-front-door").text
    assert "ouverte" in shown and "activé" in shown
    assert browser.execute_script("return window.notReloaded") is True

    # Check someone out: the request is written, the page says it is asked.
    button = browser.find_element(By.CSS_SELECTOR, f"#visit-{live.visit} button")
    click_and_wait(browser, button)
    assert "sortie demandée" in browser.find_element(By.ID, f"visit-{live.visit}").text
    with sessions() as db:
        assert db.scalars(select(CheckoutRequest.visit_id)).all() == [live.visit]
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # no script refused by the CSP, no missing file
