"""The staff console's tables at central: accounts, the audit log, the signing secret.

They live at central only in use (the same migrations create them, empty, at every
site), are never replicated, and a site's database role at central gets no right on
them (sync.rights grants named tables): a site never reads a staff password hash.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Enum, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base
from station.db.types import utcnow
from station.ids import new_event_id, new_id


class Role(enum.StrEnum):
    """What a staff account may do (docs/console.md says it page by page)."""

    ADMIN = "admin"  # everything, every site
    MANAGER = "manager"  # their site
    FABMANAGER = "fabmanager"  # trainings, machines, sessions
    RECEPTION = "reception"  # people, badges, check-in and check-out, who is in


# A manager and a reception account belong to one site; the others to all of them.
SITE_ROLES = frozenset({Role.MANAGER, Role.RECEPTION})


class AuditAction(enum.StrEnum):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGIN_THROTTLED = "login_throttled"  # refused unchecked: too many failures
    LOGOUT = "logout"
    ACCOUNT_CREATED = "account_created"
    ACCOUNT_DISABLED = "account_disabled"
    # A person's record written from the console (console/people_*.py).
    MEMBER_CREATED = "member_created"
    MEMBER_CORRECTED = "member_corrected"
    MEMBERSHIP_RENEWED = "membership_renewed"
    BADGE_ENROLLED = "badge_enrolled"
    BADGE_REVOKED = "badge_revoked"
    TRAINING_GRANTED = "training_granted"
    TRAINING_REVOKED = "training_revoked"
    STAFF_PIN_SET = "staff_pin_set"
    STAFF_PIN_CLEARED = "staff_pin_cleared"
    MEMBER_EXPORTED = "member_exported"
    MEMBER_FORGOTTEN = "member_forgotten"
    SKILL_RECORDED = "skill_recorded"
    COMPANY_RECORDED = "company_recorded"
    IMPORT = "import"  # people created from a CSV file (station.importer)
    IMPORT_UPLOADED = "import_uploaded"  # a CSV file kept for its preview (not yet imported)
    COMMAND_REQUESTED = "command_requested"  # a command from the office (console/commands.py)
    MEMBER_MERGED = "member_merged"  # two records of one person made one (console/merge.py)
    REFUSAL_RESOLVED = "refusal_resolved"  # a refusal of central marked dealt with
    CHECKOUT_REQUESTED = "checkout_requested"  # from the live site page (console/sites.py)


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lowercased
    password_hash: Mapped[str] = mapped_column(String(128))  # argon2id
    role: Mapped[Role] = mapped_column(_enum(Role))
    site_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # In the session cookie: bumping it (disable, logout) ends every session at once,
    # on every instance, with nothing kept outside this row.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class AuditEntry(Base):
    """Who did what, when, from where. Failed logins too: the login throttle counts them."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_account_action_at", "account", "action", "at"),
        Index("ix_audit_log_address_action_at", "remote_address", "action", "at"),
        Index("ix_audit_log_action_at", "action", "at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_event_id)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    # The account's email (the one typed, for a failed login): readable after the
    # account is gone, and what the throttle counts by.
    account: Mapped[str] = mapped_column(String(254))
    action: Mapped[AuditAction] = mapped_column(_enum(AuditAction))
    # Indexed: forgetting a person looks up every entry naming them.
    target: Mapped[str] = mapped_column(String(254), default="", index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_address: Mapped[str] = mapped_column(String(64), default="")


class ConsoleSecret(Base):
    """Keys the console signs its cookies with, in the database so that every
    instance serving one central shares them."""

    __tablename__ = "console_secrets"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ImportBatch(Base):
    """A CSV file uploaded for import, kept between its preview and its confirmation
    (the console holds nothing outside the database). Its content is dropped once
    imported, and an unconfirmed one after a day (station.importer.batches)."""

    __tablename__ = "import_batches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    account: Mapped[str] = mapped_column(String(254))  # who uploaded it
    filename: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    applied_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
