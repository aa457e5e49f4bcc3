"""Reports read the roll-ups where they serve, and say exactly what the cells say:
rolled up, stale, half of each, month rows and day rows, at one site or at central."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import rebuild, refresh_entries
from station.db import EntryRollup, MemberKind, StaleRollup, Visit, make_engine
from station.reports import entry_rows, medians
from station.reports.entry_rows import plan, tile
from station.reports.from_aggregates import entries_table
from station.rollups import Grain, mark_stale, roll_up

PARIS = ZoneInfo("Europe/Paris")
SITES = ("saint-omer-gare", "arques-mediatheque")
FIRST, LAST = dt.date(2024, 12, 20), dt.date(2026, 11, 30)  # 25 October: clocks go back
PURPOSES = {"coworking": "coworking", "fablab": "fablab", "aide-numerique": "numerique"}
COMMUNES = ("62765", "62297", "00000", None)
SHAPES: tuple[tuple[str, ...], ...] = (
    (),
    ("day",),
    ("week",),
    ("month",),
    ("quarter",),
    ("hour",),
    ("weekday",),
    ("weekday", "hour"),
    ("weekday", "month"),
    ("year", "hour"),
    ("commune",),
    ("purpose", "month"),
    ("kind", "site"),
    ("age",),
    ("commune", "kind"),  # two dimensions: the cells
)
RANGES = (
    (FIRST, LAST),
    (dt.date(2026, 9, 1), dt.date(2026, 10, 31)),  # whole months only
    (dt.date(2026, 9, 15), dt.date(2026, 11, 3)),  # a month between two ends
    (dt.date(2025, 1, 1), dt.date(2025, 12, 31)),  # a whole year
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    fixture = "site_db" if request.param == "sqlite" else "pg_migrated_url"
    engine = make_engine(str(request.getfixturevalue(fixture)))
    yield engine
    engine.dispose()


def _history(session: Session, site: str, seed: int) -> None:
    chance = random.Random(seed)
    people = [
        registry.add_member(
            session,
            f"P{n}",
            kind=MemberKind.VISITOR if n % 4 == 0 else MemberKind.MEMBER,
            home_commune=COMMUNES[n % len(COMMUNES)],
        )
        for n in range(30)
    ]
    for _ in range(400):
        person = chance.choice(people)
        day = FIRST + dt.timedelta(days=chance.randrange((LAST - FIRST).days + 1))
        local = dt.datetime.combine(day, dt.time(chance.randrange(24), chance.randrange(60)))
        at = local.replace(tzinfo=PARIS).astimezone(dt.UTC)
        purpose = chance.choice(list(PURPOSES))
        minutes = chance.randrange(5, 600)
        session.add(
            Visit(
                site_id=site,
                member_id=person.id,
                kiosk_id="entrance",
                purpose=purpose,
                space=PURPOSES[purpose],
                home_commune=person.home_commune,
                member_kind=person.kind.value,
                age_band=chance.choice(("", "18-34", "60+")),
                checked_in_at=at,
                checked_out_at=at + dt.timedelta(minutes=minutes) if minutes % 3 else None,
            )
        )
    session.flush()


def _reports(engine: Engine, site: str | None) -> list[object]:
    with engine.connect() as connection:
        return [
            (dims, first, entries_table(connection, site, first, last, dims, PARIS).rows)
            for dims in SHAPES
            for first, last in RANGES
        ]


def _autumn() -> list[dt.date]:
    """The days of the three shorter ranges, and some beyond: what is made stale."""
    first = dt.date(2026, 8, 25)
    return [first + dt.timedelta(days=n) for n in range((LAST - first).days + 1)]


def test_the_roll_ups_say_what_the_cells_say(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as session, session.begin():
        for seed, site in enumerate(SITES):
            _history(session, site, seed)
            rebuild(session.connection(), site, PARIS, until=LAST)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(StaleRollup)) == 0
        assert (connection.scalar(select(func.count()).select_from(EntryRollup)) or 0) > 0
        rolled = plan(connection, None, FIRST, LAST, ["commune"])
        assert rolled.dimension == "commune" and not rolled.stale
        assert tile(FIRST, LAST, rolled.grains, frozenset()) == [
            (Grain.DAY, FIRST, dt.date(2024, 12, 31)),
            (Grain.YEAR, dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
            (Grain.MONTH, dt.date(2026, 1, 1), LAST),
        ]
        weekly = plan(connection, SITES[0], *RANGES[2], ["week", "hour"])
        assert tile(weekly.first, weekly.last, weekly.grains, frozenset()) == [
            (Grain.DAY, dt.date(2026, 9, 15), dt.date(2026, 9, 20)),
            (Grain.WEEK, dt.date(2026, 9, 21), dt.date(2026, 11, 1)),
            (Grain.DAY, dt.date(2026, 11, 2), dt.date(2026, 11, 3)),
        ]
    everywhere: tuple[str | None, ...] = (None, SITES[0])  # SITES[1]'s own: as the first
    from_rollups = {site: _reports(engine, site) for site in everywhere}

    # Every day of autumn stale: the shorter ranges read the cells alone, the longer
    # ones cells and roll-ups of coarser grains around them.
    with Session(engine) as session, session.begin():
        for site in SITES:
            mark_stale(session.connection(), site, _autumn())
    for where in everywhere:
        assert _reports(engine, where) == from_rollups[where]
    # Too many stale days for the statements to bind: the cells alone, the same figures.
    monkeypatch.setattr(entry_rows, "_MOST_STALE", 10)
    with engine.connect() as connection:
        assert plan(connection, None, FIRST, LAST, ["commune"]).dimension is None
    assert _reports(engine, SITES[0]) == from_rollups[SITES[0]]
    monkeypatch.undo()

    # Half of them rolled again, at one site: month rows, day rows and cells together.
    with Session(engine) as session, session.begin():
        session.execute(
            StaleRollup.__table__.delete().where(  # type: ignore[attr-defined]
                StaleRollup.site_id == SITES[0], StaleRollup.day.in_(_autumn()[::2])
            )
        )
        roll_up(session.connection(), SITES[1])
    for where in everywhere:
        assert _reports(engine, where) == from_rollups[where]


def test_a_change_after_the_roll_up_shows_at_once_and_after_the_next(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        _history(session, SITES[0], 7)
        rebuild(session.connection(), SITES[0], PARIS, until=LAST)
    day = dt.date(2026, 10, 14)

    def month_of_october() -> tuple[object, object]:
        with engine.connect() as connection:
            table = entries_table(connection, SITES[0], FIRST, LAST, ["month"], PARIS)
        rows = dict(table.rows)
        return rows[("2026-10",)]["entries"], table.totals["entries"]

    before = month_of_october()
    _check_in_only(engine, "Late", dt.datetime.combine(day, dt.time(15), PARIS))
    grown = (int(before[0]) + 1, int(before[1]) + 1)  # type: ignore[call-overload]
    assert month_of_october() == grown  # the stale day read from its cells
    with Session(engine) as session, session.begin():
        assert roll_up(session.connection()) == 1
    assert month_of_october() == grown  # and from the month row rolled up again


def test_a_stale_day_without_a_check_out_has_no_median_and_no_error(engine: Engine) -> None:
    """This morning: one visit in, nobody out yet, the day stale until the roll-up."""
    day = dt.date(2026, 11, 30)
    _check_in_only(engine, "Early", dt.datetime.combine(day, dt.time(9), PARIS))
    with engine.connect() as connection:
        for dims in ([], ["hour"]):
            table = entries_table(connection, SITES[0], day, day, dims, PARIS)
            assert table.totals["entries"] == 1
            assert table.totals["median_minutes"] is None
            assert [values["median_minutes"] for _, values in table.rows] == [None] * len(
                table.rows
            )


def _check_in_only(engine: Engine, name: str, local: dt.datetime) -> None:
    """One visit checked in at `local` and not out, its day's cells refreshed (stale)."""
    with Session(engine) as session, session.begin():
        person = registry.add_member(session, name)
        session.add(
            Visit(
                site_id=SITES[0],
                member_id=person.id,
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                member_kind="member",
                checked_in_at=local.astimezone(dt.UTC),
            )
        )
        session.flush()
        refresh_entries(session.connection(), SITES[0], PARIS, [local.date()])


