"""Two records of one person made one, at central: the kept record takes the other's.

The kept record keeps its identity; a field it lacks (email, commune, birth year...)
is taken from the other, through the field rules. It takes the other's visits,
machine sessions, access events, skills and companies, first visits (the earlier day
at each site) and ids kept for open periods (`station.merged.move_history`), its live
memberships and badges (a badge is one row per hash, so it is kept once), and its
trainings: one per training, granted when it was first granted, valid until the later
expiry. The other record becomes a tombstone naming the kept one (`merged_into`), so
that each site moves the history it holds when the tombstone comes down. Refusals
between the two (a badge refused for being the other's) are resolved.

The kept record is written in one flush and the tombstone in a later one: a later
revision, so a site always has the kept record before it moves history onto it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from station.db import Member, MemberKind, Visit
from station.db.live import live_get, live_rows
from station.db.refusals import CentralRefusal
from station.errors import InvalidInput, NotFound
from station.fields import Field, clean_email, clean_text
from station.merged import move_history

# The stronger kind wins: a visitor who became a member is a member.
_KIND_RANK = {MemberKind.VISITOR: 0, MemberKind.MEMBER: 1, MemberKind.STAFF: 2}
FILLED = ("last_name", "email", "home_commune", "birth_year", "consent_at", "last_purpose")


@dataclass(frozen=True)
class Pair:
    kept: Member
    gone: Member


@dataclass(frozen=True)
class Merged:
    kept_id: uuid.UUID
    gone_id: uuid.UUID
    visits: int
    badges: int
    memberships: int
    trainings: int
    filled: tuple[str, ...]  # fields of the kept record taken from the other
    resolved: int  # refusals resolved


def pair(session: Session, kept_id: uuid.UUID, gone_id: uuid.UUID) -> Pair:
    """Both live records, or NotFound; InvalidInput if they are one."""
    if kept_id == gone_id:
        raise InvalidInput("a record cannot be merged with itself")
    kept, gone = live_get(session, Member, kept_id), live_get(session, Member, gone_id)
    if kept is None or gone is None:
        raise NotFound("both records must exist and not be deleted")
    return Pair(kept, gone)


def kept_for(session: Session, member_id: uuid.UUID) -> uuid.UUID | None:
    """The live record a merged record went into, if it was merged (and that one lives)."""
    row = session.get(Member, member_id)
    if row is None or row.merged_into is None:
        return None
    kept = live_get(session, Member, row.merged_into)
    return kept.id if kept is not None else None


def filled_fields(found: Pair) -> tuple[str, ...]:
    """The fields the kept record lacks and the other has: what it will take."""
    return tuple(
        name
        for name in FILLED
        if getattr(found.kept, name) in (None, "") and getattr(found.gone, name) not in (None, "")
    )


def merge(session: Session, kept_id: uuid.UUID, gone_id: uuid.UUID, now: dt.datetime) -> Merged:
    """Merge `gone_id` into `kept_id` (see the module's docstring). `session` writes at
    central (`sync.central.sessions`); the caller commits."""
    found = pair(session, kept_id, gone_id)
    kept, gone = found.kept, found.gone
    filled = _take_identity(found)
    of_gone = select(func.count()).select_from(Visit).where(Visit.member_id == gone.id)
    visits = session.scalar(of_gone) or 0
    memberships = live_rows(gone.memberships)
    for membership in memberships:
        membership.member = kept
    badges = live_rows(gone.badges)
    for badge in badges:
        badge.member = kept
    trainings = _take_trainings(session, kept, gone, now)
    session.flush()
    connection = session.connection()
    move_history(connection, gone.id, kept.id)
    resolved = _resolve_refusals(session, kept.id, gone.id, now)
    # Records merged into `gone` before now point at the kept one: one hop to resolve.
    for earlier in session.scalars(select(Member).where(Member.merged_into == gone.id)):
        earlier.merged_into = kept.id
    gone.merged_into, gone.deleted_at = kept.id, now
    session.flush()
    session.expire(kept)
    return Merged(
        kept.id, gone.id, visits, len(badges), len(memberships), trainings, filled, resolved
    )


def _take_identity(found: Pair) -> tuple[str, ...]:
    """The other's fields the kept record lacks, each checked by its rule before any
    is written (`FieldRefused` leaves both records as they were)."""
    kept, gone = found.kept, found.gone
    filled = filled_fields(found)
    values = {name: getattr(gone, name) for name in filled}
    if "last_name" in values:
        values["last_name"] = clean_text(Field.LAST_NAME, values["last_name"])
    if "email" in values:
        values["email"] = clean_email(values["email"])
    for name, value in values.items():
        setattr(kept, name, value)
    if _KIND_RANK[gone.kind] > _KIND_RANK[kept.kind]:
        kept.kind = gone.kind
    kept.created_at = min(kept.created_at, gone.created_at)
    if kept.staff_pin_hash is None and gone.staff_pin_hash is not None:
        kept.staff_pin_hash = gone.staff_pin_hash
    return filled


def _take_trainings(session: Session, kept: Member, gone: Member, now: dt.datetime) -> int:
    """The other's trainings, one row per training (member and code are unique, also
    among tombstones): a training both hold keeps the first grant and the later expiry."""
    held = {t.training_code: t for t in kept.trainings}
    taken = 0
    for theirs in live_rows(gone.trainings):
        ours = held.get(theirs.training_code)
        taken += 1
        if ours is None:
            theirs.member = kept
            continue
        if ours.deleted_at is not None:  # revoked here: theirs stands as it is
            ours.granted_at, ours.granted_by = theirs.granted_at, theirs.granted_by
            ours.expires_at, ours.deleted_at = theirs.expires_at, None
        else:
            if theirs.granted_at < ours.granted_at:
                ours.granted_at, ours.granted_by = theirs.granted_at, theirs.granted_by
            ours.expires_at = _later(ours.expires_at, theirs.expires_at)
        theirs.deleted_at = now
    session.flush()
    return taken


def _later(one: dt.datetime | None, other: dt.datetime | None) -> dt.datetime | None:
    """The later expiry; None (never expires) is the latest."""
    if one is None or other is None:
        return None
    return max(one, other)


def _resolve_refusals(
    session: Session, kept_id: uuid.UUID, gone_id: uuid.UUID, now: dt.datetime
) -> int:
    """Refusals between the two records are resolved; the others of the merged record
    name the kept one from now on."""
    between = or_(
        and_(CentralRefusal.member_id == gone_id, CentralRefusal.other_member_id == kept_id),
        and_(CentralRefusal.member_id == kept_id, CentralRefusal.other_member_id == gone_id),
    )
    resolved = list(
        session.scalars(select(CentralRefusal).where(between, CentralRefusal.resolved_at.is_(None)))
    )
    for refusal in resolved:
        refusal.resolved_at = now
    for refusal in session.scalars(
        select(CentralRefusal).where(
            CentralRefusal.resolved_at.is_(None),
            or_(CentralRefusal.member_id == gone_id, CentralRefusal.other_member_id == gone_id),
        )
    ):
        if refusal.member_id == gone_id:
            refusal.member_id = kept_id
        if refusal.other_member_id == gone_id:
            refusal.other_member_id = kept_id
    return len(resolved)
