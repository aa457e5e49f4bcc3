"""Distinct people when rows come late or at the edges (`station.people`,
`station.people_late`): a site's upload that reaches central after the purge of its
days is counted in its open year and, where exact, in its closed frozen periods; the
rows the purge deletes are kept for their open periods up to the same local day that
`people_since` names; and one row an agent dated decades back freezes its own year,
not every year since."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import people_since
from station.checkin import Desk
from station.db import MachineSession, Member, PeriodPeople, SyncCursor, Visit, make_engine
from station.first_visits import first_days, record_first_visits
from station.ids import new_event_id
from station.people import BANKED_CURSOR
from station.people_late import count_late
from station.reports.table import Report
from station.retention import purge
from station.schedule import Schedule
from sync.up import sync_up

SITE = "saint-omer-gare"
PARIS = ZoneInfo("Europe/Paris")
MOVEMENT_DAYS, VISITOR_DAYS = 90, 365


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    fixture = "site_db" if request.param == "sqlite" else "pg_migrated_url"
    engine = make_engine(str(request.getfixturevalue(fixture)))
    yield engine
    engine.dispose()


def _visit(session: Session, member: Member, at: dt.datetime, purpose: str = "fablab") -> Visit:
    visit = Visit(
        site_id=SITE,
        member_id=member.id,
        kiosk_id="entrance",
        purpose=purpose,
        space=purpose,
        home_commune="62765",
        member_kind=member.kind.value,
        plan="",
        checked_in_at=at,
        uploaded_at=at,
    )
    session.add(visit)
    session.flush()
    return visit


def _upload(session: Session, visits: list[Visit]) -> int:
    """What central's upload does with a batch of visits (sync.up.Tallies): the late
    people first, then the batch's first visits."""
    connection = session.connection()
    changed = count_late(connection, SITE, PARIS, Report.ENTRIES, [v.id for v in visits])
    pairs = [(v.member_id, v.checked_in_at) for v in visits]
    record_first_visits(connection, SITE, first_days(pairs, PARIS))
    return changed


def _central_purge(session: Session, now: dt.datetime) -> None:
    purge(session, None, MOVEMENT_DAYS, VISITOR_DAYS, zone=PARIS, now=now, uploaded_only=False)


def _figures(
    session: Session, kind: str, key: str, report: str = "entries"
) -> tuple[int, int | None]:
    row = session.get(PeriodPeople, (SITE, report, kind, key, "", ""))
    assert row is not None, (kind, key)
    return row.people, row.first_time


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), PARIS).astimezone(dt.UTC)


JAN = dt.date(2026, 1, 1)


def test_a_late_upload_is_counted_in_its_open_year_and_where_exact_in_frozen_periods(
    engine: Engine,
) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        on_time, late = registry.add_member(session, "B"), registry.add_member(session, "A")
        _upload(session, [_visit(session, on_time, _at(JAN.replace(day=10), 10))])
        # Central's purge of 20 April freezes January without the site offline since.
        _central_purge(session, dt.datetime(2026, 4, 20, 6, tzinfo=dt.UTC))
        assert _figures(session, "month", "2026-01") == (1, 1)
        # The site comes back: a newcomer's 5 January, and the 6th of the one counted.
        batch = [
            _visit(session, late, _at(JAN.replace(day=5), 10), purpose="coworking"),
            _visit(session, on_time, _at(JAN.replace(day=6), 10)),
        ]
        assert _upload(session, batch) > 0
        # Exact where the person provably was not counted: a newcomer everywhere, the
        # other where their first visit (the 10th) came after the period.
        assert _figures(session, "day", "2026-01-05") == (1, 1)
        assert _figures(session, "day", "2026-01-06") == (1, 1)
        assert _figures(session, "week", "2026-W02") == (2, 2)  # 5 to 11 January
        assert _figures(session, "month", "2026-01") == (2, 2)
        assert _figures(session, "quarter", "2026-Q1") == (2, 2)
        purpose = session.get(
            PeriodPeople, (SITE, "entries", "month", "2026-01", "purpose", "coworking")
        )
        assert purpose is not None and (purpose.people, purpose.first_time) == (1, 1)
        fablab = session.get(
            PeriodPeople, (SITE, "entries", "month", "2026-01", "purpose", "fablab")
        )
        assert fablab is not None and fablab.people == 1  # already counted: not again
        # The same batch again (a replay after a crash) changes nothing.
        before = sorted(
            (r.key, r.dimension, r.value, r.people, r.first_time)
            for r in session.scalars(select(PeriodPeople))
        )
        assert _upload(session, batch) == 0
        after = sorted(
            (r.key, r.dimension, r.value, r.people, r.first_time)
            for r in session.scalars(select(PeriodPeople))
        )
        assert after == before
        # The year was open: the next purge keeps both for it, and its close counts them.
        _central_purge(session, dt.datetime(2026, 4, 21, 6, tzinfo=dt.UTC))
        assert session.scalar(select(func.count()).select_from(Visit)) == 0
        _central_purge(session, dt.datetime(2027, 1, 2, 6, tzinfo=dt.UTC))
        assert _figures(session, "year", "2026") == (2, 2)


def _session(member: Member, machine: str, at: dt.datetime) -> MachineSession:
    return MachineSession(
        id=new_event_id(),
        site_id=SITE,
        agent_id=machine,
        resource=machine,
        member_id=member.id,
        started_at=at,
        duration_s=600.0,
        uploaded_at=at,
    )


