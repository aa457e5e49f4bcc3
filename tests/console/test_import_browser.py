"""Importing in a real browser (Debian's chromium) against uvicorn on a real central
database: a CSV of 1,000 people with three bad rows, each named in the preview; the
confirmation creates the others; the same file again creates nobody."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from station.db import Member
from station.db.staff import Role
from tests.console.conftest import PASSWORD
from tests.support.accessibility import problems
from tests.support.browser import click_and_wait, needs_chromium
from tests.support.import_sheets import BAD_ROWS, sheet

pytestmark = needs_chromium


def _people(sessions: sessionmaker[Session]) -> int:
    with sessions() as db:
        return db.scalar(select(func.count()).select_from(Member)) or 0


def _upload(browser: Any, served: str, path: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{served}/import")
    browser.find_element(By.ID, "file").send_keys(str(path))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.upload button"))


def test_import_a_thousand_people_then_the_same_file_again(
    served: str,
    browser: Any,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    from selenium.webdriver.common.by import By

    path = tmp_path / "inscriptions.csv"
    path.write_bytes(sheet(1000))
    browser.get(f"{served}/language/fr?next=/login")  # headless chromium asks for English
    browser.find_element(By.ID, "email").send_keys(accounts[Role.RECEPTION])
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, 'nav a[href="/import"]'))

    _upload(browser, served, path)
    rows = browser.find_elements(By.CSS_SELECTOR, "#problems tbody tr")
    named = {int(r.get_attribute("data-row")): r.find_elements(By.TAG_NAME, "td") for r in rows}
    assert sorted(named) == sorted(BAD_ROWS)
    for row, (column, _) in BAD_ROWS.items():
        assert named[row][1].text == column
    assert "n'est pas une adresse e-mail" in named[101][3].text
    assert "n'est pas une date" in named[502][3].text
    assert "obligatoire" in named[903][3].text
    assert browser.find_element(By.ID, "new-count").text == "997"
    assert browser.find_element(By.ID, "problem-count").text == "3"
    assert _people(sessions) == 0  # nothing written before the confirmation
    assert problems(browser) == []  # every select labelled by its column's name, one h1

    confirm = browser.find_element(By.ID, "confirm")
    assert confirm.text == "Importer 997 personnes"
    click_and_wait(browser, confirm)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Import terminé"
    assert browser.find_element(By.ID, "created-count").text == "997"
    assert "101, 502, 903" in browser.find_element(By.ID, "problem-rows").text
    assert _people(sessions) == 997
    assert problems(browser) == []

    _upload(browser, served, path)
    assert browser.find_element(By.ID, "new-count").text == "0"
    assert browser.find_element(By.ID, "present-count").text == "997"
    assert browser.find_element(By.ID, "nothing").text.startswith("Rien à importer")
    assert "déjà été importé" in browser.find_element(By.ID, "earlier").text
    assert browser.find_elements(By.ID, "confirm") == []
    assert _people(sessions) == 997
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
