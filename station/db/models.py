"""The data model, identical for a site database and the central registry.

Registry rows (people and rights) are mastered centrally and replicated down: each
carries a ``revision`` assigned by central and a ``deleted_at`` tombstone. History
rows (visits, access events, sessions) are created at a site and replicated up:
each carries its ``site_id`` and an ``uploaded_at`` left empty until central has it.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from station.credential import CredentialKind
from station.db.types import UTCDateTime, utcnow
from station.ids import new_event_id, new_id


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime, dict[str, Any]: JSON}


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings: portable and readable, no PostgreSQL ENUM type to migrate.
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class MemberKind(enum.StrEnum):
    MEMBER = "member"
    VISITOR = "visitor"
    STAFF = "staff"


class BadgeStatus(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    LOST = "lost"


class ResourceKind(enum.StrEnum):
    DOOR = "door"
    MACHINE = "machine"
    SPACE = "space"


class Replicated:
    """Columns of every row replicated from central down to sites."""

    revision: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # Site where the row was created (a local sign-up or enrolment), empty if central.
    origin_site: Mapped[str | None] = mapped_column(String(64), default=None)
    # Pending upload of a site-created row; central clears it when accepted.
    dirty: Mapped[bool] = mapped_column(Boolean, default=False, index=True)


class History:
    """Columns of every row created at a site and replicated up to central."""

    site_id: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_at: Mapped[dt.datetime | None] = mapped_column(default=None, index=True)


class Member(Replicated, Base):
    __tablename__ = "members"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[MemberKind] = mapped_column(_enum(MemberKind), default=MemberKind.MEMBER)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    home_commune: Mapped[str | None] = mapped_column(String(5), default=None)  # INSEE code
    # Optional, asked only where `[signup] ask_birth_year` says so: a year, never a date.
    birth_year: Mapped[int | None] = mapped_column(Integer, default=None)
    consent_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_purpose: Mapped[str | None] = mapped_column(String(64), default=None)
    # Argon2id hash of a staff member's PIN (station.staff_pin): set at central, down to
    # the sites with the row, never in agents' grants (the compiler selects columns).
    staff_pin_hash: Mapped[str | None] = mapped_column(String(128), default=None)
    # Set on the tombstone of a record merged into another (`station.merge`): each site
    # then moves the history it holds of this record to that one, instead of unlinking it.
    merged_into: Mapped[uuid.UUID | None] = mapped_column(default=None)
    # Their UID alone opens nothing: only a secure badge (docs/agent.md, "Secure badges: policy").
    secure_only: Mapped[bool] = mapped_column(Boolean, default=False)

    memberships: Mapped[list[Membership]] = relationship(back_populates="member")
    badges: Mapped[list[Badge]] = relationship(back_populates="member")
    trainings: Mapped[list[MemberTraining]] = relationship(back_populates="member")

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Membership(Replicated, Base):
    __tablename__ = "memberships"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    plan: Mapped[str] = mapped_column(String(64), default="standard")
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date, default=None)  # inclusive

    member: Mapped[Member] = relationship(back_populates="memberships")


class Badge(Replicated, Base):
    """A credential: the keyed hash of what the badge presents, never the UID itself."""

    __tablename__ = "credentials"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="uid")
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[BadgeStatus] = mapped_column(_enum(BadgeStatus), default=BadgeStatus.ACTIVE)
    enrolled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    member: Mapped[Member] = relationship(back_populates="badges")

    @property
    def credential_kind(self) -> CredentialKind:
        """What the badge presents: a plain UID (copiable) or a secure credential."""
        return CredentialKind(self.kind)


class Training(Replicated, Base):
    __tablename__ = "trainings"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_fr: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    valid_days: Mapped[int] = mapped_column(Integer, default=0)  # 0: never expires


class MemberTraining(Replicated, Base):
    __tablename__ = "member_trainings"
    __table_args__ = (UniqueConstraint("member_id", "training_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), index=True)
    training_code: Mapped[str] = mapped_column(ForeignKey("trainings.code"))
    granted_by: Mapped[str] = mapped_column(String(100), default="")
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    member: Mapped[Member] = relationship(back_populates="trainings")


class Resource(Replicated, Base):
    """A door, a machine or a space of a site."""

    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ResourceKind] = mapped_column(_enum(ResourceKind))
    name: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    out_of_order: Mapped[bool] = mapped_column(Boolean, default=False)
    schedule: Mapped[str] = mapped_column(String(64), default="opening_hours")
    required_trainings: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Set by staff like `enabled`: a plain UID is refused here (secure_required).
    require_secure: Mapped[bool] = mapped_column(Boolean, default=False)


class OpeningHours(Replicated, Base):
    """One weekly opening range of a site (several per day allowed)."""

    __tablename__ = "opening_hours"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    opens: Mapped[dt.time] = mapped_column(Time)
    closes: Mapped[dt.time] = mapped_column(Time)


class OpeningException(Replicated, Base):
    """A holiday or closure (no ranges) or special hours on one date."""

    __tablename__ = "opening_exceptions"
    __table_args__ = (UniqueConstraint("site_id", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[dt.date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(100), default="")
    ranges: Mapped[list[str]] = mapped_column(JSON, default=list)  # ["09:00-16:00"]


class Visit(History, Base):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_open", "site_id", "checked_out_at"),
        Index("ix_visits_checked_in", "checked_in_at", "site_id", "member_id"),  # covering
        # A person's last check-in in one probe (the purge asks it of each stale visitor).
        Index("ix_visits_member_checked_in", "member_id", "checked_in_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_event_id)
    # Empty once the retention period is over: the visit then only counts in tallies.
    member_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("members.id"))
    kiosk_id: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    space: Mapped[str] = mapped_column(String(64))
    checked_in_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    checkout_reason: Mapped[str | None] = mapped_column(String(20), default=None)
    # Tallies survive the purge: they are copied here before personal links go.
    home_commune: Mapped[str | None] = mapped_column(String(5), default=None)
    member_kind: Mapped[str] = mapped_column(String(20), default="member")
    # The plan of the membership covering the day of the visit ("": none, a visitor):
    # what the plan was then, kept for the tallies once the person is gone.
    plan: Mapped[str] = mapped_column(String(64), default="")
    # The person's age band in the visit's year (`station.ages`, "": not given), kept
    # for the tallies as the commune is: the birth year itself stays with the person.
    age_band: Mapped[str] = mapped_column(String(8), default="")


class AccessEvent(History, Base):
    """Anything an agent reports: a decision, a door state or alarm, a fault."""

    __tablename__ = "access_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64), index=True)
    resource: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(40))  # granted, denied, door_forced, ...
    reason: Mapped[str | None] = mapped_column(String(40), default=None)
    credential_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # Indexed: forgetting a person deletes their events (10 M rows over five years).
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MachineSession(History, Base):
    __tablename__ = "machine_sessions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(64))
    resource: Mapped[str] = mapped_column(String(64), index=True)
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    credential_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    started_at: Mapped[dt.datetime] = mapped_column(index=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    duration_s: Mapped[float | None] = mapped_column(default=None)


class SyncCursor(Base):
    """How far a replication stream has got (e.g. 'down' = last central revision applied)."""

    __tablename__ = "sync_cursors"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RevisionCounter(Base):
    """Central's monotonic revision (a sequence on PostgreSQL would not exist on SQLite)."""

    __tablename__ = "revision_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class AgentStatus(Base):
    """Each agent's last status, and what sync last sent it (`expected_*`: grant_state)."""

    __tablename__ = "agent_status"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    grants_version: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expected_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    expected_digest: Mapped[str] = mapped_column(String(64), default="", server_default="")


