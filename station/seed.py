"""Bring the site's own declarations (trainings, resources, hours) from config into a database.

The configuration describes the site's equipment; central masters people and rights.
Rows get identifiers derived from what they are (site and code, weekday and time,
date), so the same declaration seeded at central and at the site is the same row,
and sync replicates it without a clash. Running this again updates rows in place and
marks what the file no longer declares as deleted (a tombstone the sites can see).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db import OpeningException, OpeningHours, Resource, ResourceKind, Training, utcnow
from station.db.live import live
from station.schedule import WEEKDAY_COUNT, parse_range

__all__ = ["seed_site"]

_NAMESPACE = uuid.UUID("6f1d3c1e-2b7a-4c55-9e0a-5a7a8c0b9d10")


def seeded_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, "/".join(str(p) for p in parts))


def seed_site(session: Session, config: StationConfig) -> None:
    _seed_trainings(session, config)
    _seed_resources(session, config)
    _seed_hours(session, config)
    session.flush()


def _seed_trainings(session: Session, config: StationConfig) -> None:
    for code, training in config.trainings.items():
        row = session.get(Training, code) or Training(code=code)
        values = (training.fr, training.en, training.valid_days, None)
        if (row.name_fr, row.name_en, row.valid_days, row.deleted_at) != values:
            row.name_fr, row.name_en, row.valid_days, row.deleted_at = values
        session.add(row)


def _seed_resources(session: Session, config: StationConfig) -> None:
    site = config.site.id
    wanted: dict[str, tuple[ResourceKind, str, str, list[str]]] = {
        agent.resource: (
            ResourceKind(agent.kind),
            agent.name,
            agent.schedule,
            list(agent.trainings),
        )
        for agent in config.agents.values()
    }
    for code, space in config.spaces.items():
        wanted.setdefault(code, (ResourceKind.SPACE, space.fr, "opening_hours", []))
    for code, (kind, name, schedule, trainings) in wanted.items():
        row = session.get(Resource, seeded_id(site, "resource", code))
        if row is None:
            row = Resource(id=seeded_id(site, "resource", code), site_id=site, code=code)
            session.add(row)
        # Only what config owns; `enabled` and `out_of_order` are set by staff.
        if (row.kind, row.name, row.schedule, row.required_trainings, row.deleted_at) != (
            kind,
            name,
            schedule,
            trainings,
            None,
        ):
            row.kind, row.name, row.schedule = kind, name, schedule
            row.required_trainings, row.deleted_at = trainings, None
    for row in session.scalars(select(Resource).where(Resource.site_id == site, live(Resource))):
        if row.code not in wanted:
            row.deleted_at = utcnow()


def _seed_hours(session: Session, config: StationConfig) -> None:
    site = config.site.id
    hours = config.opening_hours
    days = (
        hours.monday,
        hours.tuesday,
        hours.wednesday,
        hours.thursday,
        hours.friday,
        hours.saturday,
        hours.sunday,
    )
    assert len(days) == WEEKDAY_COUNT
    weekly: dict[uuid.UUID, tuple[int, dt.time, dt.time]] = {}
    for weekday, ranges in enumerate(days):
        for text in ranges:
            opens, closes = parse_range(text)
            weekly[seeded_id(site, "hours", weekday, text)] = (weekday, opens, closes)
    for row in session.scalars(
        select(OpeningHours).where(OpeningHours.site_id == site, live(OpeningHours))
    ):
        if row.id not in weekly:
            row.deleted_at = utcnow()
    for row_id, (weekday, opens, closes) in weekly.items():
        hours_row = session.get(OpeningHours, row_id)
        if hours_row is None:
            session.add(
                OpeningHours(id=row_id, site_id=site, weekday=weekday, opens=opens, closes=closes)
            )
        elif hours_row.deleted_at is not None:
            hours_row.deleted_at = None

    dated = {seeded_id(site, "exception", e.date): e for e in hours.exceptions}
    for exception_row in session.scalars(
        select(OpeningException).where(OpeningException.site_id == site, live(OpeningException))
    ):
        if exception_row.id not in dated:
            exception_row.deleted_at = utcnow()
    for row_id, exception in dated.items():
        existing = session.get(OpeningException, row_id)
        if existing is None:
            session.add(
                OpeningException(
                    id=row_id,
                    site_id=site,
                    day=exception.date,
                    label=exception.label,
                    ranges=list(exception.hours),
                )
            )
        elif (existing.label, existing.ranges, existing.deleted_at) != (
            exception.label,
            list(exception.hours),
            None,
        ):
            existing.label, existing.ranges = exception.label, list(exception.hours)
            existing.deleted_at = None
