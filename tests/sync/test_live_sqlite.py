"""The live page's upward path against an SQLite central (the demo's): the agents'
rows and the heartbeat written, a version bumped only by a change, a check-out made
at the site and settled at central."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.config import StationConfig
from station.db import AgentStatus, Visit, make_engine
from station.db.site_live import CheckoutRequest, CheckoutState, SiteAgent, SiteLink
from station.protocol.vocabulary import StatusField
from station.site_live import Alarm
from station.site_view import ask_checkout
from sync import central
from sync.live_up import LiveUpload
from tests.sync.running_service import config, seeded_site

__all__ = ["config", "seeded_site"]

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sqlite_central(_site_db_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "central.db"
    shutil.copy(_site_db_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def test_statuses_heartbeat_and_check_outs_with_an_sqlite_central(
    config: StationConfig, seeded_site: Engine, sqlite_central: Engine
) -> None:
    site = config.site.id
    live = LiveUpload(config, seeded_site, sqlite_central, lambda: NOW)
    live.push()
    live.push()  # nothing changed: the heartbeat alone
    with Session(sqlite_central) as db:
        link = db.get(SiteLink, site)
        assert link is not None and link.version == 1 and link.heard_at == NOW
        rows = db.scalars(select(SiteAgent).where(SiteAgent.site_id == site)).all()
        assert {r.agent_id for r in rows} == set(config.agents)
        assert all(r.alarms == [Alarm.OFFLINE] and r.seen_at is None for r in rows)
    with Session(seeded_site) as db, db.begin():
        status = {StatusField.ONLINE: True, StatusField.READER: "fault"}
        db.add(
            AgentStatus(
                agent_id="front-door", online=True, status={str(k): v for k, v in status.items()}
            )
        )
        member = registry.add_member(db, "Eve", "Desk", origin_site=site, today=NOW.date())
        db.flush()
        db.add(
            Visit(
                member_id=member.id,
                kiosk_id="entree",
                purpose="coworking",
                space="coworking",
                checked_in_at=NOW - dt.timedelta(hours=2),
                site_id=site,
            )
        )
    assert live.push(heartbeat=False)  # the reader fault is shown: written between rounds
    with Session(sqlite_central) as db:
        door = db.get(SiteAgent, (site, "front-door"))
        assert door is not None and door.online and door.alarms == [Alarm.READER_FAULT]
        assert db.get(SiteLink, site).version == 2  # type: ignore[union-attr]
    with Session(seeded_site) as db:
        visit_id = db.scalars(select(Visit.id)).one()
    with Session(sqlite_central) as db, db.begin():  # central holds it, as uploaded
        db.add(
            Visit(
                id=visit_id,
                kiosk_id="entree",
                purpose="coworking",
                space="coworking",
                checked_in_at=NOW - dt.timedelta(hours=2),
                site_id=site,
                uploaded_at=NOW,
            )
        )
    with central.session(sqlite_central) as db:
        request_id = ask_checkout(db, site, visit_id, "reception@example.org", NOW).id
    assert live.round_wanted(poll_central=True)
    assert live.settle_checkouts() == 1
    with Session(seeded_site) as db:
        closed = db.get(Visit, visit_id)
        assert closed is not None and closed.checked_out_at == NOW
        assert closed.checkout_reason == "staff" and closed.uploaded_at is None  # goes up
    with Session(sqlite_central) as db:
        request = db.get(CheckoutRequest, request_id)
        assert request is not None and request.state is CheckoutState.DONE
