"""The rights of the people registered (CNIL / GDPR): a person's data exported, a
person forgotten. The retention purge is `station.retention`; docs/privacy.md says
all of this for the people concerned.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update
from sqlalchemy.orm import Session

from station.db import (
    AccessEvent,
    Badge,
    Company,
    MachineSession,
    Member,
    Membership,
    MemberTraining,
    SkillRecord,
    SyncRejection,
    Visit,
    VisitorLastSeen,
    utcnow,
)
from station.db.live import is_live
from station.db.models import StaffPinFailure
from station.db.refusals import CentralRefusal
from station.db.tallies import FirstVisit, PeriodMember
from station.people import forget_person

ERASED = "(effacé)"


def export(session: Session, member: Member) -> dict[str, Any]:
    """Everything held about a person, for a subject access request: every table that
    names them, at a site or at central (the same schema)."""

    def rows(model: Any, *criteria: Any) -> list[dict[str, Any]]:
        found = session.scalars(select(model).where(or_(*criteria))).all()
        return [{c.key: _plain(getattr(r, c.key)) for c in model.__table__.columns} for r in found]

    return {
        # A short PIN's hash is guessed offline in minutes: the export says only if one is set.
        "member": {
            c.key: _plain(getattr(member, c.key))
            if c.key != "staff_pin_hash"
            else getattr(member, c.key) is not None
            for c in Member.__table__.columns
        },
        "memberships": rows(Membership, Membership.member_id == member.id),
        # A badge's hash is what a copied badge presents: said to exist, not shown.
        "badges": [
            {k: v for k, v in b.items() if k != "hash"}
            for b in rows(Badge, Badge.member_id == member.id)
        ],
        "trainings": rows(MemberTraining, MemberTraining.member_id == member.id),
        "visits": rows(Visit, Visit.member_id == member.id),
        "machine_sessions": rows(MachineSession, MachineSession.member_id == member.id),
        "access_events": rows(AccessEvent, AccessEvent.member_id == member.id),
        "staff_pin_failures": rows(StaffPinFailure, StaffPinFailure.member_id == member.id),
        "last_seen": rows(VisitorLastSeen, VisitorLastSeen.member_id == member.id),
        # The day of their first visit; their id in the periods not closed yet (people.py).
        "first_visits": rows(FirstVisit, FirstVisit.member_id == member.id),
        "period_members": rows(PeriodMember, PeriodMember.member_id == member.id),
        "skills": rows(SkillRecord, SkillRecord.member_id == member.id),
        "companies": rows(Company, Company.member_id == member.id),
        "sync_rejections": rows(SyncRejection, *_naming(session, member)),
        "central_refusals": rows(CentralRefusal, *_refusals_naming(member.id)),
    }


def _refusals_naming(member_id: uuid.UUID) -> list[Any]:
    return [CentralRefusal.member_id == member_id, CentralRefusal.other_member_id == member_id]


def _naming(session: Session, member: Member) -> list[Any]:
    """Criteria of the refusals that name `member`: by the id of their row or of one of
    their rights, or in the reason (a payload with their id or a badge's hash)."""
    rights: list[Badge | Membership | MemberTraining] = [
        *member.badges,
        *member.memberships,
        *member.trainings,
    ]
    ids = [str(member.id), *(str(row.id) for row in rights)]
    hashes = [badge.hash for badge in member.badges]
    return [
        SyncRejection.entity_id.in_(ids),
        *(SyncRejection.reason.contains(value, autoescape=True) for value in [*ids, *hashes]),
    ]


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
    member.birth_year = member.consent_at = None
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
    session.execute(delete(SyncRejection).where(or_(*_naming(session, member))))
    # Central's record of a refusal stays, anonymous and closed (its words may name them).
    for refusal in session.scalars(select(CentralRefusal).where(or_(*_refusals_naming(member.id)))):
        refusal.detail, refusal.member_id, refusal.other_member_id = ERASED, None, None
        refusal.resolved_at = refusal.resolved_at or now
    session.flush()
    unlink_history(session.connection(), member.id)


def unlink_history(connection: Connection, member_id: uuid.UUID) -> None:
    """What names an erased person in the history here: visits, sessions, skills and
    companies lose the link (they stay as figures); access events, wrong-PIN counts,
    the first visit and the ids kept for open periods go. Also where the erasure
    arrives as a tombstone from central (`sync.down`)."""
    connection.execute(update(Visit).where(Visit.member_id == member_id).values(member_id=None))
    connection.execute(
        update(MachineSession)
        .where(MachineSession.member_id == member_id)
        .values(member_id=None, credential_hash=None)
    )
    connection.execute(delete(AccessEvent).where(AccessEvent.member_id == member_id))
    # A skill gained, a company created: figures of the site, no longer anyone's.
    for model in (SkillRecord, Company):
        connection.execute(update(model).where(model.member_id == member_id).values(member_id=None))
    connection.execute(delete(StaffPinFailure).where(StaffPinFailure.member_id == member_id))
    connection.execute(delete(VisitorLastSeen).where(VisitorLastSeen.member_id == member_id))
    forget_person(connection, member_id)  # first visit, ids kept for open periods


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
