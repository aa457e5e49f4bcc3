"""Who of a sheet is already in the registry, and whose badges are held: a few
queries for the whole sheet (chunks of IN lists), never one per row.

A person is already there when a live member has the same email (case aside); one
without an email, when a live member has the same first and last names (case and
accents as typed, in NFC) and the same home commune. SQLite's lower() folds ASCII
only, so emails are looked up by their ASCII-lowered text and compared after in
Python with casefold().
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db import Badge, BadgeStatus, Member
from station.db.live import live
from station.db.lowered import lowered

CHUNK = 500  # well under every database's limit of bound parameters


def ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def person_key(first_name: str, last_name: str, commune: str | None) -> tuple[str, str, str]:
    return (first_name.casefold(), last_name.casefold(), commune or "")


def email_holders(session: Session, emails: Iterable[str]) -> dict[str, uuid.UUID]:
    """{casefolded email: member id} of the live members holding any of `emails`."""
    wanted = {ascii_lower(e) for e in emails}
    found: dict[str, uuid.UUID] = {}
    for chunk in _chunks(sorted(wanted)):
        rows = session.execute(
            select(Member.id, Member.email).where(
                live(Member), lowered(session, Member.email).in_(chunk)
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
    wanted = {person_key(*p) for p in people}
    last_names = {ascii_lower(last) for _, last, _ in wanted}
    found: dict[tuple[str, str, str], uuid.UUID] = {}
    for chunk in _chunks(sorted(last_names)):
        rows = session.execute(
            select(Member.id, Member.first_name, Member.last_name, Member.home_commune).where(
                live(Member), lowered(session, Member.last_name).in_(chunk)
            )
        )
        for member_id, first, last, commune in rows:
            key = person_key(first, last, commune)
            if key in wanted:
                found.setdefault(key, member_id)
    return found


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


def _chunks(values: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield list(values[start : start + CHUNK])
