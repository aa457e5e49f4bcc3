"""Retention and the rights of the people registered (CNIL / GDPR).

Movement logs older than the retention period lose their link to a person: a
visit keeps its day, space, purpose, home commune and kind (so tallies survive
as aggregates) but no longer says who; access events are deleted. At a site only
rows central already holds are purged, so nothing is lost before it is uploaded.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from station.db import (
    AccessEvent,
    Badge,
    MachineSession,
    Member,
    MemberKind,
    Membership,
    MemberTraining,
    Visit,
    utcnow,
)
from station.db.live import is_live, live

ERASED = "(effacé)"


@dataclass(frozen=True)
class PurgeResult:
    visits_anonymised: int
    events_deleted: int
    sessions_anonymised: int
    visitors_forgotten: int


def purge(
    session: Session,
    site_id: str | None,
    movement_days: int,
    visitor_days: int,
    *,
    now: dt.datetime | None = None,
    uploaded_only: bool = True,
) -> PurgeResult:
    """Apply the retention periods. ``site_id`` None purges every site (central)."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=movement_days)

    def scoped(model: Any, *conditions: Any) -> list[Any]:
        clauses = list(conditions)
        if site_id is not None:
            clauses.append(model.site_id == site_id)
        if uploaded_only:
            clauses.append(model.uploaded_at.is_not(None))
        return clauses

    visits = _count(
        session.execute(
            update(Visit)
            .where(*scoped(Visit, Visit.checked_in_at < cutoff, Visit.member_id.is_not(None)))
            .values(member_id=None)
        )
    )
    events = _count(
        session.execute(delete(AccessEvent).where(*scoped(AccessEvent, AccessEvent.at < cutoff)))
    )
    sessions = _count(
        session.execute(
            update(MachineSession)
            .where(
                *scoped(
                    MachineSession,
                    MachineSession.started_at < cutoff,
                    MachineSession.member_id.is_not(None),
                )
            )
            .values(member_id=None, credential_hash=None)
        )
    )
    forgotten = 0
    stale = now - dt.timedelta(days=visitor_days)
    for visitor in session.scalars(
        select(Member).where(
            Member.kind == MemberKind.VISITOR,
            live(Member),
            Member.created_at < stale,
        )
    ):
        last_visit = session.scalar(
            select(Visit.checked_in_at)
            .where(Visit.member_id == visitor.id)
            .order_by(Visit.checked_in_at.desc())
            .limit(1)
        )
        if last_visit is None or last_visit < stale:
            forget(session, visitor, now=now)
            forgotten += 1
    return PurgeResult(visits, events, sessions, forgotten)


def export(session: Session, member: Member) -> dict[str, Any]:
    """Everything held about a person, for a subject access request."""

    def rows(model: Any, column: Any) -> list[dict[str, Any]]:
        found = session.scalars(select(model).where(column == member.id)).all()
        return [{c.key: _plain(getattr(r, c.key)) for c in model.__table__.columns} for r in found]

    return {
        # A short PIN's hash is guessed offline in minutes: the export says only if one is set.
        "member": {
            c.key: _plain(getattr(member, c.key))
            if c.key != "staff_pin_hash"
            else getattr(member, c.key) is not None
            for c in Member.__table__.columns
        },
        "memberships": rows(Membership, Membership.member_id),
        "badges": [
            {k: v for k, v in b.items() if k != "hash"} for b in rows(Badge, Badge.member_id)
        ],
        "trainings": rows(MemberTraining, MemberTraining.member_id),
        "visits": rows(Visit, Visit.member_id),
        "machine_sessions": rows(MachineSession, MachineSession.member_id),
        "access_events": rows(AccessEvent, AccessEvent.member_id),
    }


def forget(
    session: Session,
    member: Member,
    *,
    now: dt.datetime | None = None,
    origin_site: str | None = None,
) -> None:
    """Erase a person: identity blanked, tombstones on the person and their badges
    (sync carries them to every site and drops the badges from agents' grants), and
    history kept only as anonymous tallies."""
    now = now or utcnow()
    member.first_name, member.last_name = ERASED, ""
    member.email = member.home_commune = member.last_purpose = None
    member.consent_at = None
    member.staff_pin_hash = None
    member.deleted_at = now
    # Through the ORM, not bulk UPDATEs: central's flush hook gives each tombstone
    # the revision that carries it to the sites.
    rights: list[Badge | Membership | MemberTraining] = [
        *member.badges,
        *member.memberships,
        *member.trainings,
    ]
    for row in rights:
        if is_live(row):  # an older tombstone keeps its date
            row.deleted_at = now
            row.dirty = row.dirty or origin_site is not None
    # Erased at a site (not yet at central): the tombstones go up with the next sync.
    member.dirty = member.dirty or origin_site is not None
    session.execute(update(Visit).where(Visit.member_id == member.id).values(member_id=None))
    session.execute(
        update(MachineSession)
        .where(MachineSession.member_id == member.id)
        .values(member_id=None, credential_hash=None)
    )
    session.execute(delete(AccessEvent).where(AccessEvent.member_id == member.id))
    session.flush()


def _count(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
