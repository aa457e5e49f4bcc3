"""What central refused of a site's upload, kept at central for the console.

A site's registry row that central refuses (a badge already held by another person,
a row changed at central meanwhile...) is recorded here in the same transaction as
the upload it answers (`sync.up`), with the person it concerns. The row is
replicated down to its own site only (it has a `site_id`, `sync.tables.SITE_SCOPED`):
the kiosk's staff mode counts its site's open refusals from its own database, and a
refusal resolved at central (`resolved_at`, by a merge or by hand in the console)
stops being counted at the site after the next sync.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import Enum, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base, Replicated
from station.db.types import utcnow
from station.ids import new_event_id


class RefusalReason(enum.StrEnum):
    """Why central refused a row (the console says what to do for each)."""

    BADGE_HELD = "badge_held"  # the badge is another person's at central
    BADGE_ENROLLED = "badge_enrolled"  # the same badge was already enrolled for this person
    TRAINING_HELD = "training_held"  # central already records this training for them
    CHANGED_AT_CENTRAL = "changed_at_central"  # central's newer version is kept
    INVALID = "invalid"  # the database refused the row (a constraint)
    FIELD_RULE = "field_rule"  # a value breaks a rule of station.fields (sync.field_rules)


class CentralRefusal(Replicated, Base):
    __tablename__ = "central_refusals"
    __table_args__ = (Index("ix_central_refusals_site_resolved", "site_id", "resolved_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_event_id)
    site_id: Mapped[str] = mapped_column(String(64))  # the site whose upload was refused
    entity: Mapped[str] = mapped_column(String(40))  # the table of the refused row
    entity_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[RefusalReason] = mapped_column(
        Enum(
            RefusalReason,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    detail: Mapped[str] = mapped_column(Text, default="")  # central's words, for the record
    # The person the refused row is about, and the other one it clashed with (the
    # holder of the badge): no foreign key, a refused member row is not at central.
    member_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    other_member_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(default=None)
