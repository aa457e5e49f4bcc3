"""Central's refusals as staff see them, and the records that look like one person.

The refusals are `station.db.refusals.CentralRefusal` rows, written by `sync.up`. The
candidates for merging (`station.merge`) are the pairs an open refusal names (a badge
refused because another record of hers holds it) and the live records sharing one
email, whatever its case.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from station.db import Member
from station.db.live import live
from station.db.lowered import lowered
from station.db.refusals import CentralRefusal, RefusalReason
from station.errors import NotFound

LIST_LIMIT = 200
# Refusals naming two records that may be one person: merging them answers it.
MERGEABLE = frozenset({RefusalReason.BADGE_HELD})


class Why(enum.StrEnum):
    """Why two records are offered for merging."""

    REFUSAL = "refusal"
    SAME_EMAIL = "same_email"


@dataclass(frozen=True)
class Shown:
    refusal: CentralRefusal
    member: Member | None  # live, else None
    other: Member | None

    @property
    def mergeable(self) -> bool:
        return (
            self.refusal.reason in MERGEABLE
            and self.member is not None
            and self.other is not None
            and self.member.id != self.other.id
        )


@dataclass(frozen=True)
class Candidate:
    kept: Member  # the one proposed to keep (the badge's holder, or the older record)
    gone: Member
    why: Why


def _open(site_id: str | None) -> list[ColumnElement[bool]]:
    criteria: list[ColumnElement[bool]] = [
        live(CentralRefusal),
        CentralRefusal.resolved_at.is_(None),
    ]
    if site_id is not None:
        criteria.append(CentralRefusal.site_id == site_id)
    return criteria


def open_count(session: Session, site_id: str | None) -> int:
    """Open refusals of a site (every site: None). At a site, those that came down."""
    query = select(func.count()).select_from(CentralRefusal).where(*_open(site_id))
    return session.scalar(query) or 0


def open_refusals(session: Session, site_id: str | None, limit: int = LIST_LIMIT) -> list[Shown]:
    """The newest open refusals first, each with the live people it names."""
    refusals = list(
        session.scalars(
            select(CentralRefusal)
            .where(*_open(site_id))
            .order_by(CentralRefusal.at.desc(), CentralRefusal.id)
            .limit(limit)
        )
    )
    people = _live(session, (i for r in refusals for i in (r.member_id, r.other_member_id)))
    return [Shown(r, _get(people, r.member_id), _get(people, r.other_member_id)) for r in refusals]


def _get(people: dict[uuid.UUID, Member], key: uuid.UUID | None) -> Member | None:
    return people.get(key) if key is not None else None


def _live(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Member]:
    wanted = list({i for i in ids if i is not None})
    if not wanted:
        return {}
    found = session.scalars(select(Member).where(Member.id.in_(wanted), live(Member)))
    return {m.id: m for m in found}


def resolve_by_hand(session: Session, refusal_id: uuid.UUID, now: dt.datetime) -> CentralRefusal:
    """Mark an open refusal dealt with (the staff did what the console said)."""
    refusal = session.get(CentralRefusal, refusal_id)
    if refusal is None or refusal.deleted_at is not None or refusal.resolved_at is not None:
        raise NotFound("no open refusal with this id")
    refusal.resolved_at = now
    session.flush()
    return refusal


def candidates(
    session: Session, site_id: str | None, limit: int = 50, *, emails: bool = False
) -> list[Candidate]:
    """Pairs to merge: those named by open refusals (of `site_id`, or every site), then,
    with `emails` and for every site only, live records sharing an email. That search
    reads every record's email (an index scan: some 50-100 ms with 100,000 people), so
    it runs when asked, not with every list of refusals."""
    found = [
        Candidate(shown.other, shown.member, Why.REFUSAL)
        for shown in open_refusals(session, site_id, limit)
        if shown.mergeable and shown.member is not None and shown.other is not None
    ]
    if emails and site_id is None:
        found += _same_email(session, limit)
    seen: set[frozenset[uuid.UUID]] = set()
    unique = []
    for candidate in found:
        key = frozenset((candidate.kept.id, candidate.gone.id))
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique[:limit]


def _same_email(session: Session, limit: int) -> list[Candidate]:
    key = lowered(session, Member.email)
    shared = list(
        session.scalars(
            select(key)
            .where(live(Member), Member.email.is_not(None))
            .group_by(key)
            .having(func.count() > 1)
            .order_by(key)
            .limit(limit)
        )
    )
    if not shared:
        return []
    people = session.scalars(
        select(Member)
        .where(live(Member), key.in_(shared))
        .order_by(key, Member.created_at, Member.id)
    )
    groups: dict[str, list[Member]] = {}
    for person in people:
        groups.setdefault((person.email or "").lower(), []).append(person)
    return [
        Candidate(group[0], other, Why.SAME_EMAIL)
        for group in groups.values()
        for other in group[1:]
    ]


def named_by_open_refusal(
    session: Session, one: uuid.UUID, other: uuid.UUID, site_id: str | None
) -> bool:
    """Whether an open refusal (of `site_id`, if given) names these two records."""
    pair = {one, other}
    return any(
        {c.kept.id, c.gone.id} == pair
        for c in candidates(session, site_id, LIST_LIMIT)
        if c.why is Why.REFUSAL
    )


def purge_resolved(session: Session, before: dt.datetime, now: dt.datetime) -> int:
    """Resolved refusals dealt with before `before` (the retention period), emptied
    of what names anyone (central's words, the row's and the people's ids) and
    tombstoned, through the ORM so that central's flush gives each a revision and the
    sites' copies go too. How many."""
    resolved = session.scalars(
        select(CentralRefusal).where(live(CentralRefusal), CentralRefusal.resolved_at < before)
    ).all()
    for refusal in resolved:
        refusal.detail = ""
        refusal.entity_id = ""
        refusal.member_id = refusal.other_member_id = None
        refusal.deleted_at = now
    session.flush()
    return len(resolved)