def test_a_late_machine_session_fills_a_frozen_figure_that_had_no_user(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        member, late_user = registry.add_member(session, "B"), registry.add_member(session, "C")
        session.add(_session(member, "laser-cutter", _at(JAN.replace(day=3), 15)))
        session.flush()
        _central_purge(session, dt.datetime(2026, 4, 20, 6, tzinfo=dt.UTC))
        assert _figures(session, "month", "2026-01", "usage") == (1, None)
        late = _session(late_user, "printer-3d", _at(JAN.replace(day=12), 15))
        session.add(late)
        session.flush()
        assert count_late(session.connection(), SITE, PARIS, Report.USAGE, [late.id]) > 0
        # Zero before, so exact: the day's users, the month's users of that machine.
        assert _figures(session, "day", "2026-01-12", "usage") == (1, None)
        printer = ("usage", "month", "2026-01", "machine", "printer-3d")
        cell = session.get(PeriodPeople, (SITE, *printer))
        assert cell is not None and cell.people == 1
        # Not the month's total: no first machine use is kept to tell that this user
        # was not among those counted, so it stays (an undercount, not a guess).
        assert _figures(session, "month", "2026-01", "usage") == (1, None)


def test_the_rows_a_purge_deletes_are_kept_for_their_open_year_up_to_people_since(
    engine: Engine,
) -> None:
    # The cutoff falls at 9:00 in Paris on 17 January: the purge deletes that whole
    # local day, the evening's visit too, and says rows name their people from the 18th.
    with Session(engine, expire_on_commit=False) as session, session.begin():
        evening = registry.add_member(session, "Evening")
        night = registry.add_member(session, "Night")
        at_night = dt.datetime(2026, 1, 16, 23, 30, tzinfo=dt.UTC)  # 00:30 on the 17th
        _upload(session, [_visit(session, evening, _at(JAN.replace(day=17), 22))])
        _upload(session, [_visit(session, night, at_night)])
        purge(
            session,
            SITE,
            MOVEMENT_DAYS,
            VISITOR_DAYS,
            zone=PARIS,
            now=dt.datetime(2026, 4, 17, 8, tzinfo=dt.UTC),
        )
        assert session.scalar(select(func.count()).select_from(Visit)) == 0
        since = people_since(session.connection(), SITE)
        assert since == dt.date(2026, 1, 18)
        banked = session.get(SyncCursor, BANKED_CURSOR + SITE)
        assert banked is not None and banked.value == since.toordinal()
        purge(
            session,
            SITE,
            MOVEMENT_DAYS,
            VISITOR_DAYS,
            zone=PARIS,
            now=dt.datetime(2027, 1, 2, 8, tzinfo=dt.UTC),
        )
        assert _figures(session, "year", "2026") == (2, 2)


def test_one_session_an_agent_dated_decades_back_freezes_its_own_year_only(
    engine: Engine,
) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        member = registry.add_member(session, "B")
        session.add(
            MachineSession(
                id=uuid.uuid4(),
                site_id=SITE,
                agent_id="laser-cutter",
                resource="laser-cutter",
                member_id=member.id,
                started_at=dt.datetime(1990, 1, 1, 12, tzinfo=dt.UTC),
                uploaded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
            )
        )
        session.flush()
        purge(
            session,
            SITE,
            MOVEMENT_DAYS,
            VISITOR_DAYS,
            zone=PARIS,
            now=dt.datetime(2026, 4, 20, 8, tzinfo=dt.UTC),
        )
        keys = set(
            session.execute(
                select(PeriodPeople.period, PeriodPeople.key).where(PeriodPeople.dimension == "")
            )
        )
        assert ("year", "1990") in keys and ("day", "1990-01-01") in keys
        assert _figures(session, "year", "1990", "usage") == (1, None)
        years = {int(key[:4]) for _, key in keys}
        assert years == {1990, 1991, 2026}  # 1991-W01 starts on 31 December 1990
        # No year in between: 1990's periods and this year's, not 36 years of days.
        assert len(keys) < 2 * 450


@pytest.fixture
def central_engine(pg_migrated_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_migrated_url)
    yield engine
    engine.dispose()


@pytest.mark.postgres
def test_centrals_upload_corrects_the_frozen_month_of_a_site_back_from_offline(
    site_db: str, central_engine: Engine
) -> None:
    site = make_engine(site_db)
    desk = Desk(SITE, "entrance", "Europe/Paris", {"fablab": "fablab"}, Schedule.open_always())
    try:
        with Session(site, expire_on_commit=False) as session, session.begin():
            on_time = registry.add_member(session, "B", origin_site=SITE)
            late = registry.add_member(session, "A", origin_site=SITE)
            desk.check_in(session, on_time, "fablab", _at(JAN.replace(day=10), 10))
        sync_up(site, central_engine, SITE, batch_size=10, zone=PARIS)
        with Session(central_engine) as session, session.begin():
            _central_purge(session, dt.datetime(2026, 4, 20, 6, tzinfo=dt.UTC))
            assert _figures(session, "month", "2026-01") == (1, 1)
        # The visit of a kiosk that stayed offline reaches central in late April.
        with Session(site, expire_on_commit=False) as session, session.begin():
            desk.check_in(session, late, "fablab", _at(JAN.replace(day=5), 10))
        sync_up(site, central_engine, SITE, batch_size=10, zone=PARIS)
        with Session(central_engine) as session:
            assert _figures(session, "month", "2026-01") == (2, 2)
            assert _figures(session, "day", "2026-01-05") == (1, 1)
    finally:
        site.dispose()
