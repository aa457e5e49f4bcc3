"""Age bands: the band of a birth year on a day, the optional birth year at sign-up and
in the configuration, and the entry figures by age equal to the visits counted by hand."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from station import registry
from station.ages import AgeBand, age_band, birth_year_problem, parse_birth_year
from station.checkin import Desk, SignUpError, SignUpField
from station.config import load_config
from station.db import EntryTally, Member, Visit, make_engine, upgrade
from station.db.engine import alembic_config
from station.errors import ConfigError, InvalidInput
from station.reports.cells import DAY_DERIVED
from station.reports.from_aggregates import entries_table
from station.reports.labels import Labels
from station.reports.table import UNKNOWN, Dimension, Measure, Method
from station.reports.words import Lang
from station.schedule import Schedule

ROOT = Path(__file__).resolve().parents[2]
SITE = "saint-omer-gare"
PARIS = ZoneInfo("Europe/Paris")
PURPOSES = {"coworking": "coworking", "fablab": "fablab"}
# Across a new year: a person's band moves on the first of January.
FIRST, LAST = dt.date(2025, 11, 1), dt.date(2026, 2, 28)


@pytest.mark.parametrize(
    ("born", "day", "band"),
    [
        (None, dt.date(2026, 5, 1), AgeBand.NOT_GIVEN),
        (2015, dt.date(2026, 12, 31), AgeBand.UNDER_12),  # 11 all year
        (2014, dt.date(2026, 1, 1), AgeBand.FROM_12_TO_17),  # 12 from New Year's Day
        (2014, dt.date(2025, 12, 31), AgeBand.UNDER_12),
        (2009, dt.date(2026, 12, 31), AgeBand.FROM_12_TO_17),
        (2008, dt.date(2026, 1, 1), AgeBand.FROM_18_TO_34),
        (1992, dt.date(2026, 12, 31), AgeBand.FROM_18_TO_34),  # 34
        (1991, dt.date(2026, 1, 1), AgeBand.FROM_35_TO_59),  # 35
        (1967, dt.date(2026, 12, 31), AgeBand.FROM_35_TO_59),  # 59
        (1966, dt.date(2026, 1, 1), AgeBand.FROM_60),  # 60
        (1900, dt.date(2026, 6, 1), AgeBand.FROM_60),
        (2026, dt.date(2026, 6, 1), AgeBand.UNDER_12),  # born this year
    ],
)
def test_the_band_of_a_birth_year_is_the_age_reached_in_the_year(
    born: int | None, day: dt.date, band: AgeBand
) -> None:
    assert age_band(born, day) is band


def test_a_birth_year_is_from_1900_to_this_year_or_not_given() -> None:
    today = dt.date(2026, 3, 14)
    assert birth_year_problem(None, today) is None
    assert birth_year_problem(1900, today) is None
    assert birth_year_problem(2026, today) is None
    assert birth_year_problem(1899, today) == "a birth year from 1900 to 2026, got 1899"
    assert birth_year_problem(2027, today) == "a birth year from 1900 to 2026, got 2027"
    assert parse_birth_year("  ") is None
    assert parse_birth_year(" 1987 ") == 1987
    with pytest.raises(ValueError):
        parse_birth_year("87 ans")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    fixture = "site_db" if request.param == "sqlite" else "pg_migrated_url"
    engine = make_engine(str(request.getfixturevalue(fixture)))
    yield engine
    engine.dispose()


def _desk() -> Desk:
    return Desk(SITE, "entrance", "Europe/Paris", PURPOSES, Schedule.open_always())


NOW = dt.datetime(2026, 3, 14, 10, tzinfo=dt.UTC)


def test_sign_up_keeps_the_birth_year_given_and_none_when_not(engine: Engine) -> None:
    desk = _desk()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        ines, with_year = desk.sign_up_visitor(
            session,
            "Inès",
            commune="62765",
            purpose="coworking",
            consent=True,
            now=NOW,
            birth_year=2010,
        )
        leo, without = desk.sign_up_visitor(
            session, "Léo", commune="62765", purpose="fablab", consent=True, now=NOW
        )
    assert (ines.birth_year, with_year.age_band) == (2010, AgeBand.FROM_12_TO_17)
    assert (leo.birth_year, without.age_band) == (None, AgeBand.NOT_GIVEN)
    with Session(engine) as session:
        cells = {c.age_band: c.entries for c in session.scalars(select(EntryTally))}
    assert cells == {"12-17": 1, "": 1}


@pytest.mark.parametrize("year", [1899, 2027, -1])
def test_a_birth_year_outside_1900_to_this_year_is_refused_and_nothing_stored(
    engine: Engine, year: int
) -> None:
    with Session(engine) as session, session.begin():
        with pytest.raises(SignUpError) as refused:
            _desk().sign_up_visitor(
                session,
                "Inès",
                commune="62765",
                purpose="coworking",
                consent=True,
                now=NOW,
                birth_year=year,
            )
        assert refused.value.field is SignUpField.BIRTH_YEAR
        assert "1900 to 2026" in str(refused.value)
        assert session.scalar(select(func.count()).select_from(Member)) == 0
        with pytest.raises(InvalidInput, match="birth year"):
            registry.add_member(session, "Léo", birth_year=year, today=NOW.date())


def _history(session: Session, seed: int = 17) -> list[tuple[Visit, int | None]]:
    """Some 300 check-ins of 30 people at the kiosk over four months around a new year,
    a third of them without a birth year, some born on a band's edge."""
    chance = random.Random(seed)
    years = [None, 2014, 2008, 2009, 1991, 1992, 1966, 1967, 1950, 2000]
    people = [
        registry.add_member(session, f"P{n}", birth_year=years[n % len(years)], today=LAST)
        for n in range(30)
    ]
    desk = _desk()
    visits: list[tuple[Visit, int | None]] = []
    for n in range(300):
        person = chance.choice(people)
        day = FIRST + dt.timedelta(days=chance.randrange((LAST - FIRST).days + 1))
        local = dt.datetime.combine(day, dt.time(chance.randrange(24), chance.randrange(60)))
        at = local.replace(tzinfo=PARIS).astimezone(dt.UTC) + dt.timedelta(seconds=n)
        visit = desk.check_in(session, person, chance.choice(list(PURPOSES)), at)
        visits.append((visit, person.birth_year))
        desk.check_out(session, visit.id, at + dt.timedelta(minutes=1))
    return visits


