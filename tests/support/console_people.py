"""What the tests of a person's forms in the console share: the application with the
sample configuration (its plans, skills and purposes), a person, a training."""

from __future__ import annotations

import datetime as dt
import tomllib
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from console.app import create_app
from station import registry
from station.config import StationConfig
from station.config.loader import from_mapping
from station.db import Member, MemberKind, Training
from station.db.staff import AuditAction, AuditEntry
from tests.support.config import SAMPLE

BADGE_KEY = b"console-tests-badge-key"  # tests/console/conftest.py's
TIMEZONE = "Europe/Paris"
TODAY = dt.date(2026, 3, 10)  # the conftest clock's day


def sample_config() -> StationConfig:
    return from_mapping(tomllib.loads(SAMPLE.read_text(encoding="utf-8")), SAMPLE)


@pytest.fixture
def app(sessions: sessionmaker[Session], clock: Any) -> Starlette:
    """The console with the sample configuration (import it to override conftest's)."""
    return create_app(
        sessions, badge_key=BADGE_KEY, timezone=TIMEZONE, clock=clock, config=sample_config()
    )


def add_person(
    sessions: sessionmaker[Session],
    first: str = "Camille",
    last: str = "Martin",
    *,
    email: str | None = "camille@example.fr",
    kind: MemberKind = MemberKind.MEMBER,
    origin_site: str | None = None,
    until: dt.date | None = dt.date(2026, 6, 30),
) -> uuid.UUID:
    """A person at central (a membership of 'member' until `until`), as sync would hold."""
    with sessions() as db, db.begin():
        member = registry.add_member(
            db,
            first,
            last,
            email=email,
            kind=kind,
            today=TODAY,
            membership_until=until,
            plan="member",
        )
        member.origin_site, member.dirty = origin_site, False
        return member.id


def add_training(sessions: sessionmaker[Session], code: str = "laser", days: int = 365) -> None:
    with sessions() as db, db.begin():
        db.add(
            Training(code=code, name_fr="Découpeuse laser", name_en="Laser cutter", valid_days=days)
        )


def person(sessions: sessionmaker[Session], member_id: uuid.UUID) -> Member:
    with sessions() as db:
        found = db.get(Member, member_id)
        assert found is not None
        # Loaded before the session closes: the tests read them after.
        _ = (found.memberships, found.badges, found.trainings)
        return found


def audit_rows(sessions: sessionmaker[Session], action: AuditAction) -> list[AuditEntry]:
    with sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def token(client: TestClient, path: str) -> str:
    """The CSRF token of the page at `path` (its first form)."""
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)
