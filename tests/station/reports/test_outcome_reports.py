"""`station report skills|companies`: trainings granted, digital-help accompaniments and the
people helped, skills recorded, companies created, on constructed data whose every figure
is known; by period, by training, skill, purpose and offer; every format and --publish
(central: `test_outcome_central`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import rebuild
from station.cli.main import main
from station.db import Company, Member, MemberTraining, SkillRecord, Training, Visit, make_engine
from station.reports.labels import Labels
from station.reports.outcomes import companies_table, skills_table
from station.reports.publish import publish
from station.reports.table import Measure, Method, Report, ReportTable
from station.reports.words import Lang
from station.schedule import Schedule

ROOT = Path(__file__).resolve().parents[3]
SITE = "saint-omer-gare"
OTHER = "aire-sur-la-lys"
ZONE = ZoneInfo("Europe/Paris")
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 30)
HELP = ("digital-help",)
ALWAYS = Schedule.open_always()


def _utc(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


def _visit(member: Member, at: dt.datetime, purpose: str) -> Visit:
    return Visit(
        site_id=SITE,
        member_id=member.id,
        kiosk_id="entrance",
        purpose=purpose,
        space=purpose,
        member_kind=member.kind.value,
        checked_in_at=at,
    )


def _build(session: Session) -> None:
    """October: 1 training (laser), 4 accompaniments of 2 people, 1 skill (pix).
    November: 2 trainings (laser at 00:30 local on the 1st, printer-3d), 2 accompaniments
    of 1 person, 2 skills (messagerie). Beside them: another site's training, skill and
    company, and check-ins for other purposes, none of which counts here."""
    for code in ("laser", "printer-3d"):
        if session.get(Training, code) is None:
            session.add(Training(code=code, name_fr=code, name_en=code))
    camille = registry.add_member(session, "Camille")
    leo = registry.add_member(session, "Léo")
    zoe = registry.add_member(session, "Zoé")
    grants = [
        (camille, "laser", _utc(10, 5), SITE),
        (leo, "laser", _utc(10, 31, 23, 30), SITE),  # 1 November, 00:30 in Paris
        (zoe, "printer-3d", _utc(11, 10), SITE),
        (camille, "printer-3d", _utc(11, 12), OTHER),
    ]
    for member, code, at, site in grants:
        session.add(
            MemberTraining(member=member, training_code=code, granted_at=at, origin_site=site)
        )
    helped = [(camille, _utc(10, d)) for d in (2, 9, 16)] + [(leo, _utc(10, 20))]
    helped += [(leo, _utc(11, 4)), (leo, _utc(11, 18))]
    for member, at in helped:
        session.add(_visit(member, at, "digital-help"))
    for member, at in [(camille, _utc(10, 3)), (zoe, _utc(11, 5))]:
        session.add(_visit(member, at, "coworking"))
    skills = [
        (camille, "pix", dt.date(2026, 10, 20), SITE),
        (camille, "messagerie", dt.date(2026, 11, 2), SITE),
        (leo, "messagerie", dt.date(2026, 11, 3), SITE),
        (zoe, "pix", dt.date(2026, 11, 3), OTHER),
    ]
    for member, skill, day, site in skills:
        session.add(SkillRecord(member_id=member.id, skill=skill, recorded_on=day, site_id=site))
    companies = [
        (camille, "732829320", dt.date(2025, 3, 10), "coworking", SITE),
        (leo, "552100554", dt.date(2026, 2, 1), "coworking", SITE),
        (zoe, "443061841", dt.date(2026, 6, 1), "fablab", SITE),
        (zoe, "542065479", dt.date(2026, 7, 1), "fablab", OTHER),
    ]
    for member, siren, day, offer, site in companies:
        session.add(
            Company(
                member_id=member.id,
                name=siren,
                siren=siren,
                created_on=day,
                offer=offer,
                site_id=site,
            )
        )
    session.flush()
    rebuild(session.connection(), SITE, ZONE, until=NOV)


@pytest.fixture
def connection(site_db: str) -> Iterator[Connection]:
    engine = make_engine(site_db)
    with Session(engine) as session, session.begin():
        _build(session)
        yield session.connection()
    engine.dispose()


def _rows(table: ReportTable) -> dict[tuple[str, ...], dict[str, object]]:
    return {key: dict(values) for key, values in table.rows}


def test_skills_by_month_count_the_four_measures_in_local_days(connection: Connection) -> None:
    table = skills_table(connection, SITE, OCT, NOV, ["month"], ZONE, digital_help=HELP)
    assert table.name == Report.SKILLS
    assert table.measures == (
        Measure.TRAININGS,
        Measure.ACCOMPANIMENTS,
        Measure.HELPED,
        Measure.SKILLS,
    )
    assert _rows(table) == {
        ("2026-10",): {"trainings": 1, "accompaniments": 4, "helped": 2, "skills": 1},
        ("2026-11",): {"trainings": 2, "accompaniments": 2, "helped": 1, "skills": 2},
    }
    assert dict(table.totals) == {"trainings": 3, "accompaniments": 6, "helped": 2, "skills": 3}
    assert table.method == Method.SKILLS_RAW


def test_a_range_within_one_period_counts_in_the_database_the_same_local_days(
    connection: Connection,
) -> None:
    """Counted by the database when the whole range is one period of each asked: the
    training granted at 00:30 local on 1 November (23:30 UTC on the 31st) is November's."""

    def trainings(first: dt.date, last: dt.date, *dims: str) -> dict[Any, object]:
        table = skills_table(connection, SITE, first, last, list(dims), ZONE, digital_help=HELP)
        return {key: values["trainings"] for key, values in table.rows}

    november = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert trainings(*november, "month") == {("2026-11",): 2}
    assert trainings(*november, "month", "training") == {
        ("2026-11", "laser"): 1,
        ("2026-11", "printer-3d"): 1,
    }
    assert trainings(dt.date(2026, 10, 31), dt.date(2026, 10, 31), "day") == {}
    assert trainings(OCT, NOV, "year", "training") == {
        ("2026", "laser"): 2,
        ("2026", "printer-3d"): 1,
    }


