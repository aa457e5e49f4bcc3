"""`station report --central`: two sites' visits uploaded to one central registry, read
there for every site, for one (`--site`), and side by side (`--by site`); the figures are
each site's own report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import rebuild
from station.checkin import Desk
from station.cli.main import main
from station.db import MachineSession, MemberKind, make_engine
from station.ids import new_event_id
from station.schedule import Schedule
from tests.support.central_reports import Uploads, report_document
from tests.support.sqlite_copy import copy_sqlite

PARIS = ZoneInfo("Europe/Paris")
A, B = "saint-omer-gare", "arques-mediatheque"
SPAN = ["--from", "2026-10-01", "--to", "2026-10-31"]
PURPOSES = {"coworking": "coworking", "fablab": "fablab", "creativity": "creativity"}


@dataclass(frozen=True)
class Person:
    name: str
    commune: str
    kind: MemberKind = MemberKind.MEMBER


# Site A: 7 check-ins by 2 people, 2 machine sessions; B: 5 check-ins by 3 people, 1 session.
VISITS: dict[str, list[tuple[Person, int, int, str]]] = {
    A: [(Person("Camille", "62765"), day, 9, "coworking") for day in range(1, 6)]
    + [(Person("Léo", "62297", MemberKind.VISITOR), day, 14, "creativity") for day in (6, 13)],
    B: [(Person("Inès", "62040"), day, 10, "fablab") for day in (2, 9, 16)]
    + [
        (Person("Hugo", "00000", MemberKind.VISITOR), 3, 15, "coworking"),  # outside
        (Person("Zoé", "62765"), 20, 11, "fablab"),
    ],
}
SESSIONS = {A: [(5, 5400.0), (6, 1800.0)], B: [(9, 3600.0)]}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def central_url(request: pytest.FixtureRequest, _site_db_template: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return copy_sqlite(_site_db_template, tmp_path / "central.db")  # the same schema
    return str(request.getfixturevalue("pg_migrated_url"))


def _fill(url: str, site: str) -> None:
    """The site's visits as its kiosk records them (tallies kept in the same transaction),
    and its machine sessions with their tallies as the site's intake keeps them."""
    engine = make_engine(url)
    desk = Desk(site, "entrance", "Europe/Paris", PURPOSES, Schedule.open_always())
    try:
        with Session(engine) as session, session.begin():
            members: dict[str, Any] = {}
            for person, day, hour, purpose in VISITS[site]:
                if person.name not in members:
                    members[person.name] = registry.add_member(
                        session,
                        person.name,
                        kind=person.kind,
                        home_commune=person.commune,
                        origin_site=site,
                    )
                member = members[person.name]
                at = dt.datetime(2026, 10, day, hour, tzinfo=dt.UTC)
                visit = desk.check_in(session, member, purpose, at)
                desk.check_out(session, visit.id, at + dt.timedelta(minutes=40 + 10 * day))
            first = next(iter(members.values()))
            for day, seconds in SESSIONS[site]:
                session.add(
                    MachineSession(
                        id=new_event_id(),
                        site_id=site,
                        agent_id="laser-cutter",
                        resource="laser-cutter",
                        member_id=first.id,
                        started_at=dt.datetime(2026, 10, day, 14, tzinfo=dt.UTC),
                        duration_s=seconds,
                    )
                )
            session.flush()
            rebuild(session.connection(), site, PARIS, until=dt.date(2026, 10, 31))
    finally:
        engine.dispose()


@pytest.fixture
def two_sites(
    _site_db_template: Path,
    tmp_path: Path,
    central_url: str,
    config_factory: Callable[..., Path],
) -> dict[str, list[str]]:
    """`station report` arguments reading each site's database (with its configuration),
    both sites uploaded to one central."""
    central = make_engine(central_url)
    uploads = Uploads(_site_db_template, tmp_path, central, central_url, config_factory, PARIS)
    try:
        return {
            site: uploads.site(site, _fill, name=name)
            for site, name in ((A, "La Station"), (B, "Médiathèque d'Arques"))
        }
    finally:
        central.dispose()


