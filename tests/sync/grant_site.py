"""A site of eight members for the grant compiler's tests: badges 04C00000-04C00007,
the even ones trained on the laser, the last one staff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from station import registry
from station.config import StationConfig, load_config
from station.credential import Credential
from station.db import MemberKind
from station.seed import seed_site

NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
DAY = NOW.date()
MEMBERS = 8


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> StationConfig:
    return load_config(config_factory())


@pytest.fixture
def site(site_engine: Engine, config: StationConfig) -> Engine:
    with Session(site_engine) as session, session.begin():
        seed_site(session, config)
        for n in range(MEMBERS):
            member = registry.add_member(
                session,
                f"P{n}",
                kind=MemberKind.STAFF if n == MEMBERS - 1 else MemberKind.MEMBER,
                today=DAY,
                membership_until=dt.date(2030, 1, 1),
            )
            registry.enroll_badge(session, member, Credential.uid(f"04C0{n:04X}"), config.badge_key)
            if n % 2 == 0:
                registry.grant_training(session, member, "laser", now=NOW)
    return site_engine
