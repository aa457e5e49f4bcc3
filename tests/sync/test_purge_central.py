"""`station purge --central` erases stale visitors the way sites see: new revisions on the
tombstones, so the next `sync_down` forgets the visitor at the site (and its agents); and
it empties the refusals resolved past the retention period, at central and at the sites."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.cli.main import main
from station.credential import Credential
from station.db import Badge, Member, MemberKind
from station.db.refusals import CentralRefusal, RefusalReason
from station.privacy import ERASED
from station.retention import purge
from sync import central
from sync.down import sync_down
from tests.sync.support import KEY

LONG_AGO = dt.datetime(2020, 1, 6, 10, tzinfo=dt.UTC)  # years past any visitor_days
PARIS = ZoneInfo("Europe/Paris")


def _stale_visitor(central_engine: Engine) -> None:
    with central.session(central_engine) as db:
        leo = registry.add_member(db, "Léo", kind=MemberKind.VISITOR, email="leo@example.fr")
        leo.created_at = LONG_AGO
        registry.enroll_badge(db, leo, Credential.uid("04C0FFEE"), KEY)


def _revisions(engine: Engine) -> tuple[int, int]:
    with Session(engine) as db:
        member = db.scalars(select(Member.revision)).one()
        badge = db.scalars(select(Badge.revision)).one()
    return member, badge


@pytest.fixture
def config(config_factory: Callable[..., Path], central_url: str) -> str:
    return str(config_factory({"central": {"url": central_url}}))


def test_purge_central_erasure_reaches_the_site(
    config: str, central_engine: Engine, site_engine: Engine
) -> None:
    _stale_visitor(central_engine)
    sync_down(site_engine, central_engine, batch_size=100)
    before = _revisions(central_engine)

    assert main(["--config", config, "purge", "--central"]) == 0

    member_revision, badge_revision = _revisions(central_engine)
    assert member_revision > before[0] and badge_revision > before[1]
    sync_down(site_engine, central_engine, batch_size=100)
    with Session(site_engine) as db:
        leo = db.scalars(select(Member)).one()
        badge = db.scalars(select(Badge)).one()
        assert (leo.first_name, leo.email) == (ERASED, None)
        assert leo.deleted_at is not None
        assert badge.deleted_at is not None  # gone from the agents' next grants


def test_purge_central_dry_run_counts_and_changes_nothing(
    config: str, central_engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    _stale_visitor(central_engine)
    before = _revisions(central_engine)
    with central_engine.connect() as connection:
        counter = central.current(connection)
    capsys.readouterr()

    assert main(["--config", config, "--json", "purge", "--central", "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)

    assert dry["visitors_forgotten"] == 1 and dry["dry_run"] is True
    assert _revisions(central_engine) == before
    with central_engine.connect() as connection:
        assert central.current(connection) == counter  # no revision handed out
    with Session(central_engine) as db:
        assert db.scalars(select(Member.first_name)).one() == "Léo"
    assert main(["--config", config, "--json", "purge", "--central"]) == 0
    real = json.loads(capsys.readouterr().out)
    assert real == {k: v for k, v in dry.items() if k != "dry_run"}


def test_an_erasure_from_central_unlinks_the_history_at_the_site(
    central_engine: Engine, site_engine: Engine
) -> None:
    """The site that did not erase the person itself: their visit loses them, their
    first visit and access events go, with the tombstone's arrival."""
    from station.checkin import Desk
    from station.db import AccessEvent, FirstVisit, Visit
    from station.ids import new_event_id
    from station.privacy import forget
    from station.schedule import Schedule

    _stale_visitor(central_engine)
    sync_down(site_engine, central_engine, batch_size=100)
    desk = Desk("saint-omer-gare", "entrance", "Europe/Paris", {"p": "s"}, Schedule.open_always())
    with Session(site_engine) as db, db.begin():
        leo = db.scalars(select(Member)).one()
        desk.check_in(db, leo, "p", LONG_AGO)
        db.add(
            AccessEvent(
                id=new_event_id(),
                agent_id="front-door",
                resource="front-door",
                type="granted",
                member_id=leo.id,
                at=LONG_AGO,
                site_id="saint-omer-gare",
            )
        )
    with central.session(central_engine) as db:
        forget(db, db.scalars(select(Member)).one())
    sync_down(site_engine, central_engine, batch_size=100)
    with Session(site_engine) as db:
        assert db.scalars(select(Visit.member_id)).all() == [None]
        assert db.scalars(select(FirstVisit)).all() == []
        assert db.scalars(select(AccessEvent)).all() == []


def _refusal(db: Session, at: dt.datetime, resolved_at: dt.datetime | None) -> uuid.UUID:
    refusal = CentralRefusal(
        site_id="saint-omer-gare",
        entity="credentials",
        entity_id=str(uuid.uuid4()),
        reason=RefusalReason.BADGE_HELD,
        detail="badge already held by Alice Martin (0a1b2c3d) at central; enrolment refused",
        member_id=uuid.uuid4(),
        other_member_id=uuid.uuid4(),
        at=at,
        resolved_at=resolved_at,
    )
    db.add(refusal)
    db.flush()
    return refusal.id


def test_resolved_refusals_go_after_the_retention_period_open_ones_stay(
    central_engine: Engine,
) -> None:
    now = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
    days = dt.timedelta(days=1)
    with central.session(central_engine) as db:
        old = _refusal(db, now - 200 * days, now - 91 * days)
        recent = _refusal(db, now - 200 * days, now - 89 * days)
        still_open = _refusal(db, now - 200 * days, None)
    with central.session(central_engine) as db:
        result = purge(db, None, 90, 365, zone=PARIS, now=now, uploaded_only=False)
    assert result.refusals_purged == 1
    with Session(central_engine) as db:
        gone = db.get(CentralRefusal, old)
        assert gone is not None and gone.deleted_at == now
        assert (gone.detail, gone.entity_id, gone.member_id, gone.other_member_id) == (
            "",
            "",
            None,
            None,
        )
        for kept in (recent, still_open):
            row = db.get(CentralRefusal, kept)
            assert row is not None and row.deleted_at is None and "Alice" in row.detail


def test_purge_central_empties_the_sites_copies_of_old_resolved_refusals(
    config: str, central_engine: Engine, site_engine: Engine
) -> None:
    with central.session(central_engine) as db:
        old = _refusal(db, LONG_AGO, LONG_AGO)
    sync_down(site_engine, central_engine, batch_size=100)
    with Session(site_engine) as db:
        assert "Alice" in db.get_one(CentralRefusal, old).detail

    assert main(["--config", config, "purge", "--central"]) == 0

    sync_down(site_engine, central_engine, batch_size=100)
    with Session(site_engine) as db:
        copy = db.get_one(CentralRefusal, old)
        assert copy.deleted_at is not None and copy.detail == "" and copy.member_id is None
