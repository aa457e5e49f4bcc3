"""A person's identity written by staff: created, or corrected after the fact.

The console (and any other writer of a person's record) gives the identity as typed;
every field goes through `station.fields`' rules, the commune through the territory's
list, the birth year through `station.ages`, and the email must not be another live
person's (`registry.email_holder`). Every refusal of a form is collected at once
(`RecordRefused.refusals`), each naming its field and rule, so that a page can show
each one next to its field.

At central the session assigns each change its revision (`sync.central.sessions`):
that is what carries it down to every site. At a site, pass `origin_site`: the row
is then marked for upload (`dirty`), as `station.registry` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields

from sqlalchemy.orm import Session

from station import registry
from station.ages import birth_year_problem
from station.communes import OTHER_COMMUNE, is_known
from station.db import Member, MemberKind
from station.errors import InvalidInput
from station.fields import Field, FieldRefused, Rule, clean_email, clean_text
from station.memberships import renew_membership


@dataclass(frozen=True)
class Identity:
    """What staff type of a person: names, email, commune, birth year."""

    first_name: str
    last_name: str = ""
    email: str | None = None
    home_commune: str | None = None
    birth_year: int | None = None


class RecordRefused(InvalidInput):
    """One or more fields of a form break a rule; `refusals` names each."""

    def __init__(self, refusals: list[FieldRefused]) -> None:
        super().__init__("; ".join(str(r) for r in refusals))
        self.refusals = refusals


def check_commune(code: str | None) -> str | None:
    """An INSEE code of the territory, `OTHER_COMMUNE`, or None for not given."""
    code = (code or "").strip().upper() or None
    if code is not None and not is_known(code):
        raise FieldRefused(
            Field.HOME_COMMUNE,
            Rule.UNKNOWN_COMMUNE,
            f"unknown commune {code!r}; expected the INSEE code of a commune of the "
            f"territory, or {OTHER_COMMUNE} for elsewhere",
        )
    return code


def check_birth_year(year: int | None, today: dt.date) -> int | None:
    problem = birth_year_problem(year, today)
    if problem is not None:
        raise FieldRefused(Field.BIRTH_YEAR, Rule.BIRTH_YEAR, f"expected {problem}")
    return year


def check_email_free(session: Session, email: str | None, member: Member | None = None) -> None:
    """Refused when another live person than `member` already has `email`."""
    if email is None:
        return
    holder = registry.email_holder(session, email)
    if holder is not None and (member is None or holder.id != member.id):
        raise FieldRefused(
            Field.EMAIL,
            Rule.EMAIL_TAKEN,
            f"{email} is already the email of {holder.display_name} ({str(holder.id)[:8]})",
        )


def checked_identity(
    session: Session,
    identity: Identity,
    *,
    today: dt.date,
    member: Member | None = None,
    refused: list[FieldRefused] | None = None,
) -> Identity:
    """`identity` cleaned (NFC, stripped), or `RecordRefused` naming every field refused
    (with `refused`, the caller's own, such as a birth year that is not a number)."""
    refusals = list(refused or [])
    known = {r.field for r in refusals}
    cleaned: dict[str, object] = {}
    checks: dict[Field, Callable[[], object]] = {
        Field.FIRST_NAME: lambda: clean_text(Field.FIRST_NAME, identity.first_name, required=True),
        Field.LAST_NAME: lambda: clean_text(Field.LAST_NAME, identity.last_name),
        Field.EMAIL: lambda: _free_email(session, identity.email, member),
        Field.HOME_COMMUNE: lambda: check_commune(identity.home_commune),
        Field.BIRTH_YEAR: lambda: check_birth_year(identity.birth_year, today),
    }
    for field, check in checks.items():
        if field in known:
            continue
        try:
            cleaned[field.value] = check()
        except FieldRefused as refusal:
            refusals.append(refusal)
    if refusals:
        raise RecordRefused(refusals)
    return Identity(**cleaned)  # type: ignore[arg-type]


def _free_email(session: Session, email: str | None, member: Member | None) -> str | None:
    cleaned = clean_email(email)
    check_email_free(session, cleaned, member)
    return cleaned


def create_member(
    session: Session,
    identity: Identity,
    *,
    kind: MemberKind,
    consent_at: dt.datetime | None,
    today: dt.date,
    plan: str | None,
    until: dt.date | None,
    default_days: Callable[[str], int],
    default_plan: str,
    created_for: str | None = None,
) -> Member:
    """A new person at central, with a membership of `plan` (None: no membership)
    from today until `until` (None: the plan's length, `default_days`).

    `created_for` names the site the person was registered for: a row's `origin_site`
    says which site created it, and a console account of a site creates in its name.
    The row is central's own all the same (not `dirty`: that is a site's upload mark).
    """
    person = checked_identity(session, identity, today=today)
    member = registry.add_member(
        session,
        person.first_name,
        person.last_name,
        kind=kind,
        email=person.email,
        home_commune=person.home_commune,
        birth_year=person.birth_year,
        consent_at=consent_at,
        today=today,
    )
    member.origin_site = created_for
    if plan is not None:
        renew_membership(
            session,
            member,
            today=today,
            plan=plan,
            until=until,
            default_days=default_days,
            default_plan=default_plan,
        )
    session.flush()
    return member


def update_member(
    session: Session,
    member: Member,
    identity: Identity,
    *,
    today: dt.date,
    kind: MemberKind | None = None,
    origin_site: str | None = None,
    refused: list[FieldRefused] | None = None,
) -> dict[str, tuple[object, object]]:
    """Correct `member`'s identity (and kind, if given); returns what changed, as
    {field: (before, after)} (empty: nothing to write, and nothing written). `refused`:
    the caller's own refusals, said with the others (see `checked_identity`)."""
    person = checked_identity(session, identity, today=today, member=member, refused=refused)
    changes: dict[str, tuple[object, object]] = {}
    for item in fields(Identity):
        before, after = getattr(member, item.name), getattr(person, item.name)
        if before != after:
            changes[item.name] = (before, after)
            setattr(member, item.name, after)
    if kind is not None and kind is not member.kind:
        changes["kind"] = (member.kind.value, kind.value)
        member.kind = kind
    if changes:
        member.dirty = member.dirty or origin_site is not None
        session.flush()
    return changes
