"""A registry row central refuses: why, in the protocol's words and central's, and
the record central keeps of it (`station.db.refusals.CentralRefusal`)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from station.db import Member
from station.db.refusals import CentralRefusal, RefusalReason
from station.merged import resolve


@dataclass(frozen=True)
class Refused:
    reason: RefusalReason
    detail: str  # central's words, also the site's `SyncRejection.reason`
    other_member_id: uuid.UUID | None = None  # whom the row clashed with


def concerned(model: Any, row: dict[str, Any]) -> uuid.UUID | None:
    """The person a registry row is about: the member itself, or the row's member."""
    value = row.get("id") if model is Member else row.get("member_id")
    return value if isinstance(value, uuid.UUID) else None


def record(
    db: Session,
    site_id: str,
    model: Any,
    row: dict[str, Any],
    refused: Refused,
    at: dt.datetime,
) -> None:
    """Central's record of the refusal, in the transaction of the upload it answers
    (the caller's): it gets its revision there and reaches the site with the next down.
    A row about a record merged at central since names the record kept."""
    person = concerned(model, row)
    if person is not None:
        person = resolve(db.connection(), [person]).get(person, person)
    db.add(
        CentralRefusal(
            site_id=site_id,
            entity=model.__tablename__,
            entity_id=str(row["id"]),
            reason=refused.reason,
            detail=refused.detail,
            member_id=person,
            other_member_id=refused.other_member_id,
            at=at,
            # Nothing to do when the person already holds the very badge.
            resolved_at=at if refused.reason is RefusalReason.BADGE_ENROLLED else None,
            origin_site=site_id,
        )
    )
