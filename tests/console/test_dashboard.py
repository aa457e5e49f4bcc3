"""/: people registered, and today at each site from the visits central holds."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from console.dashboard import dashboard
from station import registry
from station.db import Visit
from station.db.refusals import CentralRefusal, RefusalReason
from station.db.staff import Role
from tests.console.conftest import START, TIMEZONE, log_in


def visit(site: str, at: dt.datetime, out: dt.datetime | None = None) -> Visit:
    return Visit(
        site_id=site,
        kiosk_id="entrance",
        purpose="coworking",
        space="coworking",
        checked_in_at=at,
        checked_out_at=out,
    )


def seed(sessions: sessionmaker[Session]) -> None:
    hour = dt.timedelta(hours=1)
    with sessions() as db, db.begin():
        for first in ("Camille", "Lucas", "Inès"):
            registry.add_member(db, first, "Test", today=START.date())
        db.add_all(
            [
                visit("gare", START - hour),  # in now
                visit("gare", START - 2 * hour, START - hour),  # came and went today
                visit("gare", START - dt.timedelta(days=1), START - dt.timedelta(hours=20)),
                visit("halle", START - 3 * hour),
            ]
        )
        for site in ("gare", "halle"):
            db.add(
                CentralRefusal(
                    site_id=site,
                    entity="credentials",
                    entity_id="x",
                    reason=RefusalReason.BADGE_HELD,
                    at=START,
                )
            )


def test_figures_of_every_site(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    with sessions() as db:
        data = dashboard(db, START, TIMEZONE)
        gare = dashboard(db, START, TIMEZONE, "gare")
    assert data.people == 3 and (data.refusals_pending, gare.refusals_pending) == (2, 1)
    assert [(s.site_id, s.entries, s.in_now) for s in data.sites] == [
        ("gare", 2, 1),
        ("halle", 1, 1),
    ]
    assert [(s.site_id, s.entries, s.in_now) for s in gare.sites] == [("gare", 2, 1)]


def test_a_manager_sees_their_site_and_an_admin_every_site(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    seed(sessions)
    assert log_in(client, accounts[Role.MANAGER]) == 303
    page = client.get("/").text
    assert "gare" in page and "halle" not in page
    assert '<dd id="people">3</dd>' in page
    assert log_in(client, accounts[Role.ADMIN]) == 303
    page = client.get("/").text
    assert "gare" in page and "halle" in page
