"""/: people registered, today at each site from the visits central holds, and every
site's year side by side."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from console.dashboard import dashboard
from station import registry
from station.aggregates import refresh_usage
from station.checkin import Desk
from station.db import MachineSession, Member, Visit
from station.db.refusals import CentralRefusal, RefusalReason
from station.db.staff import Role
from station.reports.side_by_side import Figure, SiteYear, trend
from station.reports.table import Secrecy, Value
from station.rollups import roll_up, stale_days
from station.schedule import Schedule
from tests.console.conftest import START, TIMEZONE, log_in


def visit(site: str, at: dt.datetime, out: dt.datetime | None = None) -> Visit:
    return Visit(
        site_id=site,
        kiosk_id="entrance",
        purpose="coworking",
        space="coworking",
        checked_in_at=at,
        checked_out_at=out,
    )


def seed(sessions: sessionmaker[Session]) -> None:
    hour = dt.timedelta(hours=1)
    with sessions() as db, db.begin():
        for first in ("Camille", "Lucas", "Inès"):
            registry.add_member(db, first, "Test", today=START.date())
        db.add_all(
            [
                visit("gare", START - hour),  # in now
                visit("gare", START - 2 * hour, START - hour),  # came and went today
                visit("gare", START - dt.timedelta(days=1), START - dt.timedelta(hours=20)),
                visit("halle", START - 3 * hour),
            ]
        )
        for site in ("gare", "halle"):
            db.add(
                CentralRefusal(
                    site_id=site,
                    entity="credentials",
                    entity_id="x",
                    reason=RefusalReason.BADGE_HELD,
                    at=START,
                )
            )


def test_figures_of_every_site(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    with sessions() as db:
        data = dashboard(db, START, TIMEZONE)
        gare = dashboard(db, START, TIMEZONE, "gare")
    assert data.people == 3 and (data.refusals_pending, gare.refusals_pending) == (2, 1)
    assert [(s.site_id, s.entries, s.in_now) for s in data.sites] == [
        ("gare", 2, 1),
        ("halle", 1, 1),
    ]
    assert [(s.site_id, s.entries, s.in_now) for s in gare.sites] == [("gare", 2, 1)]


def test_a_manager_sees_their_site_and_an_admin_every_site(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    seed(sessions)
    assert log_in(client, accounts[Role.MANAGER]) == 303
    page = client.get("/").text
    assert "gare" in page and "halle" not in page
    assert '<dd id="people">3</dd>' in page
    assert log_in(client, accounts[Role.ADMIN]) == 303
    page = client.get("/").text
    assert "gare" in page and "halle" in page


# The year side by side: people served this month and this year, first-timers, machine
# hours and check-ins against the same days of last year (to 10 March), published.
PARIS = ZoneInfo(TIMEZONE)
PURPOSES = {"coworking": "coworking"}


def came(db: Session, site: str, people: list[Member], *days: dt.date) -> None:
    """Each of `people` checks in (and out an hour later) at `site` at 10:00 on `days`."""
    desk = Desk(site, "entrance", TIMEZONE, PURPOSES, Schedule.open_always())
    for day in days:
        for person in people:
            at = dt.datetime.combine(day, dt.time(10), PARIS).astimezone(dt.UTC)
            desk.check_out(db, desk.check_in(db, person, "coworking", at).id, at + HOUR)


def used(db: Session, site: str, people: list[Member], day: dt.date, hours: float) -> None:
    """Each of `people` uses the laser for `hours` on `day`."""
    at = dt.datetime.combine(day, dt.time(14), PARIS).astimezone(dt.UTC)
    for person in people:
        db.add(
            MachineSession(
                id=uuid.uuid4(),
                site_id=site,
                agent_id="laser",
                resource="laser",
                member_id=person.id,
                started_at=at,
                ended_at=at + dt.timedelta(hours=hours),
                duration_s=hours * 3600,
            )
        )
    db.flush()
    refresh_usage(db.connection(), site, PARIS, [day])


def people(db: Session, name: str, n: int) -> list[Member]:
    return [registry.add_member(db, f"{name}{i}", "Test", today=START.date()) for i in range(n)]


HOUR = dt.timedelta(hours=1)
D = dt.date


def seed_years(sessions: sessionmaker[Session]) -> None:
    """gare: 8 people this year (6 in March, 5 first-timers), 14 check-ins against 6 to
    10 March last year, 5 laser users of 1.5 hours; halle: the 5 people of last year's
    10 check-ins come once; port: 5 first-timers, nobody last year."""
    with sessions() as db, db.begin():
        gare, halle, port = people(db, "Gare", 8), people(db, "Halle", 5), people(db, "Port", 5)
        came(db, "gare", gare[:3], D(2025, 2, 3), D(2025, 2, 4))
        came(db, "gare", gare[:3], D(2025, 6, 2))  # after 10 March: not in the comparison
        came(db, "gare", gare, D(2026, 1, 20))
        came(db, "gare", gare[:6], D(2026, 3, 2))
        used(db, "gare", gare[:5], D(2026, 2, 5), 1.5)
        came(db, "halle", halle, D(2025, 1, 10), D(2025, 3, 1))
        came(db, "halle", halle, D(2026, 2, 12))
        came(db, "port", port, D(2026, 2, 10))


def figures_of(row: SiteYear) -> tuple[Value, ...]:
    return (
        row.month_people.value,
        row.year_people.value,
        row.first_timers.value,
        row.hours.value,
        row.entries.value,
        row.trend,
    )


@pytest.mark.parametrize("rolled_up", [False, True], ids=["cells", "roll-ups"])
def test_every_site_year_side_by_side(sessions: sessionmaker[Session], rolled_up: bool) -> None:
    """The check-ins from the days' cells (stale since the check-ins) or, once rolled
    up as the daily purge does, from the roll-ups: the same figures."""
    seed_years(sessions)
    if rolled_up:
        with sessions() as db, db.begin():
            assert roll_up(db.connection()) > 0
            assert not stale_days(db.connection(), None)
    with sessions() as db:
        year = dashboard(db, START, TIMEZONE).year
    assert year.today == D(2026, 3, 10)
    assert {r.site: figures_of(r) for r in year.sites} == {
        "gare": (6, 8, 5, 7.5, 14, 133.3),  # up: 14 against 6
        "halle": (0, 5, 0, 0, 5, -50.0),  # down: 5 against 10
        "port": (0, 5, 5, 0, 5, None),  # nobody last year: no percentage
    }
    assert year.total is not None
    assert figures_of(year.total) == (6, 18, 10, 7.5, 24, 50.0)


def test_a_manager_sees_their_site_year_alone(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    seed_years(sessions)
    assert log_in(client, accounts[Role.MANAGER]) == 303
    table = year_table(client.get("/").text)
    assert '<th scope="row">gare</th>' in table and "halle" not in table
    assert "+133.3 %" in table and "<tfoot>" not in table
    assert log_in(client, accounts[Role.ADMIN]) == 303
    table = year_table(client.get("/").text)
    assert table.count('<th scope="row">') == 4  # three sites and all of them
    assert "<caption>" in table and "−50.0 %" not in table and "-50.0 %" in table


def test_small_cells_are_hidden(
    client: TestClient, accounts: dict[Role, str], sessions: sessionmaker[Session]
) -> None:
    with sessions() as db, db.begin():
        came(db, "gare", people(db, "Gare", 6), D(2026, 1, 20))
        came(db, "halle", people(db, "Halle", 2), D(2026, 1, 21))
    with sessions() as db:
        year = dashboard(db, START, TIMEZONE).year
    halle, gare = year.sites[1], year.sites[0]
    assert (halle.year_people.secrecy, halle.year_people.value) == (Secrecy.SMALL, None)
    # Hidden as well: else the total less gare's 6 would tell halle's 2.
    assert (gare.year_people.secrecy, gare.year_people.value) == (Secrecy.COMPLEMENT, None)
    assert year.total is not None and year.total.year_people.value == 8
    assert halle.trend is None  # no percentage of a hidden figure
    assert log_in(client, accounts[Role.ADMIN]) == 303
    table = year_table(client.get("/").text)
    assert "<td>&lt; 5</td>" in table and "<td>s</td>" in table and ">2<" not in table


def test_the_trend_is_signed_and_needs_last_year() -> None:
    assert trend(Figure(15), Figure(10)) == 50.0
    assert trend(Figure(5), Figure(10)) == -50.0
    assert trend(Figure(5), Figure(0)) is None
    assert trend(Figure(None, Secrecy.SMALL), Figure(10)) is None


def year_table(page: str) -> str:
    return page[
        page.index('<table id="year">') : page.index("</table>", page.index('<table id="year">'))
    ]
