"""Distinct people and first-timers per period (`station.people`): equal to an oracle over
the raw rows for every day, week, month, quarter and year, the same after a daily purge
has unlinked the visits (a year longer than the retention included), corrected by late
data while the period's rows are all there, and the first visits kept with the check-ins
and forgotten with the person."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import people_since, rebuild
from station.checkin import Desk
from station.db import FirstVisit, MachineSession, Member, PeriodPeople, Visit, make_engine
from station.db.tallies import PeriodMember
from station.first_visits import backfill
from station.ids import new_event_id
from station.people import FROZEN_DIMENSIONS, cell_value, freeze, freeze_before_purge
from station.periods import PERIOD_KINDS, period_bounds, period_key
from station.privacy import forget
from station.reports.from_aggregates import entries_table, usage_table
from station.reports.table import Measure, Method, Report
from station.retention import purge
from station.schedule import Schedule

SITE = "saint-omer-gare"
PARIS = ZoneInfo("Europe/Paris")
FIRST, LAST = dt.date(2025, 1, 1), dt.date(2026, 6, 30)  # 18 months, three changes of time
TODAY = dt.date(2026, 7, 1)
PURPOSES = {"coworking": "coworking", "fablab": "fablab", "aide-numerique": "numerique"}
COMMUNES = ("62765", "62297", "00000", None)
MOVEMENT_DAYS = 90

Oracle = dict[tuple[str, str, str, str, str], tuple[int, int | None]]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    fixture = "site_db" if request.param == "sqlite" else "pg_migrated_url"
    engine = make_engine(str(request.getfixturevalue(fixture)))
    yield engine
    engine.dispose()


def _history(session: Session, seed: int = 7) -> None:
    """About 450 visits of 36 people over 18 months, each person from their own start
    (some first-timers every month), at any local hour; machine sessions of a few."""
    chance = random.Random(seed)
    span = (LAST - FIRST).days
    people = []
    for n in range(36):
        member = registry.add_member(
            session, f"P{n}", home_commune=COMMUNES[n % len(COMMUNES)], plan="member"
        )
        people.append((member, FIRST + dt.timedelta(days=n * span // 36)))
    for _ in range(450):
        member, start = chance.choice(people)
        day = start + dt.timedelta(days=chance.randrange((LAST - start).days + 1))
        local = dt.datetime.combine(day, dt.time(chance.randrange(24), chance.randrange(60)))
        at = local.replace(tzinfo=PARIS).astimezone(dt.UTC)
        purpose = chance.choice(list(PURPOSES))
        session.add(
            Visit(
                site_id=SITE,
                member_id=member.id,
                kiosk_id="entrance",
                purpose=purpose,
                space=PURPOSES[purpose],
                home_commune=member.home_commune,
                member_kind=member.kind.value,
                plan=chance.choice(("member", "resident", "")),
                checked_in_at=at,
                uploaded_at=at,  # central holds it: the purge may unlink it
            )
        )
    for n in range(150):
        member, start = people[n % 12]
        day = start + dt.timedelta(days=chance.randrange((LAST - start).days + 1))
        at = dt.datetime.combine(day, dt.time(n % 24), PARIS).astimezone(dt.UTC)
        session.add(
            MachineSession(
                id=new_event_id(),
                site_id=SITE,
                agent_id="laser-cutter",
                resource="laser-cutter" if n % 3 else "printer-3d",
                member_id=member.id,
                started_at=at,
                duration_s=600.0,
                uploaded_at=at,
            )
        )
    session.flush()
    rebuild(session.connection(), SITE, PARIS, until=TODAY)
    backfill(session.connection(), SITE, PARIS)


def _oracle(session: Session, before: dt.date) -> Oracle:
    """(report, kind, key, dimension, value) -> (people, first_time) of every period
    closed before `before`, naively from the raw rows."""
    found: defaultdict[tuple[str, str, str, str, str], set[uuid.UUID]] = defaultdict(set)
    firsts: dict[uuid.UUID, dt.date] = {}
    visits = session.scalars(select(Visit).where(Visit.member_id.is_not(None))).all()
    for visit in visits:
        assert visit.member_id is not None
        day = visit.checked_in_at.astimezone(PARIS).date()
        firsts[visit.member_id] = min(firsts.get(visit.member_id, day), day)
        values = {
            "space": visit.space,
            "purpose": visit.purpose,
            "commune": visit.home_commune,
            "kind": visit.member_kind,
            "plan": visit.plan,
            "age": visit.age_band,
        }
        for kind in PERIOD_KINDS:
            if period_bounds(kind, day)[1] >= before:
                continue
            key = period_key(kind, day)
            found[("entries", kind, key, "", "")].add(visit.member_id)
            for dimension, raw in values.items():
                cell = ("entries", kind, key, dimension, cell_value(dimension, raw))
                found[cell].add(visit.member_id)
    for one in session.scalars(select(MachineSession)).all():
        assert one.member_id is not None
        day = one.started_at.astimezone(PARIS).date()
        for period in PERIOD_KINDS:
            if period_bounds(period, day)[1] >= before:
                continue
            key = period_key(period, day)
            found[("usage", period, key, "", "")].add(one.member_id)
            found[("usage", period, key, "machine", one.resource)].add(one.member_id)
    oracle: Oracle = {}
    for (report, kind_of, key, dimension, value), ids in found.items():
        start, end = period_bounds(kind_of, _day(kind_of, key))
        first_time = (
            sum(1 for p in ids if start <= firsts[p] <= end) if report == "entries" else None
        )
        oracle[(report, kind_of, key, dimension, value)] = (len(ids), first_time)
    return oracle


def _day(kind: str, key: str) -> dt.date:
    for offset in range((TODAY - FIRST).days + 400):
        day = FIRST - dt.timedelta(days=200) + dt.timedelta(days=offset)
        if period_key(kind, day) == key:
            return day
    raise AssertionError(key)


def _frozen(session: Session) -> Oracle:
    return {
        (r.report, r.period, r.key, r.dimension, r.value): (r.people, r.first_time)
        for r in session.scalars(select(PeriodPeople)).all()
        if r.people  # an empty period is frozen as zeros: the oracle has no row for it
    }


def test_every_period_equals_the_oracle_and_survives_the_daily_purge(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        _history(session)
        oracle = _oracle(session, TODAY)
        freeze(session.connection(), SITE, PARIS, TODAY)
        assert _frozen(session) == oracle
        kinds = {kind for _, kind, *_ in oracle}
        assert kinds == set(PERIOD_KINDS)  # 2025 is closed, so is each kind's period
        assert {d for *_, d, _ in oracle} == {"", *FROZEN_DIMENSIONS[Report.ENTRIES], "machine"}
        assert sum(v[1] or 0 for k, v in oracle.items() if k[1] == "month" and not k[3]) == 36
    # Wipe the frozen figures; then run the purge as sync does, from the first month on:
    # freeze, then unlink what is older than 90 days (weekly here, daily in production).
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.execute(delete(PeriodPeople))
    now = dt.datetime.combine(FIRST + dt.timedelta(days=30), dt.time(3), dt.UTC)
    while now.date() <= TODAY:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            freeze_before_purge(session.connection(), SITE, PARIS, now, MOVEMENT_DAYS)
            purge(session, SITE, MOVEMENT_DAYS, 100_000, zone=PARIS, now=now)
        now += dt.timedelta(days=7)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        connection = session.connection()
        since = people_since(connection, SITE)
        assert since is not None and since > dt.date(2026, 3, 1)  # 2025 is all unlinked
        old_linked = select(func.count()).where(
            Visit.member_id.is_not(None),
            Visit.checked_in_at < dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        )
        assert session.scalar(old_linked) == 0
        freeze(connection, SITE, PARIS, TODAY)
        # The frozen figures of every closed period are the oracle's of before the purge:
        # 2025's distinct people too, though its January was unlinked in April.
        assert _frozen(session) == oracle
        # Ids are held only for periods still open (2026, its third quarter, July...).
        held = {
            (k, key) for k, key in session.execute(select(PeriodMember.period, PeriodMember.key))
        }
        assert held and all(period_bounds(k, _day(k, key))[1] >= TODAY for k, key in held)
    _reports_read_the_frozen_figures(engine, oracle, since)


def _reports_read_the_frozen_figures(engine: Engine, oracle: Oracle, since: dt.date) -> None:
    year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    with engine.connect() as connection:
        by_month = entries_table(connection, SITE, *year, ["month"], PARIS, raw_since=since)
        assert by_month.method == Method.FROZEN
        for (key,), values in by_month.rows:
            expected = oracle[("entries", "month", key, "", "")]
            assert (values[Measure.PEOPLE], values[Measure.FIRST_TIME]) == expected
        total = oracle[("entries", "year", "2025", "", "")]
        assert (by_month.totals[Measure.PEOPLE], by_month.totals[Measure.FIRST_TIME]) == total
        quarter = (dt.date(2025, 4, 1), dt.date(2025, 6, 30))
        by_purpose = entries_table(connection, SITE, *quarter, ["purpose"], PARIS, raw_since=since)
        assert by_purpose.method == Method.FROZEN
        for (purpose,), values in by_purpose.rows:
            cell = oracle[("entries", "quarter", "2025-Q2", "purpose", purpose)]
            assert (values[Measure.PEOPLE], values[Measure.FIRST_TIME]) == cell
        machines = usage_table(connection, SITE, *year, ["machine"], PARIS, raw_since=since)
        assert machines.method == Method.FROZEN
        for (machine,), values in machines.rows:
            assert values[Measure.USERS] == oracle[("usage", "year", "2025", "machine", machine)][0]
        # Whole months up to June 2026: the later ones from the raw rows kept.
        spring = (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
        months = entries_table(connection, SITE, *spring, ["month"], PARIS, raw_since=since)
        assert months.method == Method.FROZEN
        for (key,), values in months.rows:
            expected = oracle[("entries", "month", key, "", "")]
            assert (values[Measure.PEOPLE], values[Measure.FIRST_TIME]) == expected, key
        # Whole days are periods too; an arbitrary range by purpose is not: said
        # unavailable, nothing made up.
        odd = (dt.date(2025, 1, 5), dt.date(2025, 2, 10))
        days = entries_table(connection, SITE, *odd, ["day"], PARIS, raw_since=since)
        assert days.method == Method.FROZEN
        for (key,), values in days.rows:
            assert values[Measure.PEOPLE] == oracle[("entries", "day", key, "", "")][0]
        purposes = entries_table(connection, SITE, *odd, ["purpose"], PARIS, raw_since=since)
        assert purposes.method == Method.UNAVAILABLE
        assert all(values[Measure.PEOPLE] is None for _, values in purposes.rows)
        hours = entries_table(connection, SITE, *year, ["hour"], PARIS, raw_since=since)
        assert hours.method == Method.UNAVAILABLE


def test_late_visits_correct_a_frozen_period_while_its_rows_are_all_there(
    engine: Engine,
) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        _history(session)
        freeze(session.connection(), SITE, PARIS, TODAY)
        newcomer = registry.add_member(session, "Late")
        late = dt.datetime(2026, 6, 20, 9, tzinfo=dt.UTC)  # last month's, uploaded a week late
        desk = Desk(SITE, "entrance", "Europe/Paris", PURPOSES, Schedule.open_always())
        desk.check_in(session, newcomer, "fablab", late)
        before = _oracle(session, TODAY)
        freeze(session.connection(), SITE, PARIS, TODAY + dt.timedelta(days=2))
        assert {k: v for k, v in _frozen(session).items() if k[1] != "day" or k[2] < "2026-07"} == (
            before
        )
        june = before[("entries", "month", "2026-06", "", "")]
        frozen = session.get(PeriodPeople, (SITE, "entries", "month", "2026-06", "", ""))
        assert frozen is not None and (frozen.people, frozen.first_time) == june


def test_forgetting_a_person_removes_their_first_visit_and_kept_ids(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        _history(session)
        now = dt.datetime(2026, 6, 15, 3, tzinfo=dt.UTC)
        freeze_before_purge(session.connection(), SITE, PARIS, now, MOVEMENT_DAYS)
        held = session.scalars(select(PeriodMember.member_id)).first()
        assert held is not None
        member = session.get(Member, held)
        assert member is not None
        assert session.get(FirstVisit, (SITE, member.id)) is not None
        forget(session, member, now=now)
        assert session.get(FirstVisit, (SITE, member.id)) is None
        assert not session.scalars(
            select(PeriodMember).where(PeriodMember.member_id == member.id)
        ).all()


def test_the_kiosk_records_the_first_visit_in_its_own_transaction(engine: Engine) -> None:
    desk = Desk(SITE, "entrance", "Europe/Paris", PURPOSES, Schedule.open_always())
    at = dt.datetime(2026, 10, 24, 22, 30, tzinfo=dt.UTC)  # the 25th in Paris
    with Session(engine, expire_on_commit=False) as session, session.begin():
        member = registry.add_member(session, "Camille")
        desk.check_in(session, member, "fablab", at)
    with Session(engine) as session:
        first = session.get(FirstVisit, (SITE, member.id))
        assert first is not None and first.day == dt.date(2026, 10, 25)
    # An earlier visit arriving late moves it back; a later one does not move it.
    with Session(engine, expire_on_commit=False) as session, session.begin():
        desk.check_in(session, member, "fablab", at - dt.timedelta(days=3))
        desk.check_in(session, member, "fablab", at + dt.timedelta(days=3))
    with Session(engine) as session:
        first = session.get(FirstVisit, (SITE, member.id))
        assert first is not None and first.day == dt.date(2026, 10, 22)
    # A check-in rolled back leaves no first visit behind.
    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            other = registry.add_member(session, "Léo")
        other_id = other.id
        session.begin()
        desk.check_in(session, other, "fablab", at)
        session.rollback()
    with Session(engine) as session:
        assert session.get(FirstVisit, (SITE, other_id)) is None