def test_central_gives_every_site_one_site_and_sites_side_by_side(
    two_sites: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    at_a, at_b = two_sites[A], two_sites[B]
    own = {
        site: report_document(capsys, *two_sites[site], "entries", *SPAN, "--by", "purpose")
        for site in (A, B)
    }
    assert own[A]["totals"]["entries"] == 7 and own[A]["totals"]["people"] == 2
    assert own[B]["totals"]["entries"] == 5 and own[B]["totals"]["people"] == 3

    # Every site: the sums of check-ins, and the people of both (nobody visits both).
    every = report_document(capsys, *at_a, "entries", *SPAN, "--by", "purpose", "--central")
    assert every["site"] is None
    assert every["totals"]["entries"] == 12 and every["totals"]["people"] == 5
    assert every["totals"]["members"] == 9 and every["totals"]["visitors"] == 3
    purposes = {r["purpose"]: r["entries"] for r in every["rows"]}
    assert purposes == {"coworking": 6, "creativity": 2, "fablab": 4}

    # One site at central: that site's own report, figure for figure.
    for site in (A, B):
        only = report_document(
            capsys, *at_a, "entries", *SPAN, "--by", "purpose", "--central", "--site", site
        )
        assert only["site"] == site
        assert (only["rows"], only["totals"]) == (own[site]["rows"], own[site]["totals"])

    # Side by side: one row per site and purpose, each the site's own figures.
    side = report_document(capsys, *at_b, "entries", *SPAN, "--by", "site,purpose", "--central")
    rows = {(r["site"], r["purpose"]): r for r in side["rows"]}
    for site in (A, B):
        for row in own[site]["rows"]:
            mine = {k: v for k, v in rows[(site, row["purpose"])].items() if k != "site"}
            assert mine == row
    assert {site for site, _ in rows} == {A, B}
    assert side["totals"] == every["totals"]

    # By site alone: each site's totals, people counted at that site.
    by_site = report_document(capsys, *at_a, "entries", *SPAN, "--by", "site", "--central")
    assert {r["site"]: (r["entries"], r["people"]) for r in by_site["rows"]} == {
        A: (7, 2),
        B: (5, 3),
    }


def test_machine_use_at_central_by_site(
    two_sites: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    own = {
        site: report_document(capsys, *two_sites[site], "usage", *SPAN, "--by", "machine")
        for site in (A, B)
    }
    side = report_document(
        capsys, *two_sites[A], "usage", *SPAN, "--by", "site,machine", "--central"
    )
    assert {
        (r["site"], r["machine"]): (r["sessions"], r["hours"], r["users"]) for r in side["rows"]
    } == {
        (site, row["machine"]): (row["sessions"], row["hours"], row["users"])
        for site in (A, B)
        for row in own[site]["rows"]
    }
    assert side["totals"] == {"sessions": 3, "hours": 3.0, "users": 2}
    only_b = report_document(capsys, *two_sites[A], "usage", *SPAN, "--central", "--site", B)
    assert only_b["totals"] == own[B]["totals"] == {"sessions": 1, "hours": 1.0, "users": 1}


def test_site_names_label_the_sites_and_site_needs_central(
    two_sites: dict[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    base = [a for a in two_sites[A] if a != "--json"]
    assert main([*base, "entries", *SPAN, "--by", "site", "--central", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.lstrip("\ufeff").splitlines()
    # The configuration names its own site; central knows the other by its id.
    assert lines[0].split(",")[:3] == ["site", "entries", "people"]
    assert {line.split(",")[0] for line in lines[1:]} == {"La Station", B}
    assert main([*base, "entries", *SPAN, "--site", B]) != 0
    assert "--central" in capsys.readouterr().err
