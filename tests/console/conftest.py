"""Fixtures of the console tests: a central registry (SQLite at head), a clock the test
moves, the application, and one account per role."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from console.accounts import add_account
from console.app import create_app
from station.db import make_engine
from station.db.staff import Role
from sync import central
from tests.support.browser import chromium, serve

BADGE_KEY = b"console-tests-badge-key"
TIMEZONE = "Europe/Paris"
PASSWORD = "correct horse battery"
START = dt.datetime(2026, 3, 10, 9, 30, tzinfo=dt.UTC)  # a Tuesday, 10:30 in Paris
SITES = {Role.MANAGER: "gare", Role.RECEPTION: "gare"}


@dataclass
class Clock:
    now: dt.datetime = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def central_engine(site_db: str) -> Iterator[Engine]:
    """Central's registry: the same migrated schema as a site's, on SQLite."""
    engine = make_engine(site_db)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(central_engine: Engine) -> sessionmaker[Session]:
    return central.sessions(central_engine)


@pytest.fixture
def app(sessions: sessionmaker[Session], clock: Clock) -> Starlette:
    return create_app(sessions, badge_key=BADGE_KEY, timezone=TIMEZONE, clock=clock)


@pytest.fixture
def accounts(sessions: sessionmaker[Session], clock: Clock) -> dict[Role, str]:
    """One account per role, `<role>@example.org`, all with PASSWORD."""
    emails: dict[Role, str] = {}
    with sessions() as db, db.begin():
        for role in Role:
            email = f"{role.value}@example.org"
            add_account(db, email, PASSWORD, role, clock(), SITES.get(role))
            emails[role] = email
    return emails


@pytest.fixture
def served(app: Starlette) -> Iterator[str]:
    """The application under uvicorn: its base URL."""
    with serve(app) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Debian chromium (tests using it are marked `needs_chromium`)."""
    with chromium() as driver:
        yield driver


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def log_in(client: TestClient, email: str, password: str = PASSWORD) -> int:
    """Log `client` in through the login form, from no session; returns the answer's status."""
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"email": email, "password": password, "csrf": token})
    return answer.status_code


LogIn = Callable[[TestClient, str], int]
