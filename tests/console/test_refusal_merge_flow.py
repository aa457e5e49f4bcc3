"""The issue's scenario: one newcomer signed up at two offline sites with one badge.

Two SQLite sites on one SQLite central. Both offline, the same person (one email,
in two cases) signs up at each with the same badge, is trained and visits. After
both syncs central holds two records and one refusal; the console lists it with what
to do and offers the pair for merging; after the merge she is one person with the
visits and trainings of both, the badge once, the refusal resolved, and after the
next sync both sites see one person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from station import registry
from station.credential import Credential
from station.db import Badge, FirstVisit, Member, MemberTraining, Training, Visit, make_engine
from station.db.live import live
from station.db.refusals import CentralRefusal, RefusalReason
from station.db.staff import AuditAction, AuditEntry, Role
from station.refusals import open_count
from sync import central
from sync.down import sync_down
from sync.up import sync_up
from tests.console.conftest import BADGE_KEY, csrf_of, log_in
from tests.support.sqlite_copy import copy_sqlite

PARIS = ZoneInfo("Europe/Paris")
UID = "04E2E0F1"
SITES = ("gare", "ecole")
DAY = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def sites(_site_db_template: Path, tmp_path: Path) -> Iterator[dict[str, Engine]]:
    """Two site databases at head, each a copy of the session's migrated template."""
    engines: dict[str, Engine] = {}
    for site in SITES:
        engines[site] = make_engine(copy_sqlite(_site_db_template, tmp_path / f"{site}.db"))
    yield engines
    for engine in engines.values():
        engine.dispose()


def sync(site: str, engine: Engine, central_engine: Engine) -> int:
    """A round of the site's sync, up then down: the rows central refused."""
    up = sync_up(engine, central_engine, site, batch_size=50, zone=PARIS)
    sync_down(engine, central_engine, batch_size=50, site_id=site)
    return up.rejected


def sign_up(
    engine: Engine, site: str, email: str, trained: dt.datetime, visit: dt.datetime
) -> None:
    """Eve at `site`, offline: a sign-up, her badge, the laser training, one visit."""
    with Session(engine) as db, db.begin():
        eve = registry.add_member(
            db,
            "Eve",
            "Martin",
            email=email,
            origin_site=site,
            membership_until=dt.date(2027, 1, 1),
            today=dt.date(2026, 3, 1),
        )
        registry.enroll_badge(db, eve, Credential.uid(UID), BADGE_KEY, origin_site=site)
        registry.grant_training(
            db, eve, "laser", granted_by=f"staff of {site}", now=trained, origin_site=site
        )
        db.add(
            Visit(
                member_id=eve.id,
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                checked_in_at=visit,
                checked_out_at=visit + dt.timedelta(hours=2),
                site_id=site,
            )
        )


def eves(engine: Engine) -> list[Member]:
    with Session(engine) as db:
        return list(
            db.scalars(
                select(Member)
                .where(func.lower(Member.email) == "eve@example.org", live(Member))
                .order_by(Member.created_at)
            )
        )


def test_a_refused_badge_reaches_the_console_and_the_merge_makes_one_person(
    central_engine: Engine,
    sites: dict[str, Engine],
    client: TestClient,
    accounts: dict[Role, str],
) -> None:
    gare, ecole = sites["gare"], sites["ecole"]
    with central.session(central_engine) as db:
        db.add(Training(code="laser", name_fr="Laser", name_en="Laser", valid_days=365))
    for site, engine in sites.items():
        sync(site, engine, central_engine)
    # Both offline: the same newcomer at each site, the same badge.
    sign_up(gare, "gare", "eve@example.org", DAY, DAY)
    sign_up(
        ecole, "ecole", "Eve@Example.org", DAY + dt.timedelta(days=3), DAY + dt.timedelta(days=5)
    )

    assert sync("gare", gare, central_engine) == 0
    assert sync("ecole", ecole, central_engine) == 1  # `rejected 1`: her badge there
    first, second = eves(central_engine)
    with Session(central_engine) as db:
        refusal = db.scalars(select(CentralRefusal)).one()
        assert (refusal.site_id, refusal.reason) == ("ecole", RefusalReason.BADGE_HELD)
        assert (refusal.member_id, refusal.other_member_id) == (second.id, first.id)
        assert refusal.resolved_at is None
    sync("ecole", ecole, central_engine)
    with Session(ecole) as db:  # what the kiosk's staff mode counts
        assert open_count(db, "ecole") == 1

    assert log_in(client, accounts[Role.ADMIN]) == 303
    listing = client.get("/refusals")
    assert listing.status_code == 200
    assert "Eve Martin" in listing.text
    assert "Fusionnez les deux fiches" in listing.text  # what to do, in plain words
    link = f"/merge?a={first.id}&amp;b={second.id}"
    assert link in listing.text
    confirm = client.get(f"/merge?a={first.id}&b={second.id}")
    assert confirm.status_code == 200
    assert str(first.id) in confirm.text and str(second.id) in confirm.text
    done = client.post(
        "/merge", data={"a": str(first.id), "b": str(second.id), "csrf": csrf_of(confirm.text)}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/members/{first.id}"

    (eve,) = eves(central_engine)
    assert eve.id == first.id
    with Session(central_engine) as db:
        visits = db.scalars(select(Visit).where(Visit.member_id == eve.id)).all()
        assert {v.site_id for v in visits} == {"gare", "ecole"}
        (training,) = db.scalars(
            select(MemberTraining).where(MemberTraining.member_id == eve.id, live(MemberTraining))
        ).all()
        assert training.granted_at == DAY and training.granted_by == "staff of gare"
        assert training.expires_at == DAY + dt.timedelta(days=368)  # the later expiry
        badges = db.scalars(select(Badge).where(live(Badge), Badge.member_id == eve.id)).all()
        assert [b.hash for b in badges] == [Credential.uid(UID).keyed_hash(BADGE_KEY)]
        assert db.get(CentralRefusal, refusal.id).resolved_at is not None  # type: ignore[union-attr]
        gone = db.get(Member, second.id)
        assert gone is not None and gone.deleted_at is not None and gone.merged_into == eve.id
        firsts = {(f.site_id, f.day) for f in db.scalars(select(FirstVisit))}
        assert firsts == {("gare", DAY.date()), ("ecole", (DAY + dt.timedelta(days=5)).date())}
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.MEMBER_MERGED)
        ).one()
        assert entry.target == str(eve.id) and entry.detail["merged"] == str(second.id)
    assert "Eve Martin" not in client.get("/refusals").text  # resolved: off the open list
    moved = client.get(f"/members/{second.id}")  # the merged record's page: the person's
    assert moved.status_code == 303 and moved.headers["location"] == f"/members/{eve.id}"

    for site, engine in sites.items():
        sync(site, engine, central_engine)
        assert [m.id for m in eves(engine)] == [eve.id], site
        with Session(engine) as db:
            assert open_count(db, site) == 0
            here = db.scalars(select(Visit).where(Visit.site_id == site)).all()
            assert [v.member_id for v in here] == [eve.id]  # her visit here moved, not lost