def test_every_site_of_a_one_site_central_reads_each_days_own_median(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One site's figures at central: the report of every site by day takes each day's
    stored median, as the site's own report does, adding no histogram (five years by day
    at central: 130 ms of them, bench/bench_console.py); a second site's, and it adds."""
    with Session(engine) as session, session.begin():
        _history(session, SITES[0], 3)
        rebuild(session.connection(), SITES[0], PARIS, until=LAST)
    with engine.connect() as connection:
        assert plan(connection, None, FIRST, LAST, ["day"]).one_site
        own = entries_table(connection, SITES[0], FIRST, LAST, ["day"], PARIS)
        with monkeypatch.context() as patched:
            patched.setattr(medians, "_added", _no_histogram)
            everywhere = entries_table(connection, None, FIRST, LAST, ["day"], PARIS)
    assert everywhere.rows == own.rows and everywhere.totals == own.totals
    assert any(values["median_minutes"] for _, values in own.rows)
    with Session(engine) as session, session.begin():
        _history(session, SITES[1], 4)
        rebuild(session.connection(), SITES[1], PARIS, until=LAST)
    with engine.connect() as connection:
        assert not plan(connection, None, FIRST, LAST, ["day"]).one_site
        with monkeypatch.context() as patched:
            patched.setattr(medians, "_added", _no_histogram)
            with pytest.raises(AssertionError, match="histograms added"):
                entries_table(connection, None, FIRST, LAST, ["day"], PARIS)


def _no_histogram(*args: object) -> dict[object, float | None]:
    raise AssertionError("histograms added")
