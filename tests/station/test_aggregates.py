"""The daily tallies: every measure and dimension equal to an oracle over the raw rows,
kept in the kiosk's and sync's own transactions, across a daylight-saving night, and
unchanged once the purge has unlinked the visits."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import BUCKET_MINUTES, people_since, rebuild, refresh_entries
from station.checkin import Desk
from station.db import EntryTally, MachineSession, MemberKind, UsageTally, Visit, make_engine
from station.ids import new_event_id
from station.reports.cells import DAY_DERIVED
from station.reports.from_aggregates import entries_table, usage_table
from station.reports.table import UNKNOWN, Measure, Method, ReportTable
from station.retention import purge
from station.schedule import Schedule

SITE = "saint-omer-gare"
PARIS = ZoneInfo("Europe/Paris")
FIRST, LAST = dt.date(2026, 9, 1), dt.date(2026, 11, 30)  # 25 October: clocks go back
PURPOSES = {"coworking": "coworking", "fablab": "fablab", "aide-numerique": "numerique"}
COMMUNES = ("62765", "62297", "00000", None)
PLANS = ("member", "resident", "")
ENTRY_DIMS = (
    "day",
    "week",
    "month",
    "quarter",
    "year",
    "hour",
    "weekday",
    "space",
    "purpose",
    "commune",
    "kind",
    "plan",
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    fixture = "site_db" if request.param == "sqlite" else "pg_migrated_url"
    engine = make_engine(str(request.getfixturevalue(fixture)))
    yield engine
    engine.dispose()


def _history(session: Session, seed: int = 12) -> list[Visit]:
    """Some 600 visits of 40 people over three months, at any hour of the local day
    (the night of the change of time included), a third without a check-out."""
    chance = random.Random(seed)
    people = [
        registry.add_member(
            session,
            f"P{n}",
            kind=MemberKind.VISITOR if n % 4 == 0 else MemberKind.MEMBER,
            home_commune=COMMUNES[n % len(COMMUNES)],
        )
        for n in range(40)
    ]
    visits: list[Visit] = []
    for _ in range(600):
        person = chance.choice(people)
        day = FIRST + dt.timedelta(days=chance.randrange((LAST - FIRST).days + 1))
        local = dt.datetime.combine(day, dt.time(chance.randrange(24), chance.randrange(60)))
        at = local.replace(tzinfo=PARIS).astimezone(dt.UTC)
        purpose = chance.choice(list(PURPOSES))
        out = (
            at + dt.timedelta(minutes=chance.randrange(5, 600)) if chance.random() < 0.66 else None
        )
        visit = Visit(
            site_id=SITE,
            member_id=person.id,
            kiosk_id="entrance",
            purpose=purpose,
            space=PURPOSES[purpose],
            home_commune=person.home_commune,
            member_kind=person.kind.value,
            plan="" if person.kind is MemberKind.VISITOR else chance.choice(PLANS[:2]),
            checked_in_at=at,
            checked_out_at=out,
        )
        session.add(visit)
        visits.append(visit)
    for n in range(120):
        day = FIRST + dt.timedelta(days=n % 90)
        session.add(
            MachineSession(
                id=new_event_id(),
                site_id=SITE,
                agent_id="laser-cutter",
                resource="laser-cutter" if n % 3 else "printer-3d",
                member_id=people[n % 40].id,
                started_at=dt.datetime.combine(day, dt.time(n % 24), PARIS).astimezone(dt.UTC),
                duration_s=float(600 + n * 30),
            )
        )
    session.flush()
    return visits


def _key(visit: Visit, dims: tuple[str, ...]) -> tuple[str, ...]:
    local = visit.checked_in_at.astimezone(PARIS)
    named = {
        "hour": f"{local.hour:02d}",
        "space": visit.space,
        "purpose": visit.purpose,
        "commune": visit.home_commune or UNKNOWN,
        "kind": visit.member_kind,
        "plan": visit.plan or UNKNOWN,
    }
    return tuple(DAY_DERIVED[d](local.date()) if d in DAY_DERIVED else named[d] for d in dims)


def _oracle(visits: list[Visit], dims: tuple[str, ...]) -> dict[tuple[str, ...], dict[str, object]]:
    """What a person counting the visits one by one finds."""
    cells: defaultdict[tuple[str, ...], list[Visit]] = defaultdict(list)
    for visit in visits:
        cells[_key(visit, dims)].append(visit)
    return {
        key: {
            Measure.ENTRIES: len(group),
            Measure.PEOPLE: len({v.member_id for v in group}),
            Measure.MEMBERS: sum(v.member_kind == "member" for v in group),
            Measure.VISITORS: sum(v.member_kind == "visitor" for v in group),
            "minutes": [
                (v.checked_out_at - v.checked_in_at).total_seconds() / 60
                for v in group
                if v.checked_out_at is not None
            ],
        }
        for key, group in cells.items()
    }


def _table(engine: Engine, dims: tuple[str, ...], raw_since: dt.date | None = None) -> ReportTable:
    with engine.connect() as connection:
        return entries_table(connection, SITE, FIRST, LAST, dims, PARIS, raw_since=raw_since)


def _close_to_median(found: object, minutes: list[float]) -> bool:
    if not minutes:
        return found is None
    assert isinstance(found, float)
    low, high = statistics.median_low(minutes), statistics.median_high(minutes)
    return low - BUCKET_MINUTES <= found <= high + BUCKET_MINUTES


@pytest.mark.parametrize(
    "dims", [(d,) for d in ENTRY_DIMS] + [("weekday", "hour"), ("purpose", "month")]
)
def test_every_entry_measure_and_dimension_equals_the_raw_rows(
    engine: Engine, dims: tuple[str, ...]
) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        visits = _history(session)
        rebuild(session.connection(), SITE, PARIS, until=LAST)
        expected = _oracle(visits, dims)
    table = _table(engine, dims)
    assert table.method == Method.RAW
    found = dict(table.rows)
    assert set(found) == set(expected)
    for key, values in expected.items():
        for measure in (Measure.ENTRIES, Measure.PEOPLE, Measure.MEMBERS, Measure.VISITORS):
            assert found[key][measure] == values[measure], (key, measure)
        minutes = values["minutes"]
        assert isinstance(minutes, list)
        assert _close_to_median(found[key][Measure.MEDIAN_MINUTES], minutes), key
    assert table.totals[Measure.ENTRIES] == len(visits)
    assert table.totals[Measure.PEOPLE] == len({v.member_id for v in visits})


def test_the_night_clocks_go_back_counts_its_25_hours_once(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        member = registry.add_member(session, "Night owl")
        # 00:30, 01:30 and 02:30 (twice: summer then winter time) in Paris on 25 October.
        moments = ["2026-10-24T22:30", "2026-10-24T23:30", "2026-10-25T00:30", "2026-10-25T01:30"]
        for moment in moments:
            session.add(_visit(member.id, dt.datetime.fromisoformat(moment + "+00:00")))
        session.flush()
        rebuild(session.connection(), SITE, PARIS, until=LAST)
    by_hour = dict(_table(engine, ("day", "hour")).rows)
    assert {key: v[Measure.ENTRIES] for key, v in by_hour.items()} == {
        ("2026-10-25", "00"): 1,
        ("2026-10-25", "01"): 1,
        ("2026-10-25", "02"): 2,
    }


def _visit(member: uuid.UUID | None, at: dt.datetime, purpose: str = "coworking") -> Visit:
    return Visit(
        site_id=SITE,
        member_id=member,
        kiosk_id="entrance",
        purpose=purpose,
        space=PURPOSES[purpose],
        member_kind="member",
        checked_in_at=at,
    )


def test_usage_by_machine_training_and_month_equals_the_raw_rows(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        _history(session)
        rebuild(session.connection(), SITE, PARIS, until=LAST)
        sessions = session.scalars(select(MachineSession)).all()
    trainings = {"laser-cutter": ("laser",), "printer-3d": ()}
    with engine.connect() as connection:
        table = usage_table(
            connection,
            SITE,
            FIRST,
            LAST,
            ("machine", "month"),
            PARIS,
            trainings_of=lambda machine: trainings[machine],
        )
        by_training = usage_table(
            connection, SITE, FIRST, LAST, ("training",), PARIS, trainings_of=trainings.__getitem__
        )
    expected: defaultdict[tuple[str, ...], list[MachineSession]] = defaultdict(list)
    for s in sessions:
        expected[(s.resource, f"{s.started_at.astimezone(PARIS):%Y-%m}")].append(s)
    found = dict(table.rows)
    assert set(found) == set(expected)
    for key, group in expected.items():
        assert found[key][Measure.SESSIONS] == len(group)
        assert found[key][Measure.HOURS] == round(sum(s.duration_s or 0 for s in group) / 3600, 2)
        assert found[key][Measure.USERS] == len({s.member_id for s in group})
    laser = [s for s in sessions if s.resource == "laser-cutter"]
    assert dict(by_training.rows)[("laser",)][Measure.SESSIONS] == len(laser)
    assert dict(by_training.rows)[(UNKNOWN,)][Measure.SESSIONS] == len(sessions) - len(laser)


def _desk() -> Desk:
    return Desk(SITE, "entrance", "Europe/Paris", PURPOSES, Schedule.open_always())


def _cells(engine: Engine) -> list[tuple[object, ...]]:
    with Session(engine) as session:
        return [
            (c.day, c.hour, c.purpose, c.entries, c.timed, c.minutes)
            for c in session.scalars(select(EntryTally).order_by(EntryTally.day, EntryTally.hour))
        ]


def test_the_kiosk_keeps_the_tallies_in_its_own_transaction(engine: Engine) -> None:
    desk = _desk()
    at = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)  # 02:30 winter time in Paris
    with Session(engine, expire_on_commit=False) as session, session.begin():
        member = registry.add_member(session, "Camille")
        visit_id = desk.check_in(session, member, "fablab", at).id
    assert _cells(engine) == [(dt.date(2026, 10, 25), 2, "fablab", 1, 0, 0.0)]
    with Session(engine, expire_on_commit=False) as session, session.begin():
        desk.choose_purpose(session, visit_id, "coworking")
        desk.check_out(session, visit_id, at + dt.timedelta(minutes=95))
    assert _cells(engine) == [(dt.date(2026, 10, 25), 2, "coworking", 1, 1, 95.0)]
    # A check-in rolled back leaves no cell behind: the same transaction.
    with Session(engine) as session:
        with session.begin():
            member = registry.add_member(session, "Léo")
        session.begin()
        desk.check_in(session, member, "fablab", at + dt.timedelta(hours=1))
        session.rollback()
    assert _cells(engine) == [(dt.date(2026, 10, 25), 2, "coworking", 1, 1, 95.0)]


def test_a_late_check_out_lands_in_the_day_of_its_check_in(engine: Engine) -> None:
    desk = _desk()
    monday = dt.datetime(2026, 11, 2, 20, tzinfo=dt.UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        member = registry.add_member(session, "Inès")
        visit_id = desk.check_in(session, member, "coworking", monday).id
        refresh_entries(session.connection(), SITE, PARIS, [dt.date(2026, 11, 9)])
    # A week later the visit is closed (its agent, its kiosk, central was away).
    with Session(engine, expire_on_commit=False) as session, session.begin():
        desk.check_out(session, visit_id, monday + dt.timedelta(hours=3))
    cells = _cells(engine)
    assert cells == [(dt.date(2026, 11, 2), 21, "coworking", 1, 1, 180.0)]


def test_the_figures_survive_the_purge_and_distinct_counts_say_so(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        visits = _history(session)
        rebuild(session.connection(), SITE, PARIS, until=LAST)
        for visit in visits:
            visit.uploaded_at = visit.checked_in_at  # central holds them: they may go
        session.execute(update(MachineSession).values(uploaded_at=MachineSession.started_at))
    shapes: list[tuple[str, ...]] = [("month",), ("commune", "kind")]
    before = {dims: _table(engine, dims) for dims in shapes}
    now = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        result = purge(session, SITE, 30, 365, zone=PARIS, now=now)
        assert result.visits_deleted > 0
        # The first local day that starts after the cutoff (Paris is ahead of UTC).
        cutoff_day = (now - dt.timedelta(days=30)).date() + dt.timedelta(days=1)
        assert people_since(session.connection(), SITE) == cutoff_day
        start = dt.datetime.combine(cutoff_day, dt.time(), PARIS)
        older = select(func.count()).where(Visit.checked_in_at < start)
        assert session.scalar(older) == 0
    with engine.connect() as connection:
        raw_since = people_since(connection, SITE)
    _unchanged_but_people(engine, before, raw_since)
    # Recomputing the days (their visits gone) changes no figure either.
    with Session(engine, expire_on_commit=False) as session, session.begin():
        rebuild(session.connection(), SITE, PARIS, until=LAST)
    _unchanged_but_people(engine, before, raw_since)


def _unchanged_but_people(
    engine: Engine, before: dict[tuple[str, ...], ReportTable], raw_since: dt.date | None
) -> None:
    # Months were closed and frozen by the purge before their rows went: their people
    # stay; commune x kind is no period, and says its distinct counts are unavailable.
    methods = {("month",): Method.FROZEN, ("commune", "kind"): Method.UNAVAILABLE}
    for dims, table in before.items():
        after = _table(engine, dims, raw_since=raw_since)
        assert after.method == methods[dims]
        assert [key for key, _ in after.rows] == [key for key, _ in table.rows]
        for (key, old), (_, new) in zip(table.rows, after.rows, strict=True):
            for measure in (
                Measure.ENTRIES,
                Measure.MEMBERS,
                Measure.VISITORS,
                Measure.MEDIAN_MINUTES,
            ):
                assert new[measure] == old[measure], (key, measure)
            assert old[Measure.PEOPLE]
            frozen = after.method == Method.FROZEN
            assert new[Measure.PEOPLE] == (old[Measure.PEOPLE] if frozen else None)


def test_rebuild_twice_changes_nothing(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        _history(session)
        rebuild(session.connection(), SITE, PARIS, until=LAST)
    once = _cells(engine)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        rebuild(session.connection(), SITE, PARIS, until=LAST)
    assert _cells(engine) == once
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(UsageTally))


def test_a_tap_recomputes_its_hour_also_the_hour_lived_twice(engine: Engine) -> None:
    desk = _desk()
    # 02:30 summer time, then 02:30 winter time, in Paris on 25 October: one local hour.
    first, second = (dt.datetime(2026, 10, 25, h, 30, tzinfo=dt.UTC) for h in (0, 1))
    with Session(engine, expire_on_commit=False) as session, session.begin():
        camille = registry.add_member(session, "Camille")
        leo = registry.add_member(session, "Léo")
        desk.check_in(session, camille, "fablab", first)
        desk.check_in(session, leo, "fablab", second)
        # A visit of another hour, written without the desk: a tap does not recompute it.
        session.add(_visit(None, dt.datetime(2026, 10, 25, 9, tzinfo=dt.UTC)))
    assert _cells(engine) == [(dt.date(2026, 10, 25), 2, "fablab", 2, 0, 0.0)]
    with Session(engine, expire_on_commit=False) as session, session.begin():
        rebuild(session.connection(), SITE, PARIS, until=LAST)
    assert _cells(engine) == [
        (dt.date(2026, 10, 25), 2, "fablab", 2, 0, 0.0),
        (dt.date(2026, 10, 25), 10, "coworking", 1, 0, 0.0),
    ]
