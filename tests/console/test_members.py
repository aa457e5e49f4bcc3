"""/members and /members/<id>: finding a person by name, email, commune or badge, by an
index, and their read-only page."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from console.members import PAGE_SIZE, _criterion, search
from station import registry
from station.credential import Credential
from station.db import Member, Visit
from station.db.staff import Role
from sync import central as central_writes
from tests.console.conftest import BADGE_KEY, START, log_in

PEOPLE = [
    ("Camille", "Martin", "camille.martin@example.fr", "62765"),
    ("Élodie", "Marchand", "elodie@example.fr", "62014"),
    ("Lucas", "Bernard", "lucas.b@example.org", "62765"),
    ("Jean", "de la Tour", "jdlt@example.fr", "62040"),
]


@pytest.fixture
def people(sessions: sessionmaker[Session]) -> dict[str, uuid.UUID]:
    ids: dict[str, uuid.UUID] = {}
    with sessions() as db, db.begin():
        for first, last, email, commune in PEOPLE:
            member = registry.add_member(
                db, first, last, email=email, home_commune=commune, today=START.date()
            )
            ids[first] = member.id
        lucas = db.get(Member, ids["Lucas"])
        assert lucas is not None
        registry.enroll_badge(db, lucas, Credential.uid("04A1B2C3"), BADGE_KEY, label="carte")
        gone = registry.add_member(db, "Camille", "Martel", today=START.date())
        central_writes.tombstone(db, gone)
    return ids


def names(sessions: sessionmaker[Session], query: str) -> list[str]:
    with sessions() as db:
        return [m.display_name for m in search(db, query, BADGE_KEY).members]


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("mar", ["Élodie Marchand", "Camille Martin"]),  # last names, by last name
        ("MARTIN", ["Camille Martin"]),
        ("cam", ["Camille Martin"]),  # first names; the tombstoned Camille Martel is gone
        ("élodie", ["Élodie Marchand"]),  # folded where SQLite's lower() does not
        ("Camille Martin", ["Camille Martin"]),
        ("martin camille", ["Camille Martin"]),
        ("jean de la", ["Jean de la Tour"]),
        ("lucas.b@", ["Lucas Bernard"]),
        ("62765", ["Lucas Bernard", "Camille Martin"]),
        ("62040", ["Jean de la Tour"]),
        ("04:a1:b2:c3", ["Lucas Bernard"]),  # the UID as the kiosk hashes it
        ("04A1B2C4", []),
        ("zz", []),
        ("", []),
    ],
)
def test_search(
    sessions: sessionmaker[Session], people: dict[str, uuid.UUID], query: str, found: list[str]
) -> None:
    assert names(sessions, query) == found


def test_search_is_paginated(sessions: sessionmaker[Session]) -> None:
    with sessions() as db, db.begin():
        for n in range(PAGE_SIZE + 5):
            registry.add_member(db, f"Person{n:02d}", "Dupont", today=START.date())
    with sessions() as db:
        first = search(db, "dupont", BADGE_KEY)
        second = search(db, "dupont", BADGE_KEY, page=2)
        beyond = search(db, "dupont", BADGE_KEY, page=9)
    assert (first.total, first.pages, len(first.members)) == (PAGE_SIZE + 5, 2, PAGE_SIZE)
    assert len(second.members) == 5 and beyond.page == 2
    assert {m.id for m in first.members}.isdisjoint(m.id for m in second.members)


def test_every_search_is_answered_from_indexes(
    central_engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with sessions() as db:
        for query in ("mar", "Camille Martin", "a@b", "62765", "04A1B2C3"):
            criterion = _criterion(db, query, BADGE_KEY)
            assert criterion is not None
            compiled = (
                select(Member.id)
                .where(Member.deleted_at.is_(None), criterion)
                .compile(central_engine, compile_kwargs={"literal_binds": True})
            )
            plan = db.execute(text(f"EXPLAIN QUERY PLAN {compiled}")).all()
            steps = " / ".join(str(row[-1]) for row in plan)
            assert "SCAN members" not in steps.replace("SCAN members USING", ""), (query, steps)
            assert "ix_members_search_" in steps or "credentials" in steps, (query, steps)


def test_the_members_page_finds_and_opens_a_person(
    client: TestClient,
    accounts: dict[Role, str],
    people: dict[str, uuid.UUID],
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as db, db.begin():
        db.add(
            Visit(
                site_id="gare",
                member_id=people["Lucas"],
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                checked_in_at=START - dt.timedelta(days=1),
                checked_out_at=START - dt.timedelta(days=1, hours=-2),
            )
        )
    assert log_in(client, accounts[Role.RECEPTION]) == 303
    listing = client.get("/members", params={"q": "04A1B2C3"})
    assert listing.status_code == 200
    assert f'href="/members/{people["Lucas"]}"' in listing.text
    assert "1 résultat" in listing.text
    page = client.get(f"/members/{people['Lucas']}")
    assert page.status_code == 200
    assert "Lucas Bernard" in page.text and "lucas.b@example.org" in page.text
    assert "carte" in page.text and "fablab" in page.text
    assert client.get(f"/members/{uuid.uuid4()}").status_code == 404
    assert client.get("/members/not-an-id").status_code == 404


def test_search_on_a_postgresql_central(pg_migrated_url: str) -> None:
    from station.db import make_engine

    engine = make_engine(pg_migrated_url)
    try:
        writes = central_writes.sessions(engine)
        with writes() as db, db.begin():
            for first, last, email, commune in PEOPLE:
                registry.add_member(
                    db, first, last, email=email, home_commune=commune, today=START.date()
                )
        for query, found in [
            ("mar", ["Élodie Marchand", "Camille Martin"]),
            ("élodie", ["Élodie Marchand"]),
            ("ÉLODIE", ["Élodie Marchand"]),
            ("martin camille", ["Camille Martin"]),
            ("camille.martin@", ["Camille Martin"]),
        ]:
            assert names(writes, query) == found, query
    finally:
        engine.dispose()
