"""Who may change what of a person's record (docs/console.md, "People: what each role
may change").

People are the community's, not a site's: one registry, a badge that opens every site
the plan allows, people who use several sites. So the everyday writes (create, correct,
renew, badges, export, skills and companies) are open to the staff of any site, for
anyone, and the audit log says who did it from which site. Two writes reach further
than the desk: a staff PIN opens the kiosks' staff mode, and forgetting erases a
person at every site for good. For those, a site manager acts only on the people of
their own site (the site the person was registered for, `Member.origin_site`); people
registered at central, or at another site, are the administrator's or that site's
manager's.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from station.db import Member, MemberKind
from station.db.staff import Role, StaffAccount


class Write(enum.StrEnum):
    CREATE = "create"
    CORRECT = "correct"
    RENEW = "renew"
    BADGES = "badges"
    TRAININGS = "trainings"
    PIN = "pin"
    EXPORT = "export"
    FORGET = "forget"
    OUTCOMES = "outcomes"


_DESK = (Role.MANAGER, Role.RECEPTION)
# Besides the administrator, who passes everywhere (console.guard.allowed).
ROLES: Mapping[Write, tuple[Role, ...]] = {
    Write.CREATE: _DESK,
    Write.CORRECT: _DESK,
    Write.RENEW: _DESK,
    Write.BADGES: _DESK,
    Write.EXPORT: _DESK,
    Write.TRAININGS: (Role.MANAGER, Role.FABMANAGER),
    Write.OUTCOMES: (Role.MANAGER, Role.RECEPTION, Role.FABMANAGER),
    Write.PIN: (Role.MANAGER,),
    Write.FORGET: (Role.MANAGER,),
}
# A site manager does these only for the people of their own site.
OWN_SITE_ONLY = frozenset({Write.PIN, Write.FORGET})
# Staff pass every door at any hour (station.rules): only a manager makes someone staff.
STAFF_MAKERS = frozenset({Role.ADMIN, Role.MANAGER})


def may(account: StaffAccount, write: Write, member: Member | None = None) -> bool:
    """Whether `account` may do `write` (to `member`, when it names one)."""
    if account.role is Role.ADMIN:
        return True
    if account.role not in ROLES[write]:
        return False
    if write in OWN_SITE_ONLY and member is not None:
        return member.origin_site is not None and member.origin_site == account.site_id
    return True


def kinds(account: StaffAccount) -> list[MemberKind]:
    """The kinds of person `account` may give someone."""
    if account.role in STAFF_MAKERS:
        return list(MemberKind)
    return [k for k in MemberKind if k is not MemberKind.STAFF]


def may_create(account: StaffAccount) -> bool:
    return may(account, Write.CREATE)


def writes(account: StaffAccount, member: Member) -> set[Write]:
    """Everything `account` may do to `member` (the links the person's page shows)."""
    return {w for w in Write if w is not Write.CREATE and may(account, w, member)}