def test_skills_by_training_skill_or_purpose_hold_the_counts_they_split(
    connection: Connection,
) -> None:
    def by(*dims: str) -> ReportTable:
        return skills_table(connection, SITE, OCT, NOV, list(dims), ZONE, digital_help=HELP)

    trainings = by("training")
    assert trainings.measures == (Measure.TRAININGS,)
    assert _rows(trainings) == {("laser",): {"trainings": 2}, ("printer-3d",): {"trainings": 1}}
    skills = by("skill", "month")
    assert _rows(skills) == {
        ("messagerie", "2026-11"): {"skills": 2},
        ("pix", "2026-10"): {"skills": 1},
    }
    assert dict(skills.totals) == {"skills": 3}
    purposes = by("purpose")
    assert _rows(purposes) == {("digital-help",): {"accompaniments": 6, "helped": 2}}
    with pytest.raises(ValueError, match="one of training, purpose, skill"):
        by("training", "skill")


def test_every_site_counts_the_other_sites_records_too(connection: Connection) -> None:
    table = skills_table(connection, None, OCT, NOV, [], ZONE, digital_help=HELP)
    assert dict(table.totals)["trainings"] == 4
    assert dict(table.totals)["skills"] == 4


def test_people_helped_are_unavailable_before_the_visits_kept(connection: Connection) -> None:
    table = skills_table(
        connection,
        SITE,
        OCT,
        NOV,
        ["month"],
        ZONE,
        digital_help=HELP,
        raw_since=dt.date(2026, 10, 15),
    )
    assert table.method == Method.SKILLS_UNAVAILABLE
    assert [values["helped"] for _, values in table.rows] == [None, None]
    assert dict(table.totals)["helped"] is None
    assert dict(table.totals)["accompaniments"] == 6  # the tallies keep them


def test_no_digital_help_purpose_counts_no_accompaniment(connection: Connection) -> None:
    table = skills_table(connection, SITE, OCT, NOV, [], ZONE, digital_help=())
    assert dict(table.totals)["accompaniments"] == 0
    assert dict(table.totals)["helped"] == 0


