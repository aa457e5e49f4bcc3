"""Retention and erasure: personal links go, tallies stay, unsent history is kept."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station import registry
from station.aggregates import rebuild
from station.credential import Credential
from station.db import AccessEvent, Badge, Member, MemberKind, Visit
from station.ids import new_event_id
from station.privacy import ERASED, export, forget
from station.reports.from_aggregates import entries_table
from station.reports.table import Measure
from station.retention import purge
from station.tallies import entries

SITE = "saint-omer-gare"
NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
KEY = b"k" * 32
PARIS = "Europe/Paris"


def _visit(session: Session, member: Member, days_ago: int, uploaded: bool) -> Visit:
    at = NOW - dt.timedelta(days=days_ago)
    visit = Visit(
        site_id=SITE,
        member_id=member.id,
        kiosk_id="entrance",
        purpose="fablab",
        space="fablab",
        home_commune=member.home_commune,
        member_kind=member.kind.value,
        checked_in_at=at,
        checked_out_at=at + dt.timedelta(hours=2),
        uploaded_at=at if uploaded else None,
    )
    session.add(visit)
    session.add(
        AccessEvent(
            id=new_event_id(),
            site_id=SITE,
            agent_id="front-door",
            resource="front-door",
            type="granted",
            member_id=member.id,
            at=at,
            uploaded_at=at if uploaded else None,
        )
    )
    return visit


def test_purge_deletes_old_uploaded_history_and_keeps_tallies(site_session: Session) -> None:
    camille = registry.add_member(site_session, "Camille", home_commune="62765")
    old = _visit(site_session, camille, 120, uploaded=True)
    unsent = _visit(site_session, camille, 100, uploaded=False)
    recent = _visit(site_session, camille, 10, uploaded=True)
    site_session.flush()
    zone = ZoneInfo(PARIS)
    rebuild(site_session.connection(), SITE, zone, until=NOW.date())
    first, last = (NOW - dt.timedelta(days=365)).date(), NOW.date()
    raw = entries(site_session, SITE, PARIS, NOW - dt.timedelta(days=365), NOW, ["commune"])
    before = entries_table(site_session.connection(), SITE, first, last, ["commune"], zone)
    assert [(row.key, row.count) for row in raw] == [
        (key, values[Measure.ENTRIES]) for key, values in before.rows
    ]

    result = purge(site_session, SITE, movement_days=90, visitor_days=365, zone=zone, now=NOW)

    assert (result.visits_deleted, result.events_deleted) == (1, 1)
    left = site_session.scalars(select(Visit.id).order_by(Visit.checked_in_at)).all()
    # The unsent visit stays, central does not have it yet, and so does the rest of its day.
    assert old.id not in left and left == [unsent.id, recent.id]
    assert site_session.scalar(select(func.count()).select_from(AccessEvent)) == 2
    after = entries_table(site_session.connection(), SITE, first, last, ["commune"], zone)
    kept = (Measure.ENTRIES, Measure.MEMBERS, Measure.MEDIAN_MINUTES)
    assert after.with_measures(kept).rows == before.with_measures(kept).rows  # tallies survive


def test_stale_visitors_are_forgotten(site_session: Session) -> None:
    visitor = registry.add_member(
        site_session, "Léo", kind=MemberKind.VISITOR, email="leo@example.fr"
    )
    visitor.created_at = NOW - dt.timedelta(days=500)
    regular = registry.add_member(site_session, "Zoé", kind=MemberKind.VISITOR)
    regular.created_at = NOW - dt.timedelta(days=500)
    _visit(site_session, regular, 30, uploaded=True)
    site_session.flush()
    result = purge(
        site_session, SITE, movement_days=90, visitor_days=365, zone=ZoneInfo(PARIS), now=NOW
    )
    assert result.visitors_forgotten == 1
    assert visitor.first_name == ERASED and visitor.email is None
    assert visitor.deleted_at is not None
    assert regular.deleted_at is None


def test_forget_erases_identity_and_badges_but_keeps_anonymous_visits(
    site_session: Session,
) -> None:
    camille = registry.add_member(
        site_session, "Camille", "Martin", email="c@example.fr", home_commune="62765"
    )
    registry.enroll_badge(site_session, camille, Credential.uid("04A1B2C3"), KEY)
    visit = _visit(site_session, camille, 3, uploaded=True)
    site_session.flush()
    exported = export(site_session, camille)
    assert exported["member"]["email"] == "c@example.fr"
    assert len(exported["visits"]) == 1 and len(exported["badges"]) == 1
    assert "hash" not in exported["badges"][0]

    forget(site_session, camille, now=NOW)

    assert (camille.first_name, camille.email, camille.home_commune) == (ERASED, None, None)
    badge = site_session.scalar(select(Badge))
    assert badge is not None and badge.deleted_at == NOW  # tombstone: agents drop it
    site_session.refresh(visit)
    assert visit.member_id is None and visit.home_commune == "62765"
    assert site_session.scalar(select(func.count()).select_from(AccessEvent)) == 0


def test_forget_command_erases_at_central_with_revisions(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from station.cli.main import main
    from station.db import make_engine
    from sync import central

    root = Path(__file__).resolve().parents[2]
    config = tmp_path / "config.toml"
    config.write_text((root / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    central_url = f"sqlite:///{tmp_path}/central.db"
    monkeypatch.setenv("STATION_CENTRAL_URL", central_url)
    monkeypatch.setenv("STATION_DATABASE_URL", f"sqlite:///{tmp_path}/site.db")
    assert main(["--config", str(config), "db", "upgrade", "--central"]) == 0
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    engine = make_engine(central_url)
    with central.session(engine) as session:
        camille = registry.add_member(session, "Camille", "Martin", email="c@example.fr")
        registry.enroll_badge(session, camille, Credential.uid("04A1B2C3"), KEY)
    with Session(engine) as session:
        badge_revision = session.scalars(select(Badge.revision)).one()

    assert main(["--config", str(config), "member", "forget", "c@example.fr"]) == 1  # no --yes
    assert main(["--config", str(config), "member", "forget", "c@example.fr", "--yes"]) == 0

    with Session(engine) as session:
        badge = session.scalars(select(Badge)).one()
        member = session.scalars(select(Member)).one()
    engine.dispose()
    assert member.first_name == ERASED and member.deleted_at is not None
    assert badge.deleted_at is not None and badge.revision > badge_revision
