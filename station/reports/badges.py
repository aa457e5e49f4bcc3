"""How many badges prove themselves: active badges and their holders by kind (a plain UID,
a secure DESFire credential), the people who are secure-only (and those of them with no
secure badge, whom nothing opens), and the refusals of the secure-badge policy.

Counts of the registry as it stands (not tallies over time): the badges a site holds are
central's, so either database gives the same figures for them; the refusals are the
access events still held (kept `movement_days`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from station.credential import CredentialKind
from station.db import AccessEvent, Badge, BadgeStatus, Member
from station.db.live import live
from station.protocol.vocabulary import EventType
from station.rules import Reason

# The refusals that say a badge did not prove itself, or was not asked to prove enough.
SECURE_REASONS = (Reason.SECURE_REQUIRED, Reason.AUTH_FAILED, Reason.BAD_READ)


@dataclass(frozen=True)
class KindCount:
    kind: str  # a CredentialKind's value
    active: int  # active badges of this kind
    holders: int  # people holding at least one of them


@dataclass(frozen=True)
class BadgeFigures:
    kinds: tuple[KindCount, ...]  # every kind, in CredentialKind's order
    secure_only: int  # live people whose plain UIDs open nothing
    secure_only_without_secure: int  # ... and who hold no active secure badge
    refusals: dict[Reason, int]  # the policy's denials since the day asked (SECURE_REASONS)


def badge_figures(
    db: Connection, since: dt.datetime | None = None, site: str | None = None
) -> BadgeFigures:
    """The figures, the refusals counted from `since` (None: every event held) at `site`
    (None: every site the database holds events of)."""
    active = (
        select(Badge.kind, Badge.member_id)
        .join(Member, Member.id == Badge.member_id)
        .where(live(Badge), live(Member), Badge.status == BadgeStatus.ACTIVE)
    ).subquery()
    counted = {
        kind: (badges, holders)
        for kind, badges, holders in db.execute(
            select(active.c.kind, func.count(), func.count(active.c.member_id.distinct())).group_by(
                active.c.kind
            )
        )
    }
    kinds = tuple(KindCount(k.value, *counted.get(k.value, (0, 0))) for k in CredentialKind)
    secure_holders = select(active.c.member_id).where(active.c.kind == CredentialKind.SECURE)
    careful = select(func.count()).where(live(Member), Member.secure_only.is_(True))
    stranded = careful.where(Member.id.not_in(secure_holders))
    return BadgeFigures(
        kinds,
        db.execute(careful).scalar_one(),
        db.execute(stranded).scalar_one(),
        _refusals(db, since, site),
    )


def _refusals(db: Connection, since: dt.datetime | None, site: str | None) -> dict[Reason, int]:
    query = (
        select(AccessEvent.reason, func.count())
        .where(
            AccessEvent.type == EventType.DENIED,
            AccessEvent.reason.in_([r.value for r in SECURE_REASONS]),
        )
        .group_by(AccessEvent.reason)
    )
    if since is not None:
        query = query.where(AccessEvent.at >= since)
    if site is not None:
        query = query.where(AccessEvent.site_id == site)
    found = {str(reason): count for reason, count in db.execute(query)}
    return {reason: found.get(reason.value, 0) for reason in SECURE_REASONS}
