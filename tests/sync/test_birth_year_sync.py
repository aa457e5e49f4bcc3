"""A visitor's birth year goes up with their sign-up and comes down from central like the
other member columns; the band of their visit goes up with the visit into central's cells."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station.checkin import Desk
from station.db import EntryTally, Member, Visit
from station.schedule import Schedule
from sync import central
from sync.down import sync_down
from sync.up import sync_up

pytestmark = pytest.mark.postgres

SITE = "site-a"
PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def test_the_birth_year_travels_up_and_down(site_engine: Engine, central_engine: Engine) -> None:
    desk = Desk(SITE, "entrance", "Europe/Paris", {"fablab": "fablab"}, Schedule.open_always())
    with Session(site_engine) as session, session.begin():
        member, _ = desk.sign_up_visitor(
            session,
            "Inès",
            commune="62765",
            purpose="fablab",
            consent=True,
            now=NOW,
            birth_year=2011,
        )
        member_id = member.id
    result = sync_up(site_engine, central_engine, SITE, batch_size=10, zone=PARIS)
    assert result.rejected == 0
    with Session(central_engine) as session:
        assert session.get_one(Member, member_id).birth_year == 2011
        assert [v.age_band for v in session.scalars(select(Visit))] == ["12-17"]
        assert [(c.age_band, c.entries) for c in session.scalars(select(EntryTally))] == [
            ("12-17", 1)
        ]
    # Corrected at central (the person gave the wrong year): the site gets it.
    with central.session(central_engine) as db:
        db.get_one(Member, member_id).birth_year = 2010
    sync_down(site_engine, central_engine, batch_size=10)
    with Session(site_engine) as session:
        assert session.get_one(Member, member_id).birth_year == 2010
    # And cleared there: None comes down too.
    with central.session(central_engine) as db:
        db.get_one(Member, member_id).birth_year = None
    sync_down(site_engine, central_engine, batch_size=10)
    with Session(site_engine) as session:
        assert session.get_one(Member, member_id).birth_year is None