def test_companies_by_year_and_offer_from_their_creation_day(connection: Connection) -> None:
    first, last = dt.date(2025, 1, 1), dt.date(2026, 12, 31)
    table = companies_table(connection, SITE, first, last, ["year", "offer"])
    assert table.name == Report.COMPANIES
    assert _rows(table) == {
        ("2025", "coworking"): {"companies": 1},
        ("2026", "coworking"): {"companies": 1},
        ("2026", "fablab"): {"companies": 1},
    }
    assert dict(table.totals) == {"companies": 3}
    assert table.method == Method.RECORDS
    by_offer = companies_table(connection, None, first, last, ["offer"])
    assert _rows(by_offer) == {("coworking",): {"companies": 2}, ("fablab",): {"companies": 2}}
    only_2026 = companies_table(connection, SITE, dt.date(2026, 1, 1), last, [])
    assert dict(only_2026.totals) == {"companies": 2}


def test_published_small_counts_are_hidden(connection: Connection) -> None:
    table = publish(companies_table(connection, SITE, OCT, NOV, ["offer"]))
    assert all(v is None for _, values in table.rows for v in values.values())
    skills = publish(skills_table(connection, SITE, OCT, NOV, ["month"], ZONE, digital_help=HELP))
    assert skills.totals["accompaniments"] == 6  # 5 or more: shown


def test_labels_name_skills_offers_and_the_measures() -> None:
    from station.config import load_config

    labels = Labels.from_config(load_config(ROOT / "config.toml"), Lang.FR)
    assert labels.value("skill", "pix") == "Certification Pix"
    assert labels.value("offer", "coworking") == "Coworking"
    assert labels.column("helped") == "Personnes accompagnées"
    english = Labels.from_config(load_config(ROOT / "config.toml"), Lang.EN)
    assert english.value("skill", "demarches-en-ligne") == "Online procedures"
    assert english.column("companies") == "Companies created"
    assert english.word("report.skills") == "Digital skills"


# ---- the commands ------------------------------------------------------------------


@pytest.fixture
def base(site_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    engine = make_engine(site_db)
    with Session(engine) as session, session.begin():
        _build(session)
    engine.dispose()
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("STATION_DATABASE_URL", site_db)
    return ["--config", str(config), "report"]


SPAN = ["--from", "2026-10-01", "--to", "2026-11-30"]


def test_report_skills_as_json_uses_the_sample_digital_help_purpose(
    base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*base, "skills", *SPAN, "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["report"] == "skills" and shown["dimensions"] == ["month"]
    assert shown["rows"] == [
        {"month": "2026-10", "trainings": 1, "accompaniments": 4, "helped": 2, "skills": 1},
        {"month": "2026-11", "trainings": 2, "accompaniments": 2, "helped": 1, "skills": 2},
    ]


def test_report_skills_refuses_two_splits_and_a_measure_they_do_not_have(
    base: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*base, "skills", *SPAN, "--by", "training,skill"]) == 2
    assert "one of training, purpose or skill" in capsys.readouterr().err
    assert main([*base, "skills", *SPAN, "--by", "skill", "--measure", "trainings"]) == 2
    assert "expected among skills" in capsys.readouterr().err
    assert main([*base, "companies", *SPAN, "--by", "machine"]) == 2
    assert "day, week, month, quarter, year, offer" in capsys.readouterr().err


def test_report_companies_in_csv_xlsx_svg_and_published(
    base: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    years = ["--from", "2025-01-01", "--to", "2026-12-31"]
    assert main([*base, "companies", *years, "--by", "year,offer", "--format", "csv"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("\ufeffyear,offer,companies\r\n")  # the columns keep their names
    assert "2026,Fablab,1" in text  # the offer named as its purpose
    assert main([*base, "companies", *years, "--lang", "en"]) == 0
    assert "Companies created" in capsys.readouterr().out
    for fmt in ("xlsx", "svg"):
        out = tmp_path / f"companies.{fmt}"
        assert main([*base, "companies", *years, "--format", fmt, "--output", str(out)]) == 0
        assert out.stat().st_size > 0
    assert main([*base, "companies", *years, "--by", "offer", "--publish", "--format", "csv"]) == 0
    assert "< 5" in capsys.readouterr().out
    assert main([*base, "skills", *SPAN, "--by", "skill", "--format", "table"]) == 0
    assert "Certification Pix" in capsys.readouterr().out
