"""Who of a sheet is already in the registry, and whose badges are held: a few
queries for the whole sheet (chunks of IN lists), never one per row.

A person is already there when a live member has the same email (case aside); one
without an email, when a live member has the same first and last names (case and
accents as typed, in NFC) and the same home commune. SQLite's lower() folds ASCII
only and PostgreSQL's the whole alphabet, so names and emails are looked up in both
lowerings (`lowerings`) and compared after in Python with casefold().
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from station.db import Badge, BadgeStatus, Member
from station.db.live import live
from station.db.lowered import lowered, lowerings

CHUNK = 500  # well under every database's limit of bound parameters
T = TypeVar("T")


def person_key(first_name: str, last_name: str, commune: str | None) -> tuple[str, str, str]:
    return (first_name.casefold(), last_name.casefold(), commune or "")


def email_holders(session: Session, emails: Iterable[str]) -> dict[str, uuid.UUID]:
    """{casefolded email: member id} of the live members holding any of `emails`."""
    found: dict[str, uuid.UUID] = {}
    for chunk in _chunks(sorted(set(emails))):
        rows = session.execute(
            select(Member.id, Member.email).where(
                live(Member), lowered(session, Member.email).in_(lowerings(chunk))
            )
        )
        for member_id, email in rows:
            found.setdefault((email or "").casefold(), member_id)
    return found


def namesakes(
    session: Session, people: Iterable[tuple[str, str, str | None]]
) -> dict[tuple[str, str, str], uuid.UUID]:
    """{person_key: member id} of the live members with the names and commune of any of
    `people` (first name, last name, commune)."""
    typed = sorted({(first, last) for first, last, _ in people})
    wanted = {person_key(*p) for p in people}
    found: dict[tuple[str, str, str], uuid.UUID] = {}
    # Each pair of names, not every first name with every last name: by last name alone,
    # 300 people of a sheet brought back 10,640 of 100,000 members (every Martin).
    for chunk in _chunks(typed, CHUNK // 2):
        rows = session.execute(same_names(session, chunk))
        for member_id, first, last, commune in rows:
            key = person_key(first, last, commune)
            if key in wanted:
                found.setdefault(key, member_id)
    return found


def same_names(
    session: Session, names: Iterable[tuple[str, str]]
) -> Select[uuid.UUID, str, str, str | None]:
    """The live members named (first name, last name) as any of `names`, by lowered text:
    one probe of the index on both (migration 0032) per pair."""
    lowered_names = (lowered(session, Member.last_name), lowered(session, Member.first_name))
    pairs = [
        (last_form, first_form)
        for first, last in names
        for last_form in lowerings([last])
        for first_form in lowerings([first])
    ]
    return select(Member.id, Member.first_name, Member.last_name, Member.home_commune).where(
        live(Member), tuple_(*lowered_names).in_(pairs)
    )


def badge_holders(session: Session, hashes: Iterable[str]) -> dict[str, uuid.UUID]:
    """{badge hash: member id} of the live active badges among `hashes`."""
    found: dict[str, uuid.UUID] = {}
    for chunk in _chunks(sorted(set(hashes))):
        rows = session.execute(
            select(Badge.hash, Badge.member_id).where(
                live(Badge), Badge.status == BadgeStatus.ACTIVE, Badge.hash.in_(chunk)
            )
        )
        found.update({badge_hash: member_id for badge_hash, member_id in rows})
    return found


def _chunks(values: Sequence[T], size: int = CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])