class SyncRejection(Base):
    """Something central refused (e.g. a badge enrolled here but held by someone else)."""

    __tablename__ = "sync_rejections"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_event_id)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class StaffPinFailure(Base):
    """Wrong staff PINs in a row for one member, and until when their staff mode is locked.

    Site-only, never replicated: a lock-out is the site's (and survives a kiosk restart).
    """

    __tablename__ = "staff_pin_failures"

    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(default=None)


class VisitorLastSeen(Base):
    """When a visitor was last seen, kept by the purge as it deletes their older visits:
    a visitor's `visitor_days` run from their last visit, which may be older than the
    visits the movement retention keeps. Goes with the person (`station.privacy`)."""

    __tablename__ = "visitor_last_seen"

    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.id"), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column()


class SkillRecord(History, Base):
    """A skill a staff member records for a person, from the configured catalogue (the
    community of communes' measure of the inhabitants' digital skills)."""

    __tablename__ = "skill_records"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_event_id)
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    skill: Mapped[str] = mapped_column(String(64))
    recorded_on: Mapped[dt.date] = mapped_column(Date, index=True)
    recorded_by: Mapped[str] = mapped_column(String(100), default="")


class Company(History, Base):
    """A company a member of the incubator or the coworking space registered: its SIREN,
    its date and the offer that hosted it (the measure of companies created)."""

    __tablename__ = "companies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_event_id)
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    name: Mapped[str] = mapped_column(String(200))
    siren: Mapped[str] = mapped_column(String(9), index=True)
    created_on: Mapped[dt.date] = mapped_column(Date)
    offer: Mapped[str] = mapped_column(String(64))  # the purpose (offer) that hosted it
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
