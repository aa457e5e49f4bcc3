"""Facts for the access rule, read from a site database."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db import (
    Badge,
    BadgeStatus,
    Member,
    MemberKind,
    Membership,
    MemberTraining,
    Resource,
)
from station.plans import plan_windows
from station.rules import CredentialFacts, MembershipSpan, ResourceFacts
from station.schedule import Schedule


def member_facts(session: Session, member: Member, revoked: bool = False) -> CredentialFacts:
    spans = tuple(
        MembershipSpan(m.valid_from, m.valid_until, m.plan)
        for m in session.scalars(
            select(Membership).where(
                Membership.member_id == member.id, Membership.deleted_at.is_(None)
            )
        )
    )
    trainings = {
        t.training_code: t.expires_at
        for t in session.scalars(
            select(MemberTraining).where(
                MemberTraining.member_id == member.id, MemberTraining.deleted_at.is_(None)
            )
        )
    }
    return CredentialFacts(
        revoked=revoked,
        staff=member.kind is MemberKind.STAFF,
        memberships=spans,
        trainings=trainings,
    )


def credential_facts(
    session: Session, badge_hash: str
) -> tuple[CredentialFacts | None, Badge | None]:
    """The facts of a presented credential, and its badge row (None if unknown)."""
    badge = session.scalar(
        select(Badge).where(Badge.hash == badge_hash, Badge.deleted_at.is_(None))
    )
    if badge is None or badge.member.deleted_at is not None:
        return None, None
    return member_facts(
        session, badge.member, revoked=badge.status is not BadgeStatus.ACTIVE
    ), badge


def resource_facts(session: Session, config: StationConfig, code: str) -> ResourceFacts:
    """Facts of a resource; a resource missing from the database is disabled (deny).

    The hours come from the configuration (the schedule the agent or space names, the
    plans' windows, staff's rule); the database says whether staff disabled it.
    """
    resource = session.scalar(
        select(Resource).where(
            Resource.site_id == config.site.id, Resource.code == code, Resource.deleted_at.is_(None)
        )
    )
    if resource is None:
        return ResourceFacts(code=code, enabled=False)
    agent = next((a for a in config.agents.values() if a.resource == code), None)
    space = config.spaces.get(code)
    schedule_name = agent.schedule if agent else space.schedule if space else resource.schedule
    known = config.schedule_names()
    return ResourceFacts(
        code=code,
        required_trainings=tuple(resource.required_trainings),
        # A name the configuration no longer declares closes the resource: deny.
        schedule=config.schedule(schedule_name)
        if schedule_name in known
        else Schedule(timezone=config.site.timezone),
        enabled=resource.enabled,
        out_of_order=resource.out_of_order,
        plan_windows=plan_windows(config, code),
        staff_window=config.schedule(config.staff.schedule),
        free_access=config.schedule(agent.free_access) if agent and agent.free_access else None,
    )


def today_in(timezone: str, now: dt.datetime | None = None) -> dt.date:
    from zoneinfo import ZoneInfo

    return (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone)).date()
