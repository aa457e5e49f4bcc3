"""A walk through every page of the console (console_pages.PAGES) in French and English,
in one browser session: the language chosen first (headless Chromium asks for English),
then the pages grouped by role, logged in once per role."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from station.db.staff import Role
from tests.support.browser import click_and_wait
from tests.support.console_data import Seeded
from tests.support.console_pages import PAGES, ConsolePage

LANGUAGES = ("fr", "en")
COOKIE = "station_console"  # the session's; the language's stays across log-ins


def tour(
    browser: Any, served: str, accounts: dict[Role, str], password: str, seeded: Seeded
) -> Iterator[tuple[str, ConsolePage]]:
    """Open each page in each language: (language, page) once the page is loaded."""
    for lang in LANGUAGES:
        browser.get(f"{served}/language/{lang}?next=/login")
        for role, page in _by_role(PAGES):
            if page is None:
                _log_in(browser, served, accounts.get(role) if role else None, password)
                continue
            browser.get(f"{served}{path_of(page, seeded)}")
            yield lang, page


def path_of(page: ConsolePage, seeded: Seeded) -> str:
    try:
        return page.path.format(member=seeded.member, site=seeded.site)
    except KeyError as exc:
        raise AssertionError(
            f"{page.name}: no seeded value for {exc} (tests/support/console_data.py)"
        ) from None


def _by_role(pages: list[ConsolePage]) -> Iterator[tuple[Role | None, ConsolePage | None]]:
    """Pages grouped by role, logged-out ones first: (role, None) says log in as role."""
    roles = sorted({p.role for p in pages}, key=lambda r: "" if r is None else r.value)
    for role in roles:
        yield role, None
        for page in pages:
            if page.role is role:
                yield role, page


def _log_in(browser: Any, served: str, email: str | None, password: str) -> None:
    from selenium.webdriver.common.by import By

    browser.delete_cookie(COOKIE)
    if email is None:
        return
    browser.get(f"{served}/login")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(password)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form.login button"))
    assert browser.get_cookie(COOKIE) is not None
