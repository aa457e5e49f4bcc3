"""The demo's console login: one admin account at central, made once, whose printed
password opens it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.accounts import authenticate
from station.cli.demo import DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD, _demo_admin
from station.config import load_config
from station.db import make_engine, upgrade
from station.db.staff import AuditAction, AuditEntry, Role, StaffAccount
from tests.support.config import write_config

NOW = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)


def test_the_demo_admin_is_made_once_and_its_password_opens_it(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    central_url = config.resolve_url(config.central.url)
    upgrade(central_url)
    assert _demo_admin(config, NOW)
    assert _demo_admin(config, NOW + dt.timedelta(days=1))  # the next start of the demo
    engine = make_engine(central_url)
    try:
        with Session(engine) as session:
            accounts = session.scalars(select(StaffAccount)).all()
            assert [(a.email, a.role, a.site_id) for a in accounts] == [
                (DEMO_ADMIN_EMAIL, Role.ADMIN, None)
            ]
            assert accounts[0].created_at.replace(tzinfo=dt.UTC) == NOW
            created = session.scalars(
                select(AuditEntry).where(AuditEntry.action == AuditAction.ACCOUNT_CREATED)
            ).all()
            assert [e.target for e in created] == [DEMO_ADMIN_EMAIL]
            assert authenticate(session, DEMO_ADMIN_EMAIL, DEMO_ADMIN_PASSWORD) is not None
    finally:
        engine.dispose()
