"""`station report skills|companies` at central: two sites' records uploaded to one
registry, counted for every site, for one (`--site`, figure for figure its own report)
and side by side (`--by site`); a site without central refuses another site."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station import registry
from station.checkin import Desk
from station.cli.main import main
from station.db import Company, Member, MemberTraining, SkillRecord, Training, make_engine
from station.schedule import Schedule
from tests.support.central_reports import Uploads, report_document
from tests.support.sqlite_copy import copy_sqlite

SITE = "saint-omer-gare"
OTHER = "aire-sur-la-lys"
ZONE = ZoneInfo("Europe/Paris")
ALWAYS = Schedule.open_always()


def _utc(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


# Per site: the people (the first holds the training granted there), the days of their
# digital-help check-ins in October, their skills, their companies (offer, day).
CENTRAL_SITES: dict[str, dict[str, Any]] = {
    SITE: {
        "people": ["Camille", "Léo"],
        "helped": [("Camille", 2), ("Camille", 9)],
        "training": "laser",
        "skills": [("Camille", "pix"), ("Léo", "messagerie")],
        "companies": [("Camille", "732829320", "coworking")],
    },
    OTHER: {
        "people": ["Inès", "Hugo", "Zoé"],
        "helped": [("Inès", 3), ("Hugo", 10)],
        "training": "printer-3d",
        "skills": [("Inès", "messagerie"), ("Hugo", "messagerie"), ("Zoé", "pix")],
        "companies": [("Inès", "552100554", "fablab"), ("Zoé", "443061841", "coworking")],
    },
}


def _trainings(session: Session) -> None:
    for code in ("laser", "printer-3d"):
        if session.get(Training, code) is None:
            session.add(Training(code=code, name_fr=code, name_en=code))


def _fill_site(url: str, site: str) -> None:
    """The site's records as its kiosk and staff make them (tallies kept as it goes)."""
    data = CENTRAL_SITES[site]
    desk = Desk(site, "entrance", "Europe/Paris", {"digital-help": "digital-help"}, ALWAYS)
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            _trainings(session)
            people = {n: registry.add_member(session, n, origin_site=site) for n in data["people"]}
            first = people[data["people"][0]]
            registry.grant_training(
                session, first, data["training"], now=_utc(10, 5), origin_site=site
            )
            for name, day in data["helped"]:
                visit = desk.check_in(session, people[name], "digital-help", _utc(10, day))
                desk.check_out(session, visit.id, _utc(10, day, 11))
            for name, skill in data["skills"]:
                session.add(
                    SkillRecord(
                        member_id=people[name].id,
                        skill=skill,
                        recorded_on=dt.date(2026, 10, 20),
                        site_id=site,
                    )
                )
            for name, siren, offer in data["companies"]:
                session.add(
                    Company(
                        member_id=people[name].id,
                        name=siren,
                        siren=siren,
                        created_on=dt.date(2026, 10, 15),
                        offer=offer,
                        site_id=site,
                    )
                )
    finally:
        engine.dispose()


@pytest.fixture
def two_sites(
    _site_db_template: Path, tmp_path: Path, config_factory: Callable[..., Path]
) -> dict[str, list[str]]:
    """`station report` arguments per site (its database, its configuration), both sites
    uploaded to one central SQLite registry, where Zoé was also granted the laser."""
    central_url = copy_sqlite(_site_db_template, tmp_path / "central.db")
    central = make_engine(central_url)
    uploads = Uploads(_site_db_template, tmp_path, central, central_url, config_factory, ZONE)
    try:
        with Session(central) as session, session.begin():
            _trainings(session)
        arguments = {site: uploads.site(site, _fill_site) for site in (SITE, OTHER)}
        with Session(central) as session, session.begin():
            zoe = session.scalars(select(Member).where(Member.first_name == "Zoé")).one()
            session.add(MemberTraining(member=zoe, training_code="laser", granted_at=_utc(10, 6)))
    finally:
        central.dispose()
    return arguments


OCTOBER = ["--from", "2026-10-01", "--to", "2026-10-31"]


def test_central_counts_every_site_or_one_as_its_own_report(
    two_sites: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    at_a = two_sites[SITE]
    own = {
        (site, report): report_document(capsys, *two_sites[site], report, *OCTOBER, "--by", "offer")
        if report == "companies"
        else report_document(capsys, *two_sites[site], report, *OCTOBER)
        for site in (SITE, OTHER)
        for report in ("skills", "companies")
    }
    assert own[(SITE, "skills")]["totals"] == {
        "trainings": 1,
        "accompaniments": 2,
        "helped": 1,
        "skills": 2,
    }
    assert own[(OTHER, "skills")]["totals"] == {
        "trainings": 1,
        "accompaniments": 2,
        "helped": 2,
        "skills": 3,
    }
    assert own[(SITE, "companies")]["totals"] == {"companies": 1}
    assert own[(OTHER, "companies")]["totals"] == {"companies": 2}

    # Every site: both sites' records, and the training granted at central.
    every = report_document(capsys, *at_a, "skills", *OCTOBER, "--central")
    assert every["site"] is None
    assert every["totals"] == {"trainings": 3, "accompaniments": 4, "helped": 3, "skills": 5}
    companies = report_document(capsys, *at_a, "companies", *OCTOBER, "--by", "offer", "--central")
    assert companies["totals"] == {"companies": 3}
    assert {r["offer"]: r["companies"] for r in companies["rows"]} == {
        "coworking": 2,
        "fablab": 1,
    }

    # One site at central: that site's own report, figure for figure.
    for site in (SITE, OTHER):
        for report in ("skills", "companies"):
            by = ["--by", "offer"] if report == "companies" else []
            only = report_document(
                capsys, *at_a, report, *OCTOBER, *by, "--central", "--site", site
            )
            assert only["site"] == site
            mine = own[(site, report)]
            assert (only["rows"], only["totals"]) == (mine["rows"], mine["totals"])


def test_central_puts_the_sites_side_by_side(
    two_sites: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    at_b = two_sites[OTHER]
    side = report_document(capsys, *at_b, "skills", *OCTOBER, "--by", "site", "--central")
    rows = {r.pop("site"): r for r in side["rows"]}
    assert rows == {
        SITE: {"trainings": 1, "accompaniments": 2, "helped": 1, "skills": 2},
        OTHER: {"trainings": 1, "accompaniments": 2, "helped": 2, "skills": 3},
        # Granted at central: no site.
        "unknown": {"trainings": 1, "accompaniments": 0, "helped": 0, "skills": 0},
    }
    assert side["totals"] == {"trainings": 3, "accompaniments": 4, "helped": 3, "skills": 5}
    by_skill = report_document(capsys, *at_b, "skills", *OCTOBER, "--by", "site,skill", "--central")
    assert {(r["site"], r["skill"]): r["skills"] for r in by_skill["rows"]} == {
        (SITE, "messagerie"): 1,
        (SITE, "pix"): 1,
        (OTHER, "messagerie"): 2,
        (OTHER, "pix"): 1,
    }
    companies = report_document(
        capsys, *at_b, "companies", *OCTOBER, "--by", "site,offer", "--central"
    )
    assert {(r["site"], r["offer"]): r["companies"] for r in companies["rows"]} == {
        (SITE, "coworking"): 1,
        (OTHER, "coworking"): 1,
        (OTHER, "fablab"): 1,
    }


def test_outcomes_at_a_site_refuse_another_site_without_central(
    two_sites: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    for report in ("skills", "companies"):
        assert main([*two_sites[SITE], report, *OCTOBER, "--site", OTHER]) != 0
        assert "--central" in capsys.readouterr().err
