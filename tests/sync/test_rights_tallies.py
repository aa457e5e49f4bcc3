"""A site's account at central keeps its own figures as its upload arrives (with the
site's zone, as `station sync` sends it) and cannot read or change another site's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, Table, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import FROZEN_CURSOR, PEOPLE_CURSOR
from station.checkin import Desk
from station.config import StationConfig
from station.db import (
    AccessEvent,
    Company,
    EntryTally,
    FirstVisit,
    MachineSession,
    PeriodPeople,
    SkillRecord,
    StaleRollup,
    SyncCursor,
    UsageTally,
    Visit,
    make_engine,
)
from station.db.models import VisitorLastSeen
from station.db.tallies import EntryRollup, FoldedRow, PeriodMember
from station.figures import Report
from station.ids import new_event_id
from station.periods import period_key
from station.schedule import Schedule
from sync import rights
from sync.service import SyncService
from sync.up import sync_up
from tests.sync.running_service import config, seeded_site

__all__ = ["config", "seeded_site"]

PARIS = ZoneInfo("Europe/Paris")
MONDAY = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)  # 10:00 in Paris
FROZEN = dt.date(2026, 11, 1)  # the purge froze the days before and unlinked their people
LATE = dt.datetime(2026, 10, 15, 9, tzinfo=dt.UTC)  # a visit a site kept past the retention
OCTOBER = period_key("month", LATE.date())


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


@pytest.fixture
def accounts(central_engine: Engine) -> Iterator[dict[str, Engine]]:
    rights.setup_row_security(central_engine)
    engines = {}
    for site in ("site-a", "site-b"):
        role = rights.create_site_account(central_engine, site, f"secret {site}")
        engines[site] = make_engine(
            central_engine.url.set(username=role, password=f"secret {site}").render_as_string(
                hide_password=False
            )
        )
    yield engines
    for engine in engines.values():
        engine.dispose()


def _purged_before(central: Engine, site: str) -> None:
    """What central's purge leaves for `site`: its cursors, and October frozen with its
    visits partly gone (no one counted)."""
    with central.begin() as connection:
        connection.execute(
            insert(SyncCursor),
            [
                {"name": FROZEN_CURSOR + site, "value": FROZEN.toordinal()},
                {"name": PEOPLE_CURSOR + site, "value": FROZEN.toordinal()},
            ],
        )
        connection.execute(
            insert(PeriodPeople).values(
                site_id=site,
                report=Report.ENTRIES.value,
                period="month",
                key=OCTOBER,
                dimension="",
                value="",
                people=0,
                first_time=0,
                frozen_at=MONDAY,
            )
        )


def _history_at(site_engine: Engine, site: str) -> None:
    """A visit (checked out), a late one, a machine session, an access event, a skill
    and a company, all from `site`."""
    desk = Desk(site, "entrance", "Europe/Paris", {"fablab": "fablab"}, Schedule.open_always())
    with Session(site_engine) as session, session.begin():
        member = registry.add_member(session, "Camille", origin_site=site)
        visit = desk.check_in(session, member, "fablab", MONDAY)
        desk.check_out(session, visit.id, MONDAY + dt.timedelta(hours=2))
        session.add(
            Visit(
                member_id=member.id,
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                checked_in_at=LATE,
                site_id=site,
            )
        )
        session.add(
            MachineSession(
                id=new_event_id(),
                site_id=site,
                agent_id="laser-cutter",
                resource="laser-cutter",
                started_at=MONDAY + dt.timedelta(hours=1),
                duration_s=1800.0,
            )
        )
        session.add(
            AccessEvent(
                id=new_event_id(),
                agent_id="door",
                resource="door",
                type="granted",
                at=MONDAY,
                data={},
                site_id=site,
            )
        )
        session.add(
            SkillRecord(member_id=member.id, skill="mail", recorded_on=MONDAY.date(), site_id=site)
        )
        session.add(
            Company(
                member_id=member.id,
                name="Atelier Camille",
                siren="123456789",
                created_on=MONDAY.date(),
                offer="fablab",
                site_id=site,
            )
        )


def test_an_upload_with_the_zone_keeps_the_sites_figures_through_its_own_account(
    central_engine: Engine, site_engine: Engine, accounts: dict[str, Engine]
) -> None:
    _purged_before(central_engine, "site-a")
    _history_at(site_engine, "site-a")
    result = sync_up(site_engine, accounts["site-a"], "site-a", batch_size=10, zone=PARIS)
    assert (result.registry, result.history, result.rejected) == (1, 6, 0)
    day = MONDAY.date()
    with Session(central_engine) as db:
        entries = [
            (t.site_id, t.day, t.hour, t.entries, t.timed) for t in db.scalars(select(EntryTally))
        ]
        assert entries == [("site-a", day, 10, 1, 1)]  # the late visit waits for the fold
        usage = [(t.site_id, t.day, t.machine, t.seconds) for t in db.scalars(select(UsageTally))]
        assert usage == [("site-a", day, "laser-cutter", 1800.0)]
        assert db.execute(select(StaleRollup.site_id, StaleRollup.day)).all() == [("site-a", day)]
        assert db.execute(select(FirstVisit.site_id, FirstVisit.day)).all() == [
            ("site-a", LATE.date())
        ]
        # October was frozen with no one in it: the late visit's person is counted.
        october = db.scalars(select(PeriodPeople).where(PeriodPeople.key == OCTOBER)).all()
        assert {(p.dimension, p.people, p.first_time) for p in october} >= {("", 1, 1)}
        for model in (Visit, MachineSession, AccessEvent, SkillRecord, Company):
            assert db.scalar(select(func.count()).select_from(model)) == (
                2 if model is Visit else 1
            )


def test_a_round_of_station_sync_through_the_site_account_keeps_its_tallies(
    central_engine: Engine, accounts: dict[str, Engine], config: StationConfig, seeded_site: Engine
) -> None:
    """The service's own round (`station sync`), which always sends the site's zone."""
    site = config.site.id
    role = rights.create_site_account(central_engine, site, "secret")
    url = central_engine.url.set(username=role, password="secret")
    account = make_engine(url.render_as_string(hide_password=False))
    _history_at(seeded_site, site)
    service = SyncService(config, site_engine=seeded_site, central_engine=account, mqtt=False)
    try:
        report = service.round()
        service.purge_if_due()  # central's purge is not a site account's: left, not failed
    finally:
        service.close()
        account.dispose()
    assert report.ok, report.error
    assert report.uploaded == 6
    assert [t.name for t in service.daily_purge.targets] == ["site"]
    with Session(central_engine) as db:
        cells = db.execute(select(EntryTally.site_id, EntryTally.day, EntryTally.entries)).all()
        # Nothing frozen at this central: the October visit has its day's cell too.
        assert sorted(cells) == [(site, LATE.date(), 1), (site, MONDAY.date(), 1)]
        assert db.scalar(select(func.count()).select_from(UsageTally)) == 1
        assert db.scalar(select(FirstVisit.day)) == LATE.date()


# The figures central keeps per site: what a site's role reaches, its own rows only.
_TALLY_ROWS: dict[str, dict[str, Any]] = {
    "entry_tallies": {
        "day": MONDAY.date(),
        "hour": 10,
        "space": "fablab",
        "purpose": "fablab",
        "commune": "",
        "kind": "member",
        "plan": "",
        "age_band": "",
        "entries": 3,
        "timed": 0,
        "minutes": 0.0,
        "durations": {},
    },
    "usage_tallies": {
        "day": MONDAY.date(),
        "hour": 10,
        "machine": "laser-cutter",
        "sessions": 2,
        "seconds": 60.0,
    },
    "first_visits": {"member_id": new_event_id(), "day": MONDAY.date()},
    "period_people": {
        "report": "entries",
        "period": "month",
        "key": "2026-11",
        "dimension": "",
        "value": "",
        "people": 4,
        "first_time": 1,
    },
    "stale_rollups": {"day": MONDAY.date()},
}
_MODELS = {
    model.__tablename__: model
    for model in (EntryTally, UsageTally, FirstVisit, PeriodPeople, StaleRollup)
}
# Central's own work on the figures (the purge, the roll-ups): no site's.
_NOT_A_SITES = (EntryRollup, FoldedRow, PeriodMember, VisitorLastSeen)


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


# What the upload does to each (sync.up.Tallies): recomputed cells are deleted, kept
# figures updated in these columns, the stale days only added to.
_DELETED = ("entry_tallies", "usage_tallies")
_UPDATED: dict[str, dict[str, Any]] = {
    "first_visits": {"day": FROZEN},
    "period_people": {"people": 0},
}


@pytest.mark.parametrize("name", sorted(_TALLY_ROWS))
def test_a_site_cannot_read_or_change_another_sites_figures(
    central_engine: Engine, accounts: dict[str, Engine], name: str
) -> None:
    table = _table(_MODELS[name])
    site_b = accounts["site-b"]
    with central_engine.begin() as connection:  # site A's row, as its upload left it
        connection.execute(insert(table).values(site_id="site-a", **_TALLY_ROWS[name]))
    if name == "stale_rollups":  # not even its own: the upload only adds days
        with pytest.raises(DBAPIError, match="permission denied"):
            _count(site_b, table)
    else:
        assert _count(site_b, table) == 0  # A's row is invisible to B...
    with site_b.begin() as connection:  # ...so B's changes and deletions touch nothing
        of_a = table.c.site_id == "site-a"
        if name in _UPDATED:
            changed = connection.execute(update(table).where(of_a).values(**_UPDATED[name]))
            assert changed.rowcount == 0
        if name in _DELETED:
            assert connection.execute(delete(table).where(of_a)).rowcount == 0
    # B cannot write in A's name...
    with pytest.raises(DBAPIError, match="row-level security"), site_b.begin() as connection:
        connection.execute(insert(table).values(site_id="site-a", **_TALLY_ROWS[name]))
    # ...but in its own, and cannot move its row to A.
    with site_b.begin() as connection:
        connection.execute(insert(table).values(site_id="site-b", **_TALLY_ROWS[name]))
    with pytest.raises(DBAPIError, match="permission denied"), site_b.begin() as connection:
        connection.execute(update(table).values(site_id="site-a"))
    if name not in _DELETED:  # nor delete even its own
        with pytest.raises(DBAPIError, match="permission denied"), site_b.begin() as c:
            c.execute(delete(table).where(table.c.site_id == "site-b"))
    with central_engine.connect() as connection:
        rows = connection.execute(select(table).order_by(table.c.site_id)).mappings().all()
    assert [row["site_id"] for row in rows] == ["site-a", "site-b"]
    assert {k: rows[0][k] for k in _TALLY_ROWS[name]} == _TALLY_ROWS[name]  # A's, unchanged


def test_a_site_cannot_touch_the_frozen_days_of_its_own_figures(
    central_engine: Engine, accounts: dict[str, Engine]
) -> None:
    """The days before the purge's cursor keep the only figures of their purged visits:
    a stolen site account may not erase or rewrite them either."""
    _purged_before(central_engine, "site-a")
    frozen = {**_TALLY_ROWS["entry_tallies"], "day": FROZEN - dt.timedelta(days=1)}
    entries = _table(EntryTally)
    with central_engine.begin() as connection:
        connection.execute(insert(entries).values(site_id="site-a", **frozen))
    site_a = accounts["site-a"]
    with site_a.begin() as connection:
        assert connection.execute(select(func.count()).select_from(entries)).scalar() == 0
        assert connection.execute(delete(entries)).rowcount == 0
    with pytest.raises(DBAPIError, match="row-level security"), site_a.begin() as connection:
        connection.execute(insert(entries).values(site_id="site-a", **{**frozen, "hour": 11}))
    with site_a.begin() as connection:  # the first complete day is its own to recompute
        connection.execute(insert(entries).values(site_id="site-a", **{**frozen, "day": FROZEN}))
    with central_engine.connect() as connection:
        kept = connection.execute(select(entries.c.day, entries.c.entries)).all()
    assert sorted(kept) == [(FROZEN - dt.timedelta(days=1), 3), (FROZEN, 3)]


def test_a_site_reads_its_own_tally_cursors_only_and_writes_none(
    central_engine: Engine, accounts: dict[str, Engine]
) -> None:
    _purged_before(central_engine, "site-a")
    _purged_before(central_engine, "site-b")
    cursors = _table(SyncCursor)
    with central_engine.begin() as connection:
        connection.execute(
            insert(cursors),
            [{"name": PEOPLE_CURSOR + "*", "value": 1}, {"name": "purge-central", "value": 1}],
        )
    with accounts["site-a"].connect() as connection:
        seen = connection.execute(select(cursors.c.name)).scalars().all()
    assert sorted(seen) == sorted(
        [FROZEN_CURSOR + "site-a", PEOPLE_CURSOR + "site-a", PEOPLE_CURSOR + "*"]
    )
    for statement in (
        insert(cursors).values(name=FROZEN_CURSOR + "site-a-2", value=0),
        update(cursors).values(value=0),
        delete(cursors),
    ):
        with pytest.raises(DBAPIError, match="permission denied"), accounts["site-a"].begin() as c:
            c.execute(statement)


@pytest.mark.parametrize("model", _NOT_A_SITES, ids=lambda m: m.__tablename__)
def test_a_site_has_no_right_on_centrals_own_figures(
    accounts: dict[str, Engine], model: Any
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"), accounts["site-a"].connect() as c:
        c.execute(select(func.count()).select_from(_table(model)))
