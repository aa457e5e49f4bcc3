"""Memberships: a member's spans of a plan, how they are added, which one is current,
and how a renewal or a change of plan follows on from them.

Every function takes a session and leaves committing to the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from station.db import Member, Membership, utcnow
from station.db.live import live
from station.errors import Conflict, InvalidInput

DEFAULT_PLAN = "standard"  # the plan of memberships made before plans were declared


def add_membership(
    session: Session,
    member: Member,
    plan: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
    *,
    origin_site: str | None = None,
) -> Membership:
    """A membership of `plan` (valid_until inclusive; None: open-ended)."""
    membership = Membership(
        member=member,
        plan=plan,
        valid_from=valid_from,
        valid_until=valid_until,
        origin_site=origin_site,
        dirty=origin_site is not None,
    )
    session.add(membership)
    session.flush()
    return membership


def current_membership(session: Session, member: Member, day: dt.date) -> Membership | None:
    """The live membership covering `day` that ends last, if any."""
    rows = session.scalars(
        select(Membership).where(
            Membership.member_id == member.id,
            live(Membership),
            Membership.valid_from <= day,
            or_(Membership.valid_until.is_(None), Membership.valid_until >= day),
        )
    )
    return max(rows, key=lambda m: m.valid_until or dt.date.max, default=None)


def renew_membership(
    session: Session,
    member: Member,
    *,
    today: dt.date,
    plan: str | None,
    until: dt.date | None,
    default_days: Callable[[str], int],
    default_plan: str,
    origin_site: str | None = None,
) -> Membership:
    """Renew, or change the plan of, a member's membership.

    The same plan continues the day after the current membership ends (from today if
    none is current); another plan starts today and ends the current one yesterday
    (a plan change takes effect at once). Without `until`, the new membership lasts
    the plan's default length (`default_days`, 0: open-ended).
    """
    current = current_membership(session, member, today)
    latest = session.scalar(
        select(Membership)
        .where(Membership.member_id == member.id, live(Membership))
        .order_by(Membership.valid_from.desc())
        .limit(1)
    )
    wanted = plan or (latest.plan if latest is not None else default_plan)
    start = today
    if current is not None and current.plan == wanted:
        if current.valid_until is None:
            raise Conflict(
                f"{member.display_name} already has an open-ended {wanted} "
                f"membership; give another --plan to change it"
            )
        start = current.valid_until + dt.timedelta(days=1)
    else:  # a plan change (or none current): what was planned from today on ends
        for planned in session.scalars(
            select(Membership).where(
                Membership.member_id == member.id,
                live(Membership),
                or_(Membership.valid_until.is_(None), Membership.valid_until >= today),
            )
        ):
            _end_before(planned, today, origin_site)
    days = default_days(wanted)
    end = until if until is not None else (start + dt.timedelta(days=days - 1) if days else None)
    if end is not None and end < today:
        raise InvalidInput(f"--until {end} is in the past: the membership would already be over")
    if end is not None and end < start:
        raise InvalidInput(
            f"--until {end} is before {start}, the day the renewal would "
            f"start (the current {wanted} membership runs until then)"
        )
    return add_membership(session, member, wanted, start, end, origin_site=origin_site)


def _end_before(membership: Membership, day: dt.date, origin_site: str | None) -> None:
    if membership.valid_from >= day:
        membership.deleted_at = utcnow()  # it had not started: nothing of it remains
    else:
        membership.valid_until = day - dt.timedelta(days=1)
    membership.dirty = membership.dirty or origin_site is not None
