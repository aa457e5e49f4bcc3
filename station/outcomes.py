"""The operator's measures of return that staff record by hand: the digital skills a
person gained (from the configured catalogue, `[skills]`) and the companies members
created (with their SIREN and the offer that hosted them).

Both are history rows of the site that records them (`site_id`), kept when the person
is forgotten (`station.privacy.forget` only unlinks them): a skill gained or a company
created stays a figure of the site. `station report skills|companies` counts them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db import Company, Member, SkillRecord
from station.errors import Conflict, InvalidInput
from station.fields import Field, clean_text

SIREN_LENGTH = 9


class UnknownSkill(InvalidInput):
    """The skill is not one of the catalogue's."""


class InvalidSiren(InvalidInput):
    """Not a SIREN: not 9 digits, or its Luhn key does not match."""


class UnknownOffer(InvalidInput):
    """The offer named is not a configured purpose."""


def check_siren(text: str) -> str:
    """The SIREN as 9 digits (spaces, as printed on a Kbis, allowed), or `InvalidSiren`
    saying what is wrong. Its last digit is a Luhn key: a typo in one digit, or two
    neighbours swapped, is caught here rather than counted."""
    siren = "".join(text.split())
    wrong = sorted({c for c in siren if not (c.isascii() and c.isdigit())})
    if wrong:
        raise InvalidSiren(
            f"SIREN {text!r} has characters other than digits ({' '.join(wrong)}); "
            f"expected {SIREN_LENGTH} digits"
        )
    if len(siren) != SIREN_LENGTH:
        raise InvalidSiren(
            f"SIREN {text!r} has {len(siren)} digits; expected {SIREN_LENGTH} digits"
        )
    if luhn_sum(siren) % 10:
        raise InvalidSiren(
            f"SIREN {siren}: its key (the last digit) does not match the other eight "
            f"(Luhn check); expected a SIREN as printed on the Kbis or the INSEE notice"
        )
    return siren


def luhn_sum(digits: str) -> int:
    """The Luhn sum: every second digit from the right doubled (9 taken off above 9)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total


def record_skill(
    session: Session,
    member: Member,
    skill: str,
    *,
    catalogue: Collection[str],
    site_id: str,
    on: dt.date,
    by: str = "",
) -> SkillRecord:
    """Record that `member` gained `skill` (a code of `catalogue`) on the day `on`.
    A skill is gained once: recording it again is refused, so that it counts once."""
    if skill not in catalogue:
        raise UnknownSkill(
            f"unknown skill {skill!r}; expected one of [skills]: "
            f"{', '.join(sorted(catalogue)) or 'none declared'}"
        )
    held = session.scalar(
        select(SkillRecord).where(SkillRecord.member_id == member.id, SkillRecord.skill == skill)
    )
    if held is not None:
        raise Conflict(
            f"{member.display_name} already has {skill} (recorded on {held.recorded_on} "
            f"at {held.site_id})"
        )
    record = SkillRecord(
        member_id=member.id, skill=skill, recorded_on=on, recorded_by=by, site_id=site_id
    )
    session.add(record)
    session.flush()
    return record


def record_company(
    session: Session,
    member: Member,
    *,
    name: str,
    siren: str,
    created_on: dt.date,
    offer: str,
    offers: Collection[str],
    site_id: str,
    now: dt.datetime,
) -> Company:
    """Record the company `member` created: its SIREN checked, `offer` one of `offers`
    (the configured purposes), its creation day not after today (`now`'s date, in
    `now`'s zone: pass the site's local time). A SIREN is counted once, whoever
    records it."""
    checked = check_siren(siren)
    if offer not in offers:
        raise UnknownOffer(
            f"unknown offer {offer!r}; expected a purpose of [[purposes]]: "
            f"{', '.join(offers) or 'none declared'}"
        )
    name = clean_text(Field.COMPANY_NAME, name, required=True)
    if created_on > now.date():
        raise InvalidInput(f"--created {created_on} is in the future; expected the Kbis date")
    known = session.scalar(select(Company).where(Company.siren == checked))
    if known is not None:
        raise Conflict(f"SIREN {checked} is already recorded ({known.name}, {known.site_id})")
    company = Company(
        member_id=member.id,
        name=name,
        siren=checked,
        created_on=created_on,
        offer=offer,
        site_id=site_id,
        recorded_at=now,
    )
    session.add(company)
    session.flush()
    return company
