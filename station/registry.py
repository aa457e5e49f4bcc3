"""Operations on people and rights: what the command line, the kiosk and sync share
(memberships: `station.memberships`).

Every function takes a session and leaves committing to the caller.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from station.ages import birth_year_problem
from station.communes import OTHER_COMMUNE, is_known
from station.credential import Credential
from station.db import (
    Badge,
    BadgeStatus,
    Member,
    MemberKind,
    MemberTraining,
    Training,
    utcnow,
)
from station.db.live import is_live, live, live_get, select_live
from station.db.lowered import lowered, lowerings
from station.errors import Conflict, InvalidInput, NotFound
from station.fields import Field, FieldRefused, check_credential, clean_email, clean_text
from station.memberships import DEFAULT_PLAN, add_membership


def add_member(
    session: Session,
    first_name: str,
    last_name: str = "",
    *,
    kind: MemberKind = MemberKind.MEMBER,
    email: str | None = None,
    home_commune: str | None = None,
    birth_year: int | None = None,
    consent_at: dt.datetime | None = None,
    membership_until: dt.date | None = None,
    origin_site: str | None = None,
    today: dt.date | None = None,
    plan: str = DEFAULT_PLAN,
) -> Member:
    """A new member, with a membership of `plan` from today when `membership_until` is
    given (use `add_membership` for an open-ended one)."""
    first_name = clean_text(Field.FIRST_NAME, first_name, required=True)
    last_name = clean_text(Field.LAST_NAME, last_name)
    email = clean_email(email)
    if home_commune is not None and not is_known(home_commune):
        raise InvalidInput(
            f"unknown commune {home_commune!r}; expected the INSEE code of a "
            f"commune of the territory, or {OTHER_COMMUNE} for elsewhere"
        )
    problem = birth_year_problem(birth_year, today or dt.date.today())
    if problem is not None:
        raise InvalidInput(f"birth year: expected {problem}")
    member = Member(
        kind=kind,
        first_name=first_name,
        last_name=last_name,
        email=email,
        home_commune=home_commune,
        birth_year=birth_year,
        consent_at=consent_at,
        origin_site=origin_site,
        dirty=origin_site is not None,
    )
    session.add(member)
    if membership_until is not None:
        add_membership(
            session,
            member,
            plan,
            today or dt.date.today(),
            membership_until,
            origin_site=origin_site,
        )
    session.flush()
    return member


def is_email(text: str) -> bool:
    try:
        return clean_email(text) is not None
    except FieldRefused:
        return False


def email_holder(session: Session, email: str) -> Member | None:
    """Who already uses this email (case-insensitive), if anyone."""
    return session.scalar(
        select(Member)
        .where(lowered(session, Member.email).in_(lowerings([email])), live(Member))
        .limit(1)
    )


def find_member(session: Session, ref: str) -> Member:
    """A member by id (or its first 8 characters), email, or exact full name."""
    members = select_live(Member)
    try:
        found = live_get(session, Member, uuid.UUID(ref))
        if found is not None:
            return found
    except ValueError:
        pass
    typed = " ".join(ref.split())
    wanted = typed.casefold()
    first = typed.split(" ")[0] if typed else ""
    matches: Sequence[Member] = [
        m
        for m in session.scalars(
            members.where(
                or_(
                    lowered(session, Member.email).in_(lowerings([ref])),
                    lowered(session, Member.first_name).in_(lowerings([first, typed])),
                )
            )
        )
        if (m.email or "").lower() == ref.lower() or m.display_name.casefold() == wanted
    ]
    if not matches and len(ref) >= 6:
        candidates = session.scalars(members).all()
        matches = [m for m in candidates if str(m.id).startswith(ref.lower())]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise NotFound(f"no member matches {ref!r}")
    raise Conflict(f"{len(matches)} members match {ref!r}; give the id")


def search_members(session: Session, text: str, limit: int = 20) -> list[Member]:
    pattern = f"%{text.strip()}%"
    query = (
        select(Member)
        .where(live(Member))
        .where(
            or_(
                Member.first_name.ilike(pattern),
                Member.last_name.ilike(pattern),
                Member.email.ilike(pattern),
            )
        )
        .order_by(Member.last_name, Member.first_name)
        .limit(limit)
    )
    return list(session.scalars(query))


def members(session: Session) -> list[Member]:
    """Every live person, by name."""
    return list(session.scalars(select_live(Member).order_by(Member.last_name, Member.first_name)))


def badges(session: Session, member: Member | None = None) -> list[Badge]:
    """The live badges of live members (of `member` only if given), by enrolment."""
    query = select_live(Badge).join(Badge.member).where(live(Member))
    if member is not None:
        query = query.where(Badge.member_id == member.id)
    return list(session.scalars(query.order_by(Badge.enrolled_at)))


def trainings_held(
    session: Session, member: Member | None = None
) -> list[tuple[MemberTraining, Member]]:
    """The live trainings held by live members (by `member` only if given)."""
    query = (
        select(MemberTraining, Member)
        .join(MemberTraining.member)
        .where(live(MemberTraining), live(Member))
    )
    if member is not None:
        query = query.where(Member.id == member.id)
    return [(held, holder) for held, holder in session.execute(query)]


def trainings(session: Session) -> list[Training]:
    """The catalogue: every live training, by code."""
    return list(session.scalars(select_live(Training).order_by(Training.code)))


def badge_by_hash(session: Session, badge_hash: str) -> Badge | None:
    return session.scalar(select_live(Badge).where(Badge.hash == badge_hash))


def enroll_badge(
    session: Session,
    member: Member,
    credential: Credential,
    key: bytes,
    *,
    label: str = "",
    origin_site: str | None = None,
) -> Badge:
    """Attach a badge to a member; refused, naming the holder, if anyone holds it."""
    check_credential(credential)
    label = clean_text(Field.BADGE_LABEL, label)
    badge_hash = credential.keyed_hash(key)
    # Tombstones too: the hash is unique, so a deleted badge's row is reused.
    existing = session.scalar(select(Badge).where(Badge.hash == badge_hash))
    if is_live(existing):
        if existing.status is BadgeStatus.ACTIVE:
            holder = existing.member
            raise Conflict(
                f"badge {credential.hex} is already held by {holder.display_name} "
                f"({str(holder.id)[:8]})"
            )
        # A revoked badge handed out again becomes a fresh enrolment of that row.
        existing.member = member
        existing.status = BadgeStatus.ACTIVE
        existing.revoked_at = None
        existing.enrolled_at = utcnow()
        existing.label = label
        existing.dirty = origin_site is not None
        session.flush()
        return existing
    badge = Badge(
        member=member,
        kind=credential.kind.value,
        hash=badge_hash,
        label=label,
        origin_site=origin_site,
        dirty=origin_site is not None,
    )
    if existing is not None:  # a tombstone: reuse the row so the hash stays unique
        session.delete(existing)
        session.flush()
    session.add(badge)
    session.flush()
    return badge


def revoke_badge(
    session: Session,
    badge: Badge,
    *,
    status: BadgeStatus = BadgeStatus.REVOKED,
    origin_site: str | None = None,
) -> Badge:
    badge.status = status
    badge.revoked_at = utcnow()
    badge.dirty = badge.dirty or origin_site is not None
    session.flush()
    return badge


def find_badge(session: Session, ref: str, key: bytes) -> Badge:
    """A badge by its UID (hex) or by its id."""
    try:
        badge = live_get(session, Badge, uuid.UUID(ref))
        if badge is not None:
            return badge
    except ValueError:
        pass
    try:
        found = badge_by_hash(session, Credential.uid(ref).keyed_hash(key))
    except ValueError:
        found = None
    if found is None:
        raise NotFound(f"no badge matches {ref!r} (give its UID in hex or its id)")
    return found


def grant_training(
    session: Session,
    member: Member,
    code: str,
    *,
    granted_by: str = "",
    now: dt.datetime | None = None,
    origin_site: str | None = None,
) -> MemberTraining:
    """Grant (or renew) a training; its expiry follows the training's validity."""
    training = live_get(session, Training, code)
    if training is None:
        raise NotFound(f"no training {code!r}; known: {', '.join(training_codes(session))}")
    granted_at = now or utcnow()
    expires = granted_at + dt.timedelta(days=training.valid_days) if training.valid_days else None
    held = session.scalar(
        select(MemberTraining).where(
            MemberTraining.member_id == member.id, MemberTraining.training_code == code
        )
    )
    if held is None:
        held = MemberTraining(member=member, training_code=code, origin_site=origin_site)
        session.add(held)
    held.granted_by, held.granted_at, held.expires_at = granted_by, granted_at, expires
    held.deleted_at = None
    held.dirty = held.dirty or origin_site is not None
    session.flush()
    return held


def revoke_training(
    session: Session, member: Member, code: str, *, origin_site: str | None = None
) -> MemberTraining:
    held = session.scalar(
        select(MemberTraining).where(
            MemberTraining.member_id == member.id,
            MemberTraining.training_code == code,
            live(MemberTraining),
        )
    )
    if held is None:
        raise NotFound(f"{member.display_name} does not hold training {code!r}")
    held.deleted_at = utcnow()
    held.dirty = held.dirty or origin_site is not None
    session.flush()
    return held


def training_codes(session: Session) -> list[str]:
    return list(
        session.scalars(select(Training.code).where(live(Training)).order_by(Training.code))
    )