@pytest.mark.parametrize("dims", [("age",), ("age", "year"), ("month", "age")])
def test_the_entries_by_age_equal_the_visits_counted_by_hand(
    engine: Engine, dims: tuple[str, ...]
) -> None:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        visits = _history(session)
    expected: defaultdict[tuple[str, ...], list[Visit]] = defaultdict(list)
    for visit, born in visits:
        local = visit.checked_in_at.astimezone(PARIS).date()
        named: dict[str, str] = {Dimension.AGE: age_band(born, local) or UNKNOWN}
        key = tuple(DAY_DERIVED[d](local) if d in DAY_DERIVED else named[d] for d in dims)
        expected[key].append(visit)
    with engine.connect() as connection:
        table = entries_table(connection, SITE, FIRST, LAST, dims, PARIS)
    assert table.method == Method.RAW
    found = dict(table.rows)
    assert set(found) == set(expected)
    for key, group in expected.items():
        assert found[key][Measure.ENTRIES] == len(group), key
        assert found[key][Measure.PEOPLE] == len({v.member_id for v in group}), key
    assert table.totals[Measure.ENTRIES] == len(visits)
    # Someone born in 2008 is 17 in December 2025 and 18 in January 2026.
    if dims == ("age", "year"):
        assert ("12-17", "2025") in found and ("18-34", "2026") in found


def test_the_age_bands_have_names_in_both_languages() -> None:
    french, english = Labels(Lang.FR), Labels(Lang.EN)
    assert french.column(Dimension.AGE) == "Tranche d'âge"
    assert english.column(Dimension.AGE) == "Age band"
    assert french.value(Dimension.AGE, "-12") == "Moins de 12 ans"
    assert english.value(Dimension.AGE, "60+") == "60 and over"
    assert english.value(Dimension.AGE, UNKNOWN) == "Not given"


def _config(tmp_path: Path, signup: str) -> Path:
    path = tmp_path / "config.toml"
    sample = (ROOT / "config.toml").read_text(encoding="utf-8")
    path.write_text(sample + f"\n[signup]\n{signup}\n", encoding="utf-8")
    return path


def test_the_birth_year_is_asked_only_where_the_configuration_says_so(tmp_path: Path) -> None:
    assert load_config(ROOT / "config.toml").signup.ask_birth_year is False
    assert load_config(_config(tmp_path, "ask_birth_year = true")).signup.ask_birth_year


@pytest.mark.parametrize("line", ['ask_birth_year = "yes"', "ask_birth_year = 1", "ask_age = true"])
def test_a_malformed_signup_key_is_refused_naming_it(tmp_path: Path, line: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(_config(tmp_path, line))
    assert any("signup." in problem for problem in refused.value.problems)


def test_the_migration_gives_the_cells_and_visits_already_there_no_band(site_db: str) -> None:
    """0016 to 0017 and back, on a database with a cell: "" for it, and the cells of
    several bands merged into one when the band goes."""
    path = site_db.removeprefix("sqlite:///")
    fresh = f"sqlite:///{path}.old"
    upgrade(fresh, "0016")
    cell = (
        "INSERT INTO entry_tallies (site_id, day, hour, space, purpose, commune, kind, plan,"
        " entries, timed, minutes, durations) VALUES ('s', '2026-01-05', 9, 'fablab',"
        " 'fablab', '', 'member', '', 3, 1, 12.0, '{\"10\": 1}')"
    )
    engine = make_engine(fresh)
    try:
        with engine.begin() as connection:
            connection.execute(text(cell))
        upgrade(fresh, "0017")
        with engine.begin() as connection:
            cells = connection.execute(text("SELECT age_band, entries FROM entry_tallies"))
            assert cells.all() == [("", 3)]
            connection.execute(
                text(
                    "INSERT INTO entry_tallies SELECT site_id, day, hour, space, purpose,"
                    " commune, kind, plan, entries, timed, minutes, durations, '60+'"
                    " FROM entry_tallies"
                )
            )
        command.downgrade(alembic_config(fresh), "0016")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT entries, timed, durations FROM entry_tallies"))
            assert [(e, t, d.replace(" ", "")) for e, t, d in rows] == [(6, 2, '{"10":2}')]
    finally:
        engine.dispose()


def test_station_member_add_takes_a_birth_year(
    site_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from station.cli.main import main

    monkeypatch.setenv("STATION_DATABASE_URL", site_db)
    config = str(ROOT / "config.toml")
    add = ["--config", config, "--json", "member", "add", "--no-membership"]
    assert main([*add, "Camille", "--birth-year", "1987"]) == 0
    assert main([*add, "Léo", "--birth-year", "1850"]) != 0
    assert "birth year: expected a birth year from 1900" in capsys.readouterr().err
    engine = make_engine(site_db)
    try:
        with Session(engine) as session:
            found = {m.first_name: m.birth_year for m in session.scalars(select(Member))}
    finally:
        engine.dispose()
    assert found == {"Camille": 1987}
