"""Central's refusals and a merge on a PostgreSQL central, through the sites' own accounts.

Two sites, each with its role at central (row-level security): each site writes its
refusals at central in its upload and reads back only its own; a merge made at
central (station.merge) reaches both sites, which move the history they hold.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from station import merge, registry
from station.credential import Credential
from station.db import Badge, Member, Training, Visit, make_engine
from station.db.live import live
from station.db.refusals import CentralRefusal, RefusalReason
from station.refusals import Why, candidates, open_count
from sync import central, rights
from sync.down import sync_down
from sync.up import sync_up
from tests.support.sqlite_copy import copy_sqlite
from tests.sync.support import KEY

SITES = ("site-a", "site-b")
UID = "04AB12CD"
DAY = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def sites(_site_db_template: Path, tmp_path: Path) -> Iterator[dict[str, Engine]]:
    engines = {}
    for site in SITES:
        engines[site] = make_engine(copy_sqlite(_site_db_template, tmp_path / f"{site}.db"))
    yield engines
    for engine in engines.values():
        engine.dispose()


@pytest.fixture
def accounts(central_engine: Engine) -> Iterator[dict[str, Engine]]:
    """Each site's own role at central."""
    rights.setup_row_security(central_engine)
    engines = {}
    for site in SITES:
        role = rights.create_site_account(central_engine, site, f"secret {site}")
        engines[site] = make_engine(
            central_engine.url.set(username=role).render_as_string(hide_password=False)
        )
    yield engines
    for engine in engines.values():
        engine.dispose()


def sign_up(engine: Engine, site: str, at: dt.datetime) -> None:
    with Session(engine) as db, db.begin():
        eve = registry.add_member(
            db, "Eve", "Martin", email="eve@example.org", origin_site=site, today=at.date()
        )
        registry.enroll_badge(db, eve, Credential.uid(UID), KEY, origin_site=site)
        registry.grant_training(db, eve, "laser", now=at, origin_site=site)
        db.add(
            Visit(
                member_id=eve.id,
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                checked_in_at=at,
                site_id=site,
            )
        )


def round_trip(site: str, engine: Engine, at_central: Engine) -> int:
    # No tallies: a site's role lacks the rights to central's tally tables (not ours here).
    rejected = sync_up(engine, at_central, site, batch_size=20).rejected
    sync_down(engine, at_central, batch_size=20, site_id=site)
    return rejected


def live_eves(engine: Engine) -> list[Member]:
    with Session(engine) as db:
        query = select(Member).where(live(Member), func.lower(Member.email) == "eve@example.org")
        return list(db.scalars(query.order_by(Member.created_at)))


def test_refusal_is_kept_at_central_in_the_sites_name_and_a_merge_reaches_both_sites(
    central_engine: Engine, sites: dict[str, Engine], accounts: dict[str, Engine]
) -> None:
    with central.session(central_engine) as db:
        db.add(Training(code="laser", name_fr="Laser", name_en="Laser", valid_days=0))
    for site, engine in sites.items():
        round_trip(site, engine, accounts[site])
    sign_up(sites["site-a"], "site-a", DAY)
    sign_up(sites["site-b"], "site-b", DAY + dt.timedelta(days=1))
    assert round_trip("site-a", sites["site-a"], accounts["site-a"]) == 0
    assert round_trip("site-b", sites["site-b"], accounts["site-b"]) == 1
    kept, gone = live_eves(central_engine)
    with Session(central_engine) as db:
        refusal = db.scalars(select(CentralRefusal)).one()
        assert (refusal.site_id, refusal.reason) == ("site-b", RefusalReason.BADGE_HELD)
        assert refusal.revision > 0 and "Eve Martin" in refusal.detail
        # Named by the refusal and sharing one email: offered once (and the search by
        # email runs on PostgreSQL too).
        pairs = candidates(db, None, emails=True)
        assert [(c.kept.id, c.gone.id, c.why) for c in pairs] == [(kept.id, gone.id, Why.REFUSAL)]
    # Each site reads back its own refusals only (row-level security and the scope).
    with Session(accounts["site-a"]) as db:
        assert open_count(db, None) == 0
    with Session(sites["site-b"]) as db:
        assert open_count(db, "site-b") == 1
    with Session(sites["site-a"]) as db:
        assert open_count(db, None) == 0

    with central.session(central_engine) as db:
        done = merge.merge(db, kept.id, gone.id, DAY + dt.timedelta(days=2))
    assert (done.visits, done.badges, done.trainings, done.resolved) == (1, 0, 1, 1)
    for site, engine in sites.items():
        round_trip(site, engine, accounts[site])
        assert [m.id for m in live_eves(engine)] == [kept.id], site
        with Session(engine) as db:
            assert open_count(db, site) == 0
            assert [v.member_id for v in db.scalars(select(Visit))] == [kept.id]
    with Session(central_engine) as db:
        visits = db.scalars(select(Visit).where(Visit.member_id == kept.id)).all()
        assert sorted(v.site_id for v in visits) == list(SITES)


def test_a_visit_sent_after_the_merge_by_a_site_that_missed_it_lands_on_the_kept_record(
    central_engine: Engine, sites: dict[str, Engine], accounts: dict[str, Engine]
) -> None:
    with central.session(central_engine) as db:
        db.add(Training(code="laser", name_fr="Laser", name_en="Laser", valid_days=0))
    for site, engine in sites.items():
        round_trip(site, engine, accounts[site])
    sign_up(sites["site-a"], "site-a", DAY)
    sign_up(sites["site-b"], "site-b", DAY + dt.timedelta(days=1))
    round_trip("site-a", sites["site-a"], accounts["site-a"])
    round_trip("site-b", sites["site-b"], accounts["site-b"])
    kept, gone = live_eves(central_engine)
    with central.session(central_engine) as db:
        merge.merge(db, kept.id, gone.id, DAY + dt.timedelta(days=2))
    # Site B, offline since, checks in the record it knows and gives it a new badge,
    # then syncs.
    later = DAY + dt.timedelta(days=3)
    with Session(sites["site-b"]) as db, db.begin():
        known = db.get(Member, gone.id)
        assert known is not None
        registry.enroll_badge(db, known, Credential.uid("04CD34EF"), KEY, origin_site="site-b")
        db.add(
            Visit(
                member_id=gone.id,
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                checked_in_at=later,
                site_id="site-b",
            )
        )
    assert round_trip("site-b", sites["site-b"], accounts["site-b"]) == 0
    new_badge = Credential.uid("04CD34EF").keyed_hash(KEY)
    for engine in (central_engine, sites["site-b"]):
        with Session(engine) as db:
            badge = db.scalar(select(Badge).where(Badge.hash == new_badge))
            assert badge is not None and badge.member_id == kept.id
    with Session(central_engine) as db:
        assert db.scalar(select(func.count()).where(Visit.member_id == gone.id)) == 0
        assert db.scalar(select(func.count()).where(Visit.member_id == kept.id)) == 3
    with Session(sites["site-b"]) as db:
        assert db.scalar(select(func.count()).where(Visit.member_id == kept.id)) == 2
