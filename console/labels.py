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

from station.credential import CredentialKind
from station.db import BadgeStatus, MemberKind
from station.db.command_requests import RequestState
from station.db.refusals import RefusalReason
from station.db.staff import AuditAction, Role
from station.protocol.vocabulary import Command

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
    AuditAction.MEMBER_CREATED: "personne inscrite",
    AuditAction.MEMBER_CORRECTED: "fiche corrigée",
    AuditAction.MEMBERSHIP_RENEWED: "adhésion renouvelée",
    AuditAction.BADGE_ENROLLED: "badge enrôlé",
    AuditAction.BADGE_REVOKED: "badge révoqué",
    AuditAction.TRAINING_GRANTED: "formation accordée",
    AuditAction.TRAINING_REVOKED: "formation retirée",
    AuditAction.STAFF_PIN_SET: "code équipe défini",
    AuditAction.STAFF_PIN_CLEARED: "code équipe effacé",
    AuditAction.MEMBER_EXPORTED: "données exportées",
    AuditAction.MEMBER_FORGOTTEN: "personne effacée",
    AuditAction.SKILL_RECORDED: "compétence enregistrée",
    AuditAction.COMPANY_RECORDED: "entreprise enregistrée",
    AuditAction.MEMBER_MERGED: "fiches fusionnées",
    AuditAction.REFUSAL_RESOLVED: "refus réglé",
    AuditAction.COMMAND_REQUESTED: "commande demandée",
    AuditAction.CHECKOUT_REQUESTED: "sortie demandée depuis le bureau",
    AuditAction.IMPORT: "personnes importées d'un fichier",
    AuditAction.IMPORT_UPLOADED: "fichier à importer déposé",
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

# What a badge presents (docs/agent.md, "Secure badges: policy").
CREDENTIAL_KINDS: Mapping[CredentialKind, str] = {
    CredentialKind.UID: "UID simple (copiable)",
    CredentialKind.SECURE: "sécurisé (DESFire)",
}

COMMANDS: Mapping[Command, str] = {
    Command.UNLOCK_ONCE: "ouvrir une fois",
    Command.LOCK: "verrouiller",
    Command.HOLD_OPEN: "maintenir ouverte",
    Command.LOCKDOWN: "confinement",
    Command.RELEASE: "retour au mode normal",
    Command.END_SESSION: "terminer la session",
    Command.POWER_OFF: "couper",
    Command.REFRESH_STATUS: "actualiser l'état",
    Command.BLOCK: "bloquer",
    Command.UNBLOCK: "débloquer",
    Command.CLEAR_CHECK: "marquer vérifiée",
}

REQUEST_STATES: Mapping[RequestState, str] = {
    RequestState.PENDING: "en attente du site",
    RequestState.SENT: "envoyée",
    RequestState.DONE: "faite",
    RequestState.FAILED: "refusée",
    RequestState.EXPIRED: "expirée",
}

# Why central refused a site's row (console/refusals.py says what to do about each).
REFUSAL_REASONS: Mapping[RefusalReason, str] = {
    RefusalReason.BADGE_HELD: "badge déjà attribué à une autre fiche",
    RefusalReason.BADGE_ENROLLED: "badge déjà enrôlé pour cette personne",
    RefusalReason.TRAINING_HELD: "formation déjà enregistrée",
    RefusalReason.CHANGED_AT_CENTRAL: "modifiée au registre entre-temps",
    RefusalReason.INVALID: "refusée par la base",
    RefusalReason.FIELD_RULE: "une valeur enfreint une règle des fiches",
}

# Every table, by the enum it labels (the i18n test walks them all).
TABLES: Mapping[type[enum.Enum], Mapping[Any, str]] = {
    Role: ROLES,
    AuditAction: AUDIT_ACTIONS,
    MemberKind: MEMBER_KINDS,
    BadgeStatus: BADGE_STATUSES,
    CredentialKind: CREDENTIAL_KINDS,
    RefusalReason: REFUSAL_REASONS,
    Command: COMMANDS,
    RequestState: REQUEST_STATES,
}


def french(value: enum.Enum) -> str:
    """The French label of `value`, or its code if it has none yet."""
    table = TABLES.get(type(value), {})
    return table.get(value, str(value.value))
