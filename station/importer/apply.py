"""Writing a preview's new people: members, their memberships and badges, in the
caller's transaction, with one flush (central's revisions are assigned per flush).

Nothing is written for a row already there nor for a problem row. The values were
checked by the preview with station.fields' rules; what a membership lasts is the
plan's length (`plan_days`, 365 days without one; 0: open-ended).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from station.db import Badge, Member, MemberKind, Membership, MemberTraining, Training
from station.fields import Field, FieldRefused, clean_text
from station.importer.preview import Preview
from station.importer.rows import Person
from station.memberships import DEFAULT_PLAN

DEFAULT_DAYS = 365
_LOCK_KEY = 0x53544E494D50  # "STNIMP": the importer's advisory lock


@dataclass(frozen=True)
class Imported:
    created: int
    present: int
    problem_rows: int


def apply(
    session: Session,
    preview: Preview,
    *,
    now: dt.datetime,
    badge_key: bytes,
    plan_days: Mapping[str, int] | None = None,
    default_plan: str = DEFAULT_PLAN,
    origin_site: str | None = None,
    created_for: str | None = None,
    granted_by: str = "import",
) -> Imported:
    """Create the preview's new people; the caller commits. At a site, `origin_site` is
    the site (the rows go up with its next sync); at central, `created_for` names the site
    the people were registered for, as station.person_record does (the rows stay
    central's own). The trainings a row says are held are granted by `granted_by` (the
    sheet does not say who trained them)."""
    valid = _valid_days(session, {c for p in preview.new for c in p.trainings})
    granted_by = _granted_by(granted_by)
    for person in preview.new:
        member = _member(person, now, origin_site)
        member.origin_site = origin_site or created_for
        session.add(member)
        membership = _membership(person, member, now.date(), plan_days or {}, default_plan)
        if membership is not None:
            membership.origin_site, membership.dirty = origin_site, origin_site is not None
            session.add(membership)
        if person.badge is not None:
            session.add(
                Badge(
                    member=member,
                    kind=person.badge.kind.value,
                    hash=person.badge.keyed_hash(badge_key),
                    origin_site=origin_site,
                    dirty=origin_site is not None,
                )
            )
        for code in person.trainings:
            at = dt.datetime.combine(person.joined, dt.time(), dt.UTC) if person.joined else now
            days = valid.get(code, 0)
            session.add(
                MemberTraining(
                    member=member,
                    training_code=code,
                    granted_by=granted_by,
                    granted_at=at,
                    expires_at=at + dt.timedelta(days=days) if days else None,
                    origin_site=origin_site,
                    dirty=origin_site is not None,
                )
            )
    session.flush()
    return Imported(len(preview.new), len(preview.present), len(preview.problem_rows))


def serialize(session: Session) -> None:
    """Wait for any other import at central to end before previewing again and writing,
    so that two confirmations of overlapping files at once cannot both create one person
    (no unique constraint holds emails). PostgreSQL: a transaction-scoped advisory lock;
    SQLite lets one writer at a time, and a writer whose reads are stale fails."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _valid_days(session: Session, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.execute(
        select(Training.code, Training.valid_days).where(Training.code.in_(sorted(codes)))
    )
    return {code: days for code, days in rows}


def _granted_by(text: str) -> str:
    try:
        return clean_text(Field.GRANTED_BY, text)
    except FieldRefused:
        return "import"  # a file name with an invisible character, or too long


def _member(person: Person, now: dt.datetime, origin_site: str | None) -> Member:
    consent_at = None
    if person.consent:
        joined = person.joined
        consent_at = dt.datetime.combine(joined, dt.time(), dt.UTC) if joined else now
    return Member(
        kind=person.kind,
        first_name=person.first_name,
        last_name=person.last_name,
        email=person.email,
        home_commune=person.home_commune,
        birth_year=person.birth_year,
        consent_at=consent_at,
        created_at=now,
        origin_site=origin_site,
        dirty=origin_site is not None,
    )


def _membership(
    person: Person,
    member: Member,
    today: dt.date,
    plan_days: Mapping[str, int],
    default_plan: str,
) -> Membership | None:
    """A membership from the sign-up day, when the sheet gives a day or a plan (an old
    sheet without either makes people, not a year of membership from today each)."""
    if person.kind is not MemberKind.MEMBER or (person.joined is None and person.plan is None):
        return None
    plan = person.plan or default_plan
    start = person.joined or today
    days = plan_days.get(plan, DEFAULT_DAYS)
    until = start + dt.timedelta(days=days - 1) if days else None
    return Membership(member=member, plan=plan, valid_from=start, valid_until=until)
