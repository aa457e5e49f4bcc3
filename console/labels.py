"""What the console shows for the values of its enums: a French label per member.

A role, an audit action, a kind of person or a badge's state is stored as a code
(`reception`, `login_failed`); people read a French label, translated like any other
string (`console/lang/en/labels.toml`). Pages call `label(value)` in templates (see
`console.guard.Page.render`), which returns the label in the page's language. A member
added to one of these enums needs its label here: tests/console/test_i18n.py names
every one that lacks it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

from station.db import BadgeStatus, MemberKind
from station.db.staff import AuditAction, Role

ROLES: Mapping[Role, str] = {
    Role.ADMIN: "administration",
    Role.MANAGER: "responsable de site",
    Role.FABMANAGER: "fabmanager",
    Role.RECEPTION: "accueil",
}

AUDIT_ACTIONS: Mapping[AuditAction, str] = {
    AuditAction.LOGIN: "connexion",
    AuditAction.LOGIN_FAILED: "connexion refusée",
    AuditAction.LOGIN_THROTTLED: "connexion bloquée (trop d'essais)",
    AuditAction.LOGOUT: "déconnexion",
    AuditAction.ACCOUNT_CREATED: "compte créé",
    AuditAction.ACCOUNT_DISABLED: "compte désactivé",
}

MEMBER_KINDS: Mapping[MemberKind, str] = {
    MemberKind.MEMBER: "adhérent",
    MemberKind.VISITOR: "visiteur",
    MemberKind.STAFF: "équipe",
}

BADGE_STATUSES: Mapping[BadgeStatus, str] = {
    BadgeStatus.ACTIVE: "actif",
    BadgeStatus.REVOKED: "révoqué",
    BadgeStatus.LOST: "perdu",
}

# Every table, by the enum it labels (the i18n test walks them all).
TABLES: Mapping[type[enum.Enum], Mapping[Any, str]] = {
    Role: ROLES,
    AuditAction: AUDIT_ACTIONS,
    MemberKind: MEMBER_KINDS,
    BadgeStatus: BADGE_STATUSES,
}


def french(value: enum.Enum) -> str:
    """The French label of `value`, or its code if it has none yet."""
    table = TABLES.get(type(value), {})
    return table.get(value, str(value.value))
