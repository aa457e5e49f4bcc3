"""Central's daily tallies follow the history as it arrives, late or not."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.checkin import Desk
from station.db import EntryTally, MachineSession, UsageTally
from station.ids import new_event_id
from station.schedule import Schedule
from sync.up import sync_up

SITE = "saint-omer-gare"
PARIS = ZoneInfo("Europe/Paris")
MONDAY = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


def _central_cells(central: Engine) -> list[tuple[object, ...]]:
    with Session(central) as session:
        entries = [
            (c.site_id, c.day, c.hour, c.entries, c.timed)
            for c in session.scalars(select(EntryTally).order_by(EntryTally.day))
        ]
        usage = [
            (c.site_id, c.day, c.machine, c.sessions, c.seconds)
            for c in session.scalars(select(UsageTally))
        ]
    return [*entries, *usage]


def test_uploads_keep_centrals_tallies_and_a_week_late_session_lands_in_its_day(
    site_engine: Engine, central_engine: Engine
) -> None:
    desk = Desk(SITE, "entrance", "Europe/Paris", {"fablab": "fablab"}, Schedule.open_always())
    with Session(site_engine) as session, session.begin():
        member = registry.add_member(session, "Camille", origin_site=SITE)
        visit_id = desk.check_in(session, member, "fablab", MONDAY).id
    sync_up(site_engine, central_engine, SITE, batch_size=10, zone=PARIS)
    assert _central_cells(central_engine) == [(SITE, dt.date(2026, 11, 2), 10, 1, 0)]
    # The check-out, then a machine session of that Monday an agent kept for a week.
    with Session(site_engine) as session, session.begin():
        desk.check_out(session, visit_id, MONDAY + dt.timedelta(hours=2))
        session.add(
            MachineSession(
                id=new_event_id(),
                site_id=SITE,
                agent_id="laser-cutter",
                resource="laser-cutter",
                started_at=MONDAY + dt.timedelta(hours=1),
                duration_s=1800.0,
            )
        )
    sync_up(site_engine, central_engine, SITE, batch_size=10, zone=PARIS)
    assert _central_cells(central_engine) == [
        (SITE, dt.date(2026, 11, 2), 10, 1, 1),
        (SITE, dt.date(2026, 11, 2), "laser-cutter", 1, 1800.0),
    ]
    # Uploading again (a replay after a crash) changes nothing.
    with Session(site_engine) as session, session.begin():
        for model in (MachineSession,):
            for row in session.scalars(select(model)):
                row.uploaded_at = None
    sync_up(site_engine, central_engine, SITE, batch_size=10, zone=PARIS)
    assert len(_central_cells(central_engine)) == 2
