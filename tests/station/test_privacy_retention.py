"""The retention promises as the consent screen states them: a visitor is forgotten only
after `visitor_days` without a visit, even when the purge runs every day; `--dry-run`
counts what a purge removes and changes nothing; refusals kept for staff expire too."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station import registry
from station.db import AccessEvent, Member, MemberKind, SyncRejection, Visit, VisitorLastSeen
from station.ids import new_event_id
from station.privacy import ERASED
from station.retention import purge

SITE = "saint-omer-gare"
PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
MOVEMENT, VISITORS = 90, 365


def _visitor(session: Session, name: str, *, created_days_ago: int = 500) -> Member:
    visitor = registry.add_member(session, name, kind=MemberKind.VISITOR, home_commune="62765")
    visitor.created_at = NOW - dt.timedelta(days=created_days_ago)
    return visitor


def _visit(session: Session, member: Member, at: dt.datetime) -> Visit:
    visit = Visit(
        site_id=SITE,
        member_id=member.id,
        kiosk_id="entrance",
        purpose="fablab",
        space="fablab",
        home_commune=member.home_commune,
        member_kind=member.kind.value,
        checked_in_at=at,
        checked_out_at=at + dt.timedelta(hours=1),
        uploaded_at=at,
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
            uploaded_at=at,
        )
    )
    return visit


def _purge(session: Session, now: dt.datetime = NOW, **kwargs: bool) -> dict[str, int]:
    result = purge(session, SITE, MOVEMENT, VISITORS, zone=PARIS, now=now, **kwargs)
    return result.counts()


def test_a_visitor_seen_100_days_ago_is_kept_by_the_purge(site_session: Session) -> None:
    """The bug: the purge unlinked the 100-day-old visit first, then found no visit."""
    leo = _visitor(site_session, "Léo")
    earlier = _visit(site_session, leo, NOW - dt.timedelta(days=120))
    last = _visit(site_session, leo, NOW - dt.timedelta(days=100))
    site_session.flush()

    seen_at = last.checked_in_at

    counts = _purge(site_session)

    assert counts["visitors_forgotten"] == 0
    assert leo.deleted_at is None and leo.first_name == "Léo"
    assert counts["visits_deleted"] == 2  # the movement log still goes after 90 days
    assert site_session.scalar(select(func.count()).select_from(Visit)) == 0
    assert earlier.id != last.id
    # What stays is when Léo was last seen, and it goes with him.
    kept = site_session.get(VisitorLastSeen, leo.id)
    assert kept is not None and kept.seen_at == seen_at


def test_a_daily_purge_forgets_a_visitor_after_visitor_days_without_a_visit(
    site_session: Session,
) -> None:
    """Purged every day, the visitor stays until 365 days after the last visit, then goes."""
    leo = _visitor(site_session, "Léo")
    last = NOW - dt.timedelta(days=100)
    _visit(site_session, leo, last)
    site_session.flush()
    for day in range(100, VISITORS + 1):
        _purge(site_session, last + dt.timedelta(days=day))
        assert leo.deleted_at is None, f"forgotten {day} days after the last visit"
    counts = _purge(site_session, last + dt.timedelta(days=VISITORS + 1))
    assert counts["visitors_forgotten"] == 1
    assert leo.first_name == ERASED and leo.deleted_at is not None
    assert (
        site_session.scalar(
            select(func.count()).select_from(Visit).where(Visit.member_id.is_not(None))
        )
        == 0
    )  # no movement row names anyone once the visitor is gone
    assert site_session.get(VisitorLastSeen, leo.id) is None


def test_a_visitor_never_seen_is_forgotten_after_visitor_days(site_session: Session) -> None:
    kept = _visitor(site_session, "Inès", created_days_ago=VISITORS - 1)
    gone = _visitor(site_session, "Noé", created_days_ago=VISITORS + 1)
    site_session.flush()
    assert _purge(site_session)["visitors_forgotten"] == 1
    assert kept.deleted_at is None and gone.deleted_at is not None


def test_old_sync_rejections_are_purged(site_session: Session) -> None:
    def rejection(days_ago: int) -> SyncRejection:
        return SyncRejection(
            entity="agent_event",
            entity_id="front-door",
            reason='bad signature; payload: {"credential_hash": "ab12"}',
            at=NOW - dt.timedelta(days=days_ago),
        )

    site_session.add_all([rejection(MOVEMENT + 1), rejection(MOVEMENT - 1)])
    site_session.flush()
    assert _purge(site_session)["rejections_deleted"] == 1
    left = site_session.scalars(select(SyncRejection.at)).all()
    assert left == [NOW - dt.timedelta(days=MOVEMENT - 1)]


def test_dry_run_counts_what_a_purge_removes_and_changes_nothing(
    site_session: Session,
) -> None:
    camille = registry.add_member(site_session, "Camille", home_commune="62765")
    _visit(site_session, camille, NOW - dt.timedelta(days=120))
    _visit(site_session, camille, NOW - dt.timedelta(days=10))
    _visitor(site_session, "Noé")
    site_session.add(
        SyncRejection(
            entity="members", entity_id=str(camille.id), reason="r", at=NOW - dt.timedelta(days=200)
        )
    )
    site_session.flush()

    def state() -> tuple[object, ...]:
        return (
            sorted(str(v) for v in site_session.scalars(select(Visit.member_id))),
            site_session.scalar(select(func.count()).select_from(AccessEvent)),
            sorted(site_session.scalars(select(Member.first_name))),
            site_session.scalar(select(func.count()).select_from(SyncRejection)),
        )

    before = state()
    dry = _purge(site_session, dry_run=True)
    assert state() == before
    real = _purge(site_session)
    assert dry == real
    assert real == {
        "visitors_forgotten": 1,
        "visits_deleted": 1,
        "events_deleted": 1,
        "sessions_deleted": 0,
        "rejections_deleted": 1,
        "refusals_purged": 0,
        "late_days_folded": 0,
        "days_rolled_up": 0,
    }
    assert state() != before
