"""The day of each person's first check-in at a site: what makes a first-timer in the
figures once the visits are gone. Kept in the transactions that write visits (the
kiosk's, central's upload) and deleted when the person is forgotten."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, func, insert, select, update

from station.aggregates import local_day
from station.db import FirstVisit, Visit

_FIRST = cast(Table, FirstVisit.__table__)


def first_days(
    visits: Iterable[tuple[Any, dt.datetime | None]], zone: ZoneInfo
) -> dict[uuid.UUID, dt.date]:
    """The earliest local day per person of (member id, checked in at) pairs."""
    found: dict[uuid.UUID, dt.date] = {}
    for member, at in visits:
        if member is None or at is None:
            continue
        person = member if isinstance(member, uuid.UUID) else uuid.UUID(str(member))
        day = local_day(at, zone)
        if person not in found or day < found[person]:
            found[person] = day
    return found


def record_first_visits(
    connection: Connection, site_id: str, firsts: Mapping[uuid.UUID, dt.date]
) -> None:
    """Each person's first day at the site: inserted if absent, moved earlier when an
    earlier visit arrives late (never later)."""
    if not firsts:
        return
    rows = connection.execute(
        select(_FIRST.c.member_id, _FIRST.c.day).where(
            _FIRST.c.site_id == site_id, _FIRST.c.member_id.in_(list(firsts))
        )
    )
    known: dict[uuid.UUID, dt.date] = {person: day for person, day in rows}
    new = [
        {"site_id": site_id, "member_id": person, "day": day}
        for person, day in firsts.items()
        if person not in known
    ]
    if new:
        connection.execute(insert(_FIRST), new)
    for person, day in firsts.items():
        if person in known and day < known[person]:
            connection.execute(
                update(_FIRST)
                .where(_FIRST.c.site_id == site_id, _FIRST.c.member_id == person)
                .values(day=day)
            )


def first_visits_of(connection: Connection, site_id: str | None) -> dict[uuid.UUID, dt.date]:
    """Each person's first day at the site (None: at any site, the earliest)."""
    query = select(_FIRST.c.member_id, func.min(_FIRST.c.day)).group_by(_FIRST.c.member_id)
    if site_id is not None:
        query = query.where(_FIRST.c.site_id == site_id)
    return {person: day for person, day in connection.execute(query)}


def backfill(connection: Connection, site_id: str, zone: ZoneInfo) -> int:
    """First visits from the raw visits, for a database that had visits before they
    were kept (visits already unlinked by a purge cannot say theirs). People found."""
    rows = connection.execute(
        select(Visit.member_id, Visit.checked_in_at).where(
            Visit.site_id == site_id, Visit.member_id.is_not(None)
        )
    )
    firsts = first_days(((person, at) for person, at in rows), zone)
    record_first_visits(connection, site_id, firsts)
    return len(firsts)
