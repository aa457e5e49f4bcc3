"""One realistic data set for the console's pages: some people of the territory, their
badges and memberships, and the visits of two sites over a few weeks, checked in and
out at the kiosk's desk so that central's tallies are kept as the sites keep them.

At `SITE` ("gare"): 8 members come for coworking in February (two visits each), 5 to
the fablab in March (one visit each), and Camille Martin is in now (checked in an hour
before the tests' clock). At `OTHER` ("arques"), in February: 5 visitors for digital
help and 2 for coworking (a cell under 5, hidden when published). 29 check-ins of 20
people in all. The tests' clock is 10 March 2026, 10:30 in Paris
(tests/console/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from station import registry
from station.checkin import Desk
from station.credential import Credential
from station.db import Member, MemberKind
from station.protocol.vocabulary import GrantState
from station.schedule import Schedule
from tests.support.command_data import seed_commands
from tests.support.import_sheets import seed_batches
from tests.support.live_site import seed_agents

SITE = "gare"  # the manager's and reception's site in tests/console/conftest.py
OTHER = "arques"
SIGNED_UP = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)  # everyone's sign-up
PURPOSES = {"coworking": "coworking", "fablab": "fablab", "digital-help": "digital-help"}
Person = tuple[str, str, str | None, str]  # first name, last name, email, commune
COWORKERS: list[Person] = [
    ("Camille", "Martin", "camille.martin@example.fr", "62765"),
    ("Élodie", "Marchand", "elodie.marchand@example.fr", "62014"),
    ("Lucas", "Bernard", "lucas.bernard@example.org", "62765"),
    ("Jean", "de la Tour", "jean.delatour@example.fr", "62040"),
    ("Fatou", "Diallo", "fatou.diallo@example.fr", "62765"),
    ("Hugo", "Lefebvre", "hugo.lefebvre@example.org", "62014"),
    ("Chloé", "Garnier", "chloe.garnier@example.fr", "62040"),
    ("Karim", "Benali", "karim.benali@example.fr", "62765"),
]
MAKERS: list[Person] = [
    ("Inès", "Roux", "ines.roux@example.fr", "62765"),
    ("Zoé", "Petit", None, "62040"),
    ("Nathan", "Fontaine", "nathan.fontaine@example.org", "62014"),
    ("Léa", "Chevalier", None, "62765"),
    ("Théo", "Robin", "theo.robin@example.fr", "62040"),
]
PASSERS_BY: list[Person] = [("Paul", "Girard", None, "62765"), ("Anaïs", "Morel", None, "62014")]
HELPED: list[Person] = [
    ("Marcel", "Dubois", None, "62040"),
    ("Yvette", "Moreau", None, "62765"),
    ("Gérard", "Laurent", None, "62014"),
    ("Monique", "Simon", None, "62040"),
    ("Bernard", "Michel", None, "62765"),
]


@dataclass(frozen=True)
class Seeded:
    member: uuid.UUID  # Camille Martin: badge, membership, visits
    site: str


def seed(sessions: sessionmaker[Session], now: dt.datetime, badge_key: bytes) -> Seeded:
    """The data set, at central (`sessions`); `now` the tests' clock."""
    today = now.date()
    with sessions() as db, db.begin():
        gare = Desk(SITE, "entrance", "Europe/Paris", PURPOSES, Schedule.open_always())
        arques = Desk(OTHER, "entrance", "Europe/Paris", PURPOSES, Schedule.open_always())
        people = []
        for n, (first, last, email, commune) in enumerate(COWORKERS):
            member = _person(db, first, last, email, commune, today, SITE)
            if n == 0:
                badge = registry.enroll_badge(
                    db, member, Credential.uid("04A1B2C3"), badge_key, label="carte bleue"
                )
                badge.enrolled_at = SIGNED_UP
            for day in (2 + n, 16 + n):
                _visit(db, gare, member, "coworking", dt.datetime(2026, 2, day, 8 + n))
            people.append(member)
        for n, (first, last, email, commune) in enumerate(MAKERS):
            member = _person(db, first, last, email, commune, today, SITE)
            _visit(db, gare, member, "fablab", dt.datetime(2026, 3, 3 + n, 13))
        for n, (first, last, email, commune) in enumerate(HELPED):
            member = _person(db, first, last, email, commune, today, OTHER, MemberKind.VISITOR)
            _visit(db, arques, member, "digital-help", dt.datetime(2026, 2, 10 + n, 9))
        for n, (first, last, email, commune) in enumerate(PASSERS_BY):
            member = _person(db, first, last, email, commune, today, OTHER, MemberKind.VISITOR)
            _visit(db, arques, member, "coworking", dt.datetime(2026, 2, 20 + n, 10))
        gare.check_in(db, people[0], "coworking", now - dt.timedelta(hours=1))
        seed_agents(  # the live site page: one agent a version behind
            db,
            SITE,
            now,
            machine_user=people[1].id,
            grants={
                "front-door": GrantState.IN_STEP,
                "fablab-door": GrantState.BEHIND,
                "laser-cutter": GrantState.IN_STEP,
            },
        )
        seed_commands(db, SITE, now, "manager@example.org")  # the office's commands
        seed_batches(db, now, "reception@example.org")  # an import's preview and result
        return Seeded(member=people[0].id, site=SITE)


def _person(
    db: Session,
    first: str,
    last: str,
    email: str | None,
    commune: str,
    today: dt.date,
    site: str,
    kind: MemberKind = MemberKind.MEMBER,
) -> Member:
    until = dt.date(today.year, 12, 31) if kind is MemberKind.MEMBER else None
    member = registry.add_member(
        db,
        first,
        last,
        kind=kind,
        email=email,
        home_commune=commune,
        membership_until=until,
        origin_site=site,
        today=SIGNED_UP.date(),
        consent_at=SIGNED_UP,
    )
    member.created_at = SIGNED_UP  # not the wall clock: the pictures are the same every day
    return member


def _visit(db: Session, desk: Desk, member: Member, purpose: str, local: dt.datetime) -> None:
    """A visit of 2 hours, from `local` (Paris time)."""
    start = local.replace(tzinfo=ZoneInfo("Europe/Paris")).astimezone(dt.UTC)
    visit = desk.check_in(db, member, purpose, start)
    desk.check_out(db, visit.id, start + dt.timedelta(hours=2))
