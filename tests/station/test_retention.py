"""The purge deletes the movement rows past retention by whole local days, and a row
that arrives for a day already frozen is added to its figures once, at the next purge."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from station import registry, retention
from station.aggregates import frozen_before, refresh_entries, refresh_usage
from station.db import MachineSession, Member, Visit, make_engine
from station.ids import new_event_id
from station.reports.from_aggregates import entries_table, usage_table
from station.reports.table import Measure
from station.retention import purge
from tests.support.postgres import indexes_used

SITE = "saint-omer-gare"
PARIS = ZoneInfo("Europe/Paris")
DAY = dt.date(2026, 6, 10)  # long past the 90 days of the purges below
# Medians are read from 5-minute buckets: the middle visit's bucket, at its middle.
NOW = dt.datetime(2026, 11, 26, 3, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    fixture = "site_db" if request.param == "sqlite" else "pg_migrated_url"
    engine = make_engine(str(request.getfixturevalue(fixture)))
    yield engine
    engine.dispose()


def _visit(session: Session, member: Member, hour: int, minutes: int) -> None:
    at = dt.datetime.combine(DAY, dt.time(hour), PARIS).astimezone(dt.UTC)
    _visit_at(session, member, at, minutes)
    session.add(
        MachineSession(
            id=new_event_id(),
            site_id=SITE,
            agent_id="laser-cutter",
            resource="laser-cutter",
            member_id=member.id,
            started_at=at,
            duration_s=minutes * 60.0,
            uploaded_at=at,
        )
    )
    session.flush()
    refresh_usage(session.connection(), SITE, PARIS, [DAY])


def _visit_at(
    session: Session,
    member: Member,
    at: dt.datetime,
    minutes: int,
    *,
    uploaded: bool = True,
    row_id: uuid.UUID | None = None,
) -> Visit:
    visit = Visit(
        id=row_id or new_event_id(),
        site_id=SITE,
        member_id=member.id,
        kiosk_id="entrance",
        purpose="fablab",
        space="fablab",
        home_commune="62765",
        member_kind=member.kind.value,
        checked_in_at=at,
        checked_out_at=at + dt.timedelta(minutes=minutes),
        uploaded_at=at if uploaded else None,
    )
    session.add(visit)
    session.flush()
    refresh_entries(session.connection(), SITE, PARIS, [at.astimezone(PARIS).date()])
    return visit


def _figures(engine: Engine) -> tuple[object, ...]:
    with engine.connect() as connection:
        entries = entries_table(connection, SITE, DAY, DAY, ["hour"], PARIS)
        usage = usage_table(connection, SITE, DAY, DAY, ["machine"], PARIS)
    return (
        entries.totals[Measure.ENTRIES],
        entries.totals[Measure.MEDIAN_MINUTES],
        [(key, values[Measure.ENTRIES]) for key, values in entries.rows],
        usage.totals[Measure.SESSIONS],
        usage.totals[Measure.HOURS],
    )


def _purge(engine: Engine, now: dt.datetime) -> dict[str, int]:
    with Session(engine) as session, session.begin():
        return purge(session, SITE, 90, 365, zone=PARIS, now=now).counts()


def test_a_row_arriving_for_a_frozen_day_is_counted_once_at_the_next_purge(
    engine: Engine,
) -> None:
    with Session(engine) as session, session.begin():
        ada = registry.add_member(session, "Ada")
        _visit(session, ada, 10, 60)
        _visit(session, ada, 14, 120)
    assert _figures(engine) == (2, 62.5, [(("10",), 1), (("14",), 1)], 2, 3.0)

    first = _purge(engine, NOW)
    assert (first["visits_deleted"], first["sessions_deleted"]) == (2, 2)
    assert _figures(engine) == (2, 62.5, [(("10",), 1), (("14",), 1)], 2, 3.0)
    with engine.connect() as connection:
        # 90 days before NOW is 28 August, 05:00 in Paris: the 29th is the first whole day.
        assert frozen_before(connection, SITE) == dt.date(2026, 8, 29)

    # A kiosk's visit and an agent's session of that day, uploaded months late: the day
    # is frozen, its other rows are gone, so recomputing it would lose them.
    with Session(engine) as session, session.begin():
        ada = session.scalars(select(Member)).one()
        _visit(session, ada, 14, 240)
    assert _figures(engine) == (2, 62.5, [(("10",), 1), (("14",), 1)], 2, 3.0)

    second = _purge(engine, NOW + dt.timedelta(days=1))
    assert second["late_days_folded"] == 1
    assert (second["visits_deleted"], second["sessions_deleted"]) == (1, 1)
    figures = (3, 122.5, [(("10",), 1), (("14",), 2)], 3, 7.0)
    assert _figures(engine) == figures
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Visit)) == 0

    third = _purge(engine, NOW + dt.timedelta(days=2))
    assert third["late_days_folded"] == 0
    assert _figures(engine) == figures  # folded once


def test_a_day_with_a_row_not_uploaded_yet_keeps_all_its_rows(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        ada = registry.add_member(session, "Ada")
        _visit(session, ada, 10, 60)
        _visit(session, ada, 14, 120)
        held = session.scalars(select(MachineSession).order_by(MachineSession.started_at)).all()
        held[-1].uploaded_at = None  # the afternoon's session never reached central
    counts = _purge(engine, NOW)
    assert (counts["visits_deleted"], counts["sessions_deleted"]) == (0, 0)
    with engine.connect() as connection:
        assert frozen_before(connection, SITE) == DAY  # the day stays whole, recomputable
    assert _figures(engine) == (2, 62.5, [(("10",), 1), (("14",), 1)], 2, 3.0)
    with Session(engine) as session, session.begin():
        session.scalars(select(MachineSession)).all()[-1].uploaded_at = NOW
        for row in session.scalars(select(MachineSession)):
            row.uploaded_at = row.uploaded_at or NOW
    counts = _purge(engine, NOW + dt.timedelta(days=1))
    assert (counts["visits_deleted"], counts["sessions_deleted"]) == (2, 2)
    assert _figures(engine) == (2, 62.5, [(("10",), 1), (("14",), 1)], 2, 3.0)


def _entries_of(engine: Engine, day: dt.date) -> object:
    with engine.connect() as connection:
        return entries_table(connection, SITE, day, day, [], PARIS).totals[Measure.ENTRIES]


def test_a_late_row_sent_again_after_its_fold_is_not_counted_twice(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lost acknowledgement: central folded and deleted the row, the site sends it again
    (in chunks of one row, as the thousands of a site back after months are)."""
    chunks = retention._chunks
    monkeypatch.setattr(retention, "_chunks", lambda items: chunks(items, 1))
    with Session(engine) as session, session.begin():
        ada = registry.add_member(session, "Ada")
        _visit(session, ada, 10, 60)
    _purge(engine, NOW)
    late_id = new_event_id()
    at = dt.datetime.combine(DAY, dt.time(16), PARIS).astimezone(dt.UTC)
    for day in (1, 2):
        with Session(engine) as session, session.begin():
            _visit_at(session, session.scalars(select(Member)).one(), at, 30, row_id=late_id)
        counts = _purge(engine, NOW + dt.timedelta(days=day))
        assert counts["late_days_folded"] == (1 if day == 1 else 0)
        with Session(engine) as session:  # gone either way
            assert session.scalar(select(func.count()).select_from(Visit)) == 0
        assert _entries_of(engine, DAY) == 2


