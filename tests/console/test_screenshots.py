"""Every page of the console (tests/support/console_pages.py) in French and English, in
Debian's Chromium against uvicorn on one seeded data set: each renders (not sent to
/login, no error in the browser's log, the right lang) and is photographed. (The same
tour checks their accessibility: tests/console/test_accessibility.py.)

As `station kiosk --screenshots DIR` does for the kiosk, the pictures go to a directory:
a temporary one in every run, `docs/console/` (`<name>-<lang>.png`) when asked:

    STATION_TEST_SCREENSHOTS=docs/console .venv/bin/python -m pytest \
        tests/console/test_screenshots.py -p no:cacheprovider
"""

from __future__ import annotations

import base64
import os
import struct
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette

from console.app import create_app
from station.config.loader import load_config
from station.db.staff import Role
from tests.console.conftest import BADGE_KEY, PASSWORD, TIMEZONE, Clock
from tests.support.browser import needs_chromium
from tests.support.console_data import seed
from tests.support.console_pages import PAGES
from tests.support.console_tour import tour

pytestmark = needs_chromium

ROOT = Path(__file__).parents[2]
SAMPLE = ROOT / "config.toml"
WIDTH, MIN_HEIGHT, MAX_HEIGHT = 1280, 800, 4000
# The directory to write them to (relative: to the repository). tests/conftest.py drops
# every other STATION_* variable, so that a developer's settings never reach the tests.
ENVIRONMENT = "STATION_TEST_SCREENSHOTS"


@pytest.fixture
def app(sessions: sessionmaker[Session], clock: Clock) -> Starlette:
    """The console with the sample configuration (names of purposes, spaces, machines)."""
    config = load_config(SAMPLE, environ={})
    return create_app(sessions, badge_key=BADGE_KEY, timezone=TIMEZONE, clock=clock, config=config)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    chosen = os.environ.get(ENVIRONMENT)
    directory = ROOT / chosen if chosen else tmp_path / "console"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def test_every_page_in_both_languages(
    served: str,
    browser: Any,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    clock: Clock,
    out: Path,
) -> None:
    seeded = seed(sessions, clock(), BADGE_KEY)
    failures: list[str] = []
    written: list[Path] = []
    for lang, page in tour(browser, served, accounts, PASSWORD, seeded):
        failures += [f"{page.name}-{lang}: {p}" for p in _checked(browser, served, lang)]
        written.append(_shoot(browser, out / f"{page.name}-{lang}.png"))
    assert failures == []
    assert len(written) == 2 * len(PAGES)
    for stale in set(out.glob("*.png")) - set(written):
        stale.unlink()  # a page gone from the list: its pictures too
    for path in written:
        header = path.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">I", header[16:20])[0] == WIDTH


def _checked(browser: Any, served: str, lang: str) -> list[str]:
    from selenium.webdriver.common.by import By

    found = []
    if browser.current_url.startswith(f"{served}/login?next="):
        found.append("sent to /login")
    html = browser.find_element(By.TAG_NAME, "html")
    if html.get_attribute("lang") != lang:
        found.append(f"lang={html.get_attribute('lang')!r}")
    broken = "return [...document.images].filter((i) => !i.naturalWidth).map((i) => i.src)"
    found += [f"image not drawn: {src}" for src in browser.execute_script(broken)]
    logged = browser.get_log("browser")
    found += [f"browser: {e['message']}" for e in logged if e["level"] == "SEVERE"]
    return found


def _shoot(browser: Any, path: Path) -> Path:
    """The whole page, however long (within MAX_HEIGHT), in a viewport WIDTH wide: the
    viewport is made as tall as the page, so nothing scrolls and no scrollbar shows."""
    metrics = {"width": WIDTH, "height": MIN_HEIGHT, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = int(browser.execute_script("return document.documentElement.scrollHeight"))
    metrics["height"] = max(MIN_HEIGHT, min(MAX_HEIGHT, height))
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    path.write_bytes(base64.b64decode(shot["data"]))
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path
