"""Finding people in central's registry, and what one person's page shows.

A search is index-backed whatever it asks (migration 0019): a name or email is a
prefix range on lower(column) (COLLATE "C" on PostgreSQL, byte order on SQLite), a
commune an equality, a badge the keyed hash of the typed UID (central holds the
site badge key, as the kiosk does) looked up by its unique index. SQLite's and a
"C" PostgreSQL's lower() fold ASCII only, so a prefix is tried as typed, in lower
case and capitalised: "élodie" finds "Élodie".
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from station.credential import Credential
from station.db import Badge, Member, Membership, MemberTraining, Visit
from station.db.live import live, live_get, live_rows

PAGE_SIZE = 25
_TOP = "\U0010ffff"  # above every character: prefix P spans [P, P + _TOP)
_COMMUNE = re.compile(r"(?:\d{5}|2[AB]\d{3})")  # an INSEE code (Corsica: 2A, 2B)
_UID_BYTES = (4, 7, 10)  # ISO 14443 UIDs


@dataclass(frozen=True)
class SearchPage:
    members: list[Member]
    total: int
    page: int
    pages: int


def search(
    session: Session, text: str, badge_key: bytes, page: int = 1, size: int = PAGE_SIZE
) -> SearchPage:
    """Live people matching `text` by name, email, commune or badge UID, by name."""
    criterion = _criterion(session, text.strip(), badge_key)
    if criterion is None:
        return SearchPage([], 0, 1, 1)
    matching = select(Member.id).where(live(Member), criterion)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = session.scalars(
        select(Member)
        .where(live(Member), criterion)
        .order_by(Member.last_name, Member.first_name, Member.id)
        .offset((page - 1) * size)
        .limit(size)
    )
    return SearchPage(list(rows), total, page, pages)


def _criterion(session: Session, text: str, badge_key: bytes) -> ColumnElement[bool] | None:
    if not text:
        return None
    collate = session.get_bind().dialect.name == "postgresql"
    words = text.split()
    first, last = Member.first_name, Member.last_name
    found: list[ColumnElement[bool]] = [_prefix(Member.email, text, collate)]
    if len(words) == 1:
        found += [_prefix(first, text, collate), _prefix(last, text, collate)]
    else:  # "Camille Martin" or "Martin Camille"; "Jean de la Tour" too
        # One disjunct per variant of the first column's range, the other column a filter:
        # an OR nested in an AND would make SQLite scan the table.
        for first_text, last_text in (
            (words[0], " ".join(words[1:])),
            (words[-1], " ".join(words[:-1])),
        ):
            found += [
                and_(start, _prefix(last, last_text, collate))
                for start in _ranges(first, first_text, collate)
            ]
    if _COMMUNE.fullmatch(text.upper()):
        found.append(Member.home_commune == text.upper())
    badge_hash = _badge_hash(text, badge_key)
    if badge_hash is not None:
        # The holder looked up first: an IN (subquery) among the ranges would make
        # PostgreSQL scan every person (a hashed subplan is no index condition).
        holder = select(Badge.member_id).where(Badge.hash == badge_hash, live(Badge))
        holders = list(session.scalars(holder))
        if holders:
            found.append(Member.id.in_(holders))
    return or_(*found)


def _prefix(column: Any, text: str, collate: bool) -> ColumnElement[bool]:
    return or_(*_ranges(column, text, collate))


def _ranges(column: Any, text: str, collate: bool) -> list[ColumnElement[bool]]:
    """The index ranges of `column`'s values starting with `text`, one per spelling."""
    key: ColumnElement[str] = func.lower(column)
    if collate:
        key = key.collate("C")
    variants = {text, text.lower(), text[:1].upper() + text[1:].lower()}
    return [
        and_(key >= func.lower(literal(v)), key < func.lower(literal(v + _TOP)))
        for v in sorted(variants)
    ]


def _badge_hash(text: str, badge_key: bytes) -> str | None:
    """The keyed hash of `text` read as a 4, 7 or 10-byte UID in hex, else None."""
    try:
        credential = Credential.uid(text)
    except ValueError:
        return None
    if len(credential.value) not in _UID_BYTES:
        return None
    return credential.keyed_hash(badge_key)


@dataclass(frozen=True)
class MemberPage:
    member: Member
    memberships: list[Membership]
    badges: list[Badge]
    trainings: list[MemberTraining]
    visits: list[Visit]


def member_page(session: Session, member_id: uuid.UUID, visits: int = 20) -> MemberPage | None:
    """A live person with their memberships, badges, trainings and last visits."""
    member = live_get(session, Member, member_id)
    if member is None:
        return None
    last_visits = session.scalars(
        select(Visit)
        .where(Visit.member_id == member.id)
        .order_by(Visit.checked_in_at.desc())
        .limit(visits)
    )
    return MemberPage(
        member=member,
        memberships=sorted(live_rows(member.memberships), key=lambda m: m.valid_from, reverse=True),
        badges=sorted(live_rows(member.badges), key=lambda b: b.enrolled_at),
        trainings=sorted(live_rows(member.trainings), key=lambda t: t.training_code),
        visits=list(last_visits),
    )
