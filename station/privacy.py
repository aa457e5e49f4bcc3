"""Retention and the rights of the people registered (CNIL / GDPR).

Movement logs older than the retention period lose their link to a person: a
visit keeps its day, space, purpose, home commune and kind (so tallies survive
as aggregates) but no longer says who; access events and the refusals kept for
staff are deleted. A visitor is forgotten after `visitor_days` without a visit
(their last visit keeps its link until then: it is what says when they were last
seen). At a site only rows central already holds are purged, so nothing is lost
before it is uploaded. The purge is a list of steps (`STEPS`), run in order.
docs/privacy.md says all of this for the people concerned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from station.aggregates import mark_people_since
from station.db import (
    AccessEvent,
    Badge,
    Company,
    MachineSession,
    Member,
    MemberKind,
    Membership,
    MemberTraining,
    SkillRecord,
    SyncRejection,
    Visit,
    utcnow,
)
from station.db.live import is_live, live
from station.db.models import FirstVisit, PeriodMember, StaffPinFailure
from station.people import forget_person

ERASED = "(effacé)"


@dataclass(frozen=True)
class PurgeResult:
    visits_anonymised: int
    events_deleted: int
    sessions_anonymised: int
    visitors_forgotten: int
    rejections_deleted: int = 0

    def counts(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Scope:
    """What one purge may touch: a site's rows (None: every site, at central), older
    than `cutoff` for movement logs; visitors unseen since `stale` are forgotten."""

    site_id: str | None
    now: dt.datetime
    cutoff: dt.datetime
    stale: dt.datetime
    uploaded_only: bool

    def history(self, model: Any, *conditions: Any) -> list[Any]:
        clauses = list(conditions)
        if self.site_id is not None:
            clauses.append(model.site_id == self.site_id)
        if self.uploaded_only:  # a purge never loses a row central does not hold yet
            clauses.append(model.uploaded_at.is_not(None))
        return clauses


Step = Callable[[Session, Scope], int]


def purge(
    session: Session,
    site_id: str | None,
    movement_days: int,
    visitor_days: int,
    *,
    now: dt.datetime | None = None,
    uploaded_only: bool = True,
    dry_run: bool = False,
) -> PurgeResult:
    """Apply the retention periods. ``site_id`` None purges every site (central).

    At central, pass a session that gives revisions to what it writes (the erased
    visitors' tombstones must reach the sites). ``dry_run`` runs the same steps in a
    savepoint rolled back: the counts of a real purge, nothing changed."""
    now = now or utcnow()
    scope = Scope(
        site_id,
        now,
        cutoff=now - dt.timedelta(days=movement_days),
        stale=now - dt.timedelta(days=visitor_days),
        uploaded_only=uploaded_only,
    )
    if not dry_run:
        return PurgeResult(**{name: step(session, scope) for name, step in STEPS})
    savepoint = session.begin_nested()
    try:
        return PurgeResult(**{name: step(session, scope) for name, step in STEPS})
    finally:
        savepoint.rollback()


def _forget_stale_visitors(session: Session, scope: Scope) -> int:
    """Visitors with no visit since `stale`, decided before any visit loses its link."""
    forgotten = 0
    candidates = session.scalars(
        select(Member).where(
            Member.kind == MemberKind.VISITOR, live(Member), Member.created_at < scope.stale
        )
    ).all()
    for visitor in candidates:
        last_visit = session.scalar(
            select(func.max(Visit.checked_in_at)).where(Visit.member_id == visitor.id)
        )
        if last_visit is None or last_visit < scope.stale:
            forget(session, visitor, now=scope.now)
            forgotten += 1
    return forgotten


def _anonymise_visits(session: Session, scope: Scope) -> int:
    # A live visitor's last visit keeps its link: it is the "last seen" that says when
    # the visitor's `visitor_days` are up (members carry no such date of their own).
    later = aliased(Visit)
    live_visitors = select(Member.id).where(Member.kind == MemberKind.VISITOR, live(Member))
    last_seen = Visit.member_id.in_(live_visitors) & ~(
        select(later.id)
        .where(later.member_id == Visit.member_id, later.checked_in_at > Visit.checked_in_at)
        .exists()
    )
    count = _count(
        session.execute(
            update(Visit)
            .where(
                *scope.history(
                    Visit, Visit.checked_in_at < scope.cutoff, Visit.member_id.is_not(None)
                ),
                ~last_seen,
            )
            .values(member_id=None)
            .execution_options(synchronize_session=False)
        )
    )
    # From the day after the cutoff on, the visits still name their people: what the
    # reports' distinct counts need (`station.aggregates.people_since`).
    mark_people_since(session, scope.site_id, scope.cutoff.date() + dt.timedelta(days=1))
    return count


def _delete_events(session: Session, scope: Scope) -> int:
    return _count(
        session.execute(
            delete(AccessEvent)
            .where(*scope.history(AccessEvent, AccessEvent.at < scope.cutoff))
            .execution_options(synchronize_session=False)
        )
    )


def _anonymise_sessions(session: Session, scope: Scope) -> int:
    return _count(
        session.execute(
            update(MachineSession)
            .where(
                *scope.history(
                    MachineSession,
                    MachineSession.started_at < scope.cutoff,
                    MachineSession.member_id.is_not(None),
                )
            )
            .values(member_id=None, credential_hash=None)
            .execution_options(synchronize_session=False)
        )
    )


def _delete_rejections(session: Session, scope: Scope) -> int:
    # Refusals name badges (hashes), people and agents' payloads: movement logs too.
    return _count(
        session.execute(
            delete(SyncRejection)
            .where(SyncRejection.at < scope.cutoff)
            .execution_options(synchronize_session=False)
        )
    )


# In order: visitors are judged on their visits before those lose their links.
STEPS: tuple[tuple[str, Step], ...] = (
    ("visitors_forgotten", _forget_stale_visitors),
    ("visits_anonymised", _anonymise_visits),
    ("events_deleted", _delete_events),
    ("sessions_anonymised", _anonymise_sessions),
    ("rejections_deleted", _delete_rejections),
)


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
        # The day of their first visit; their id in the periods not closed yet (people.py).
        "first_visits": rows(FirstVisit, FirstVisit.member_id == member.id),
        "period_members": rows(PeriodMember, PeriodMember.member_id == member.id),
        "skills": rows(SkillRecord, SkillRecord.member_id == member.id),
        "companies": rows(Company, Company.member_id == member.id),
        "sync_rejections": rows(SyncRejection, *_naming(session, member)),
    }


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
    forget_person(connection, member_id)  # first visit, ids kept for open periods


def _count(result: Any) -> int:
    return result.rowcount if isinstance(result, CursorResult) else 0


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value
