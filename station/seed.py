"""Bring the site's own declarations (trainings, resources, hours) from config into a database.

The configuration describes the site's equipment; central masters people and rights.
Running this again updates rows in place, so it is safe on every `station db upgrade`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db import OpeningException, OpeningHours, Resource, ResourceKind, Training
from station.schedule import WEEKDAY_COUNT, parse_range

__all__ = ["seed_site"]


def seed_site(session: Session, config: StationConfig) -> None:
    site = config.site.id
    for code, training in config.trainings.items():
        held = session.get(Training, code) or Training(code=code)
        held.name_fr, held.name_en, held.valid_days = (training.fr, training.en,
                                                       training.valid_days)
        held.deleted_at = None
        session.add(held)
    wanted: dict[str, tuple[ResourceKind, str, str, list[str]]] = {
        agent.resource: (ResourceKind(agent.kind), agent.name, agent.schedule,
                         list(agent.trainings)) for agent in config.agents.values()}
    for code, space in config.spaces.items():
        wanted.setdefault(code, (ResourceKind.SPACE, space.fr, "opening_hours", []))
    for code, (kind, name, schedule, trainings) in wanted.items():
        row = session.scalar(select(Resource).where(Resource.site_id == site,
                                                    Resource.code == code))
        if row is None:
            row = Resource(site_id=site, code=code)
            session.add(row)
        row.kind, row.name, row.schedule, row.required_trainings = kind, name, schedule, trainings
        row.deleted_at = None
    _seed_hours(session, config)
    session.flush()


def _seed_hours(session: Session, config: StationConfig) -> None:
    site = config.site.id
    hours = config.opening_hours
    for row in session.scalars(select(OpeningHours).where(OpeningHours.site_id == site)):
        session.delete(row)
    for exception_row in session.scalars(select(OpeningException).where(
            OpeningException.site_id == site)):
        session.delete(exception_row)
    session.flush()
    days = (hours.monday, hours.tuesday, hours.wednesday, hours.thursday, hours.friday,
            hours.saturday, hours.sunday)
    assert len(days) == WEEKDAY_COUNT
    for weekday, ranges in enumerate(days):
        for text in ranges:
            opens, closes = parse_range(text)
            session.add(OpeningHours(site_id=site, weekday=weekday, opens=opens, closes=closes))
    for exception in hours.exceptions:
        session.add(OpeningException(site_id=site, day=exception.date, label=exception.label,
                                     ranges=list(exception.hours)))
