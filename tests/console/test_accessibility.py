"""Every page of the console (tests/support/console_pages.py), and its 403 and 404, in
French and English, in Debian's Chromium: no violation of WCAG 2.1 A and AA found by
axe-core and the keyboard walk (tests/support/accessibility.py). And the checks
themselves: they find what is wrong in a page made wrong, and refuse another axe-core."""

from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from station.db.staff import Role
from tests.console.conftest import BADGE_KEY, PASSWORD, Clock
from tests.support.accessibility import keyboard_problems, problems
from tests.support.axe import SOURCE, source, violations
from tests.support.browser import needs_chromium
from tests.support.console_data import seed
from tests.support.console_pages import PAGES
from tests.support.console_tour import LANGUAGES, tour

pytestmark = needs_chromium

UNKNOWN = "/members/00000000-0000-4000-8000-000000000000"
# Each line wrong in its own way (and no lang on <html>).
WRONG = """<!doctype html><html><head><title>Wrong</title>
<style>:focus { outline: none; } .faint { color: #aaa; }
.pictured { background: url("data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>"); }
</style></head><body><main>
<h1>Wrong</h1>
<input type="text" name="nameless">
<p class="faint">Faint text on white</p>
<p class="pictured">Text on a picture</p>
<button type="button"></button>
<label for="twice">One</label><input id="twice"><input id="twice" aria-labelledby="twice">
<a href="/somewhere">Ringless link</a>
<a href="/elsewhere" style="position: absolute; left: -999px">Out of sight</a>
</main></body></html>"""


def test_every_page_in_both_languages(
    served: str,
    browser: Any,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    clock: Clock,
) -> None:
    seeded = seed(sessions, clock(), BADGE_KEY)
    found: list[str] = []
    pages: list[str] = []
    for lang, page in tour(browser, served, accounts, PASSWORD, seeded):
        assert "/login?next=" not in browser.current_url, f"{page.name}: sent to /login"
        found += [f"{page.name}-{lang}: {p}" for p in problems(browser)]
        pages.append(f"{page.name}-{lang}")
    for lang in LANGUAGES:  # logged in as the tour's last role, reception
        browser.get(f"{served}/language/{lang}?next=/")
        for name, path in (("forbidden", "/audit"), ("not-found", UNKNOWN)):
            browser.get(f"{served}{path}")
            assert browser.find_element("tag name", "html").get_attribute("lang") == lang
            found += [f"{name}-{lang}: {p}" for p in problems(browser)]
            pages.append(f"{name}-{lang}")
    assert found == [], "\n".join(found)
    assert len(pages) == len(set(pages)) == 2 * len(PAGES) + 4


def test_the_checks_find_a_wrong_page(browser: Any) -> None:
    browser.get("data:text/html;charset=utf-8," + urllib.parse.quote(WRONG))
    found = {(v.rule, v.undecided): v for v in violations(browser)}
    assert sorted(found) == [
        ("button-name", False),
        ("color-contrast", False),
        ("color-contrast", True),  # over a picture, undecided: counted all the same
        ("duplicate-id-aria", True),
        ("html-has-lang", False),
        ("label", False),
    ]
    assert found["color-contrast", False].nodes == (".faint",)
    assert found["color-contrast", True].nodes == (".pictured",)
    assert str(found["label", False]) == (
        'label (critical): Form elements must have labels: input[type="text"]'
    )
    walk = keyboard_problems(browser)
    assert walk[0] == 'no visible focus: <input type="text" name="nameless" data-tab-stop="0">'
    assert walk[-3] == (
        'no visible focus: <a href="/somewhere" data-tab-stop="4">Ringless link</a>'
    )
    hidden = (
        '<a href="/elsewhere" style="position: absolute; left: -999px" data-tab-stop="5">'
        "Out of sight</a>"
    )
    assert walk[-2:] == [f"focused off screen: {hidden}", f"no visible focus: {hidden}"]
    assert len(walk) == 7  # the two fields of one id and the button too


def test_a_changed_axe_core_is_refused(tmp_path: Path) -> None:
    changed = tmp_path / "axe.min.js"
    changed.write_bytes(SOURCE.read_bytes() + b"\n")
    with pytest.raises(AssertionError, match=r"sha256 .* expected axe-core 4\.14\.1's"):
        source(changed)
    assert source().startswith("/*! axe v4.14.1")
