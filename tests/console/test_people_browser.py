"""The issue's must-show, in a real browser (Debian's chromium, driven by selenium)
against uvicorn on a central database: a reception account finds a person, corrects the
email (a wrong one refused next to its field first), renews the membership; the page and
the database both say so, and every page passes the accessibility checks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from station.db import Member
from station.db.live import live_rows
from station.db.staff import AuditAction, AuditEntry, Role
from tests.console.conftest import PASSWORD
from tests.support.accessibility import problems
from tests.support.browser import click_and_wait, needs_chromium
from tests.support.console_people import add_person, app

__all__ = ["app"]
pytestmark = needs_chromium


def test_reception_finds_a_person_corrects_the_email_and_renews(
    served: str,
    browser: Any,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    member_id = add_person(sessions, email="camille@exemple.fr", origin_site="gare")
    add_person(sessions, "Lucas", "Dubois", email="lucas@example.fr")
    browser.get(f"{served}/language/fr?next=/login")  # headless chromium asks for English
    browser.find_element(By.ID, "email").send_keys(accounts[Role.RECEPTION])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))

    browser.get(f"{served}/members")
    browser.find_element(By.ID, "q").send_keys("camille")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.search button"))
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Martin Camille"))
    assert browser.find_element(By.ID, "email").text == "camille@exemple.fr"

    # The correction: first to someone else's address, refused next to the field.
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Corriger"))
    assert problems(browser) == []
    email = browser.find_element(By.ID, "email")
    email.clear()
    email.send_keys("lucas@example.fr")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.record button"))
    error = browser.find_element(By.ID, "email-error")
    assert "déjà celle d'une autre personne" in error.text
    email = browser.find_element(By.ID, "email")
    assert email.get_attribute("aria-invalid") == "true"
    assert "email-error" in (email.get_attribute("aria-describedby") or "")
    assert email.get_attribute("value") == "lucas@example.fr"  # the form kept as typed
    assert problems(browser) == []
    email.clear()
    email.send_keys("camille.martin@example.fr")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.record button"))
    assert browser.current_url == f"{served}/members/{member_id}?done=corrected"
    assert "Fiche corrigée" in browser.find_element(By.CSS_SELECTOR, "p.notice").text
    assert browser.find_element(By.ID, "email").text == "camille.martin@example.fr"

    # The renewal: the same plan continues after the current membership.
    click_and_wait(browser, browser.find_element(By.LINK_TEXT, "Renouveler ou changer de formule"))
    assert problems(browser) == []
    assert "2026-06-30" in browser.find_element(By.ID, "current").text
    Select(browser.find_element(By.ID, "plan")).select_by_value("member")
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.record button"))
    assert browser.find_element(By.CSS_SELECTOR, "p.notice").text == "Adhésion renouvelée."
    assert "2027-06-30" in browser.find_element(By.TAG_NAME, "main").text
    assert problems(browser) == []

    with sessions() as db:
        member = db.get(Member, member_id)
        assert member is not None and member.email == "camille.martin@example.fr"
        ends = sorted(str(m.valid_until) for m in live_rows(member.memberships))
        assert ends == ["2026-06-30", "2027-06-30"]
        actions = [
            (e.account, e.action)
            for e in db.scalars(select(AuditEntry).where(AuditEntry.target == str(member_id)))
        ]
    reception = accounts[Role.RECEPTION]
    assert sorted(actions) == [
        (reception, AuditAction.MEMBER_CORRECTED),
        (reception, AuditAction.MEMBERSHIP_RENEWED),
    ]
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert [e for e in severe if "422" not in e["message"]] == [], severe  # the refusal's 422


def test_each_page_of_a_persons_record_passes_the_checks(
    served: str,
    browser: Any,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
) -> None:
    from selenium.webdriver.common.by import By

    member_id = add_person(sessions, origin_site="gare")
    browser.get(f"{served}/login")
    browser.find_element(By.ID, "email").send_keys(accounts[Role.ADMIN])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))
    for path in ("new", "edit", "renew", "badges", "trainings", "pin", "forget", "outcomes"):
        url = f"{served}/members/new" if path == "new" else f"{served}/members/{member_id}/{path}"
        browser.get(url)
        assert problems(browser) == [], path
