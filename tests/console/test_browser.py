"""The console in a real browser (Debian's chromium, driven by selenium) against uvicorn
on a real central database: log in, find a person, open their page, log out."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from station import registry
from station.credential import Credential
from station.db.staff import Role
from tests.console.conftest import BADGE_KEY, PASSWORD, START
from tests.support.browser import click_and_wait, needs_chromium

pytestmark = needs_chromium


def test_log_in_find_a_person_and_log_out(
    served: str,
    browser: Any,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
) -> None:
    from selenium.webdriver.common.by import By

    with sessions() as db, db.begin():
        camille = registry.add_member(
            db, "Camille", "Martin", email="camille@example.fr", today=START.date()
        )
        registry.enroll_badge(db, camille, Credential.uid("04A1B2C3"), BADGE_KEY, label="bleue")
        registry.add_member(db, "Lucas", "Bernard", today=START.date())
    # Headless chromium asks for English: the words below are French.
    browser.get(f"{served}/language/fr?next=/members")
    assert browser.current_url == f"{served}/login?next=/members"
    browser.find_element(By.ID, "email").send_keys(accounts[Role.RECEPTION])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))
    assert browser.current_url == f"{served}/members"
    cookie = browser.get_cookie("station_console")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert browser.execute_script("return document.cookie") == ""  # no script can read it

    search = browser.find_element(By.ID, "q")
    search.send_keys("04a1b2c3")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    assert browser.find_element(By.ID, "total").text == "1 résultat"
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Martin Camille"))
    assert browser.find_element(By.ID, "name").text == "Camille Martin"
    assert browser.find_element(By.ID, "email").text == "camille@example.fr"
    # The reception's menu has no audit log, and the page itself is refused.
    assert browser.find_elements(By.CSS_SELECTOR, 'nav a[href="/audit"]') == []
    browser.get(f"{served}/audit")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Accès refusé"

    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.logout button"))
    assert browser.current_url == f"{served}/login"
    browser.get(f"{served}/")
    assert browser.current_url == f"{served}/login?next=/"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    # The one 403 above is the browser's only complaint.
    assert [e for e in errors if "403" not in e["message"]] == [], errors
    assert len(errors) == 1
