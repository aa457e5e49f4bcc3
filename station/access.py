"""Facts for the access rule, read from a site database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db import (
    Badge,
    BadgeStatus,
    Member,
    MemberKind,
    Membership,
    MemberTraining,
    OpeningException,
    OpeningHours,
    Resource,
)
from station.rules import CredentialFacts, MembershipSpan, ResourceFacts
from station.schedule import Schedule, TimeRange, parse_range


def member_facts(session: Session, member: Member, revoked: bool = False) -> CredentialFacts:
    spans = tuple(MembershipSpan(m.valid_from, m.valid_until) for m in session.scalars(
        select(Membership).where(Membership.member_id == member.id,
                                 Membership.deleted_at.is_(None))))
    trainings = {t.training_code: t.expires_at for t in session.scalars(
        select(MemberTraining).where(MemberTraining.member_id == member.id,
                                     MemberTraining.deleted_at.is_(None)))}
    return CredentialFacts(revoked=revoked, staff=member.kind is MemberKind.STAFF,
                           memberships=spans, trainings=trainings)


def credential_facts(session: Session,
                     badge_hash: str) -> tuple[CredentialFacts | None, Badge | None]:
    """The facts of a presented credential, and its badge row (None if unknown)."""
    badge = session.scalar(select(Badge).where(Badge.hash == badge_hash,
                                               Badge.deleted_at.is_(None)))
    if badge is None or badge.member.deleted_at is not None:
        return None, None
    return member_facts(session, badge.member,
                        revoked=badge.status is not BadgeStatus.ACTIVE), badge


def site_schedule(session: Session, site_id: str, timezone: str) -> Schedule:
    weekly: list[list[TimeRange]] = [[] for _ in range(7)]
    for row in session.scalars(select(OpeningHours).where(
            OpeningHours.site_id == site_id, OpeningHours.deleted_at.is_(None))
            .order_by(OpeningHours.weekday, OpeningHours.opens)):
        weekly[row.weekday].append((row.opens, row.closes))
    exceptions = {row.day: tuple(parse_range(r) for r in row.ranges)
                  for row in session.scalars(select(OpeningException).where(
                      OpeningException.site_id == site_id,
                      OpeningException.deleted_at.is_(None)))}
    return Schedule(timezone=timezone, weekly=tuple(tuple(d) for d in weekly),
                    exceptions=exceptions)


def resource_facts(session: Session, site_id: str, code: str, timezone: str) -> ResourceFacts:
    """Facts of a resource; a resource missing from the database is disabled (deny)."""
    resource = session.scalar(select(Resource).where(
        Resource.site_id == site_id, Resource.code == code, Resource.deleted_at.is_(None)))
    if resource is None:
        return ResourceFacts(code=code, enabled=False)
    schedule = (Schedule.open_always() if resource.schedule == "always"
                else site_schedule(session, site_id, timezone))
    return ResourceFacts(code=code, required_trainings=tuple(resource.required_trainings),
                         schedule=schedule, enabled=resource.enabled,
                         out_of_order=resource.out_of_order)


def today_in(timezone: str, now: dt.datetime | None = None) -> dt.date:
    from zoneinfo import ZoneInfo

    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone)).date()
