"""Operations on memberships (station.memberships): renewals and plan changes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station import memberships, registry
from station.db import Member, Membership
from station.errors import Conflict, InvalidInput

TODAY = dt.date(2026, 12, 8)
PLAN_DAYS = {"member": 365, "resident": 30, "honorary": 0}


def plan_days(plan: str) -> int:  # stands for the configuration's [plans]
    return PLAN_DAYS.get(plan, 365)


def spans(session: Session) -> list[tuple[str, dt.date, dt.date | None]]:
    return sorted(
        (m.plan, m.valid_from, m.valid_until)
        for m in session.scalars(select(Membership).where(Membership.deleted_at.is_(None)))
    )


def renew(
    session: Session, member: Member, *, plan: str | None, until: dt.date | None
) -> Membership:
    return memberships.renew_membership(
        session,
        member,
        today=TODAY,
        plan=plan,
        until=until,
        default_days=plan_days,
        default_plan="member",
    )


def test_a_plan_change_cuts_the_current_membership_the_day_before(site_session) -> None:  # type: ignore[no-untyped-def]
    ines = registry.add_member(
        site_session,
        "Inès",
        plan="member",
        membership_until=dt.date(2027, 3, 31),
        today=dt.date(2026, 4, 1),
    )
    renew(site_session, ines, plan="member", until=None)  # queued after the current one
    renew(site_session, ines, plan="resident", until=None)
    assert spans(site_session) == [
        ("member", dt.date(2026, 4, 1), dt.date(2026, 12, 7)),
        ("resident", TODAY, dt.date(2027, 1, 6)),
    ]


def test_renewal_without_a_current_membership_starts_today(site_session) -> None:  # type: ignore[no-untyped-def]
    hugo = registry.add_member(
        site_session, "Hugo", membership_until=dt.date(2026, 1, 31), today=dt.date(2025, 2, 1)
    )
    renewed = renew(site_session, hugo, plan=None, until=None)
    # The plan of the last membership, from today (the old one is over), for its length.
    assert (renewed.plan, renewed.valid_from, renewed.valid_until) == (
        "standard",
        TODAY,
        dt.date(2027, 12, 7),
    )
    honorary = renew(site_session, hugo, plan="honorary", until=None)
    assert honorary.valid_until is None  # a plan of length 0 is open-ended
    with pytest.raises(Conflict, match="open-ended honorary"):
        renew(site_session, hugo, plan="honorary", until=None)


def test_a_renewal_ending_before_it_would_start_is_refused(site_session) -> None:  # type: ignore[no-untyped-def]
    ada = registry.add_member(
        site_session,
        "Ada",
        plan="member",
        membership_until=dt.date(2027, 6, 30),
        today=dt.date(2026, 7, 1),
    )
    with pytest.raises(InvalidInput, match="before 2027-07-01"):
        renew(site_session, ada, plan="member", until=dt.date(2027, 1, 31))
    assert spans(site_session) == [("member", dt.date(2026, 7, 1), dt.date(2027, 6, 30))]
