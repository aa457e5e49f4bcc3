"""The refusals list to a merge, in Debian's Chromium against uvicorn: a manager finds
the badge refused at their site, compares the two records and merges them; the refusal
leaves the list and the kept person holds the badge."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from station import registry
from station.credential import Credential
from station.db import Badge, Member
from station.db.refusals import CentralRefusal, RefusalReason
from station.db.staff import Role
from tests.console.conftest import BADGE_KEY, PASSWORD, START
from tests.support.accessibility import problems
from tests.support.browser import click_and_wait, needs_chromium

pytestmark = needs_chromium


def test_a_manager_merges_the_records_a_refused_badge_names(
    served: str,
    browser: Any,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
) -> None:
    from selenium.webdriver.common.by import By

    with sessions() as db, db.begin():
        eve = registry.add_member(db, "Eve", "Martin", email="eve@example.org", today=START.date())
        registry.enroll_badge(db, eve, Credential.uid("04E2E0F1"), BADGE_KEY)
        twin = registry.add_member(db, "Eve", "Martin", email="Eve@Example.org", today=START.date())
        db.add(
            CentralRefusal(
                site_id="gare",
                entity="credentials",
                entity_id="4f0c0c0c-0000-4000-8000-000000000001",
                reason=RefusalReason.BADGE_HELD,
                detail="badge already held by Eve Martin at central; enrolment refused",
                member_id=twin.id,
                other_member_id=eve.id,
                at=START,
            )
        )
    browser.get(f"{served}/language/fr?next=/login")  # the browser asks for English
    browser.get(f"{served}/login?next=/refusals")
    browser.find_element(By.ID, "email").send_keys(accounts[Role.MANAGER])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))
    assert browser.current_url == f"{served}/refusals"
    assert problems(browser) == []
    row = browser.find_element(By.CSS_SELECTOR, "#refusals tbody tr")
    assert "Fusionnez les deux fiches" in row.text
    click_and_wait(browser, row.find_element(By.LINK_TEXT, "Comparer et fusionner"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Fusionner deux fiches"
    assert problems(browser) == []
    click_and_wait(browser, browser.find_element(By.ID, "merge"))
    assert browser.current_url == f"{served}/members/{eve.id}"
    browser.get(f"{served}/refusals")
    assert "Aucun refus en attente." in browser.find_element(By.TAG_NAME, "main").text
    with sessions() as db:
        live = db.scalars(select(Member).where(Member.deleted_at.is_(None))).all()
        assert [m.id for m in live] == [eve.id]
        assert db.scalars(select(Badge.member_id)).all() == [eve.id]
        assert db.scalars(select(CentralRefusal.resolved_at)).one() is not None