def test_an_unsent_row_of_the_cutoffs_own_day_keeps_that_day_whole(engine: Engine) -> None:
    """The cutoff falls at 05:00 on 28 August: a row of that evening not uploaded yet
    holds the day back, or it would freeze with the day and be counted again later."""
    cutoff_day = dt.date(2026, 8, 28)
    with Session(engine) as session, session.begin():
        ada = registry.add_member(session, "Ada")
        for hour, uploaded in ((10, True), (20, False)):
            at = dt.datetime.combine(cutoff_day, dt.time(hour), PARIS).astimezone(dt.UTC)
            _visit_at(session, ada, at, 60, uploaded=uploaded)
    counts = _purge(engine, NOW)
    assert counts["visits_deleted"] == 0
    with engine.connect() as connection:
        assert frozen_before(connection, SITE) == cutoff_day
    with Session(engine) as session, session.begin():
        for visit in session.scalars(select(Visit)):
            visit.uploaded_at = visit.uploaded_at or NOW
    counts = _purge(engine, NOW + dt.timedelta(days=1))
    assert (counts["visits_deleted"], counts["late_days_folded"]) == (2, 0)
    assert _entries_of(engine, cutoff_day) == 2
    assert _purge(engine, NOW + dt.timedelta(days=2))["late_days_folded"] == 0
    assert _entries_of(engine, cutoff_day) == 2


def test_a_row_dated_year_one_neither_stops_the_purge_nor_counts(engine: Engine) -> None:
    """An agent's clock at year 1: unsent at a site, then late at central."""
    year_one = dt.datetime(1, 1, 1, 12, tzinfo=dt.UTC)
    with Session(engine) as session, session.begin():
        ada = registry.add_member(session, "Ada")
        _visit(session, ada, 10, 60)
        session.add(
            MachineSession(
                id=new_event_id(),
                site_id=SITE,
                agent_id="laser-cutter",
                resource="laser-cutter",
                member_id=ada.id,
                started_at=year_one,
                duration_s=60.0,
            )
        )
    counts = _purge(engine, NOW)  # held back, but no crash
    assert counts["sessions_deleted"] == 0
    with Session(engine) as session, session.begin():
        for row in session.scalars(select(MachineSession)):
            row.uploaded_at = NOW
    counts = _purge(engine, NOW + dt.timedelta(days=1))
    assert counts["sessions_deleted"] == 2 and counts["visits_deleted"] == 1
    assert _figures(engine) == (1, 62.5, [(("10",), 1)], 1, 1.0)


@pytest.mark.postgres
def test_a_visitors_last_check_in_is_one_probe_of_the_person_index(pg_migrated_url: str) -> None:
    """Migration 0030's index led by the check-in made PostgreSQL walk it from the newest
    visit down to the person's: 60 ms a visitor among 3 M visits, 23 minutes for
    central's 23,000 stale visitors (bench/bench_console.py's purge)."""
    engine = make_engine(pg_migrated_url)
    try:
        indexes = indexes_used(engine, retention.last_check_in(uuid.UUID(int=7)))
    finally:
        engine.dispose()
    assert indexes == ["ix_visits_member_checked_in"], indexes
