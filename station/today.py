"""What the idle screen and staff see about today: hours, presence count, how full
each space is, tallies."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.db import Visit
from station.schedule import Schedule


@dataclass(frozen=True, slots=True)
class DayHours:
    day: dt.date
    ranges: tuple[tuple[dt.time, dt.time], ...]  # empty: closed
    label: str = ""  # why the day differs from the week (a holiday)
    open_now: bool = False

    def text(self) -> str:
        """'09:00–18:00' or '09:00–12:00, 14:00–18:00'; empty when closed."""
        return ", ".join(
            f"{s:%H:%M}–{'24:00' if e == dt.time.max else format(e, '%H:%M')}"
            for s, e in self.ranges
        )


@dataclass(frozen=True, slots=True)
class Tallies:
    entries: int = 0
    in_now: int = 0
    visitors: int = 0  # entries of people signed up without a badge
    by_purpose: dict[str, int] = field(default_factory=dict)
    by_space: dict[str, int] = field(default_factory=dict)


def day_bounds(now: dt.datetime, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Start and end of the site's local day containing `now`, in UTC."""
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def hours_today(schedule: Schedule, now: dt.datetime) -> DayHours:
    """Today's hours of a schedule, with the exception's label or the holiday's name."""
    day = schedule.local(now).date()
    return DayHours(day, schedule.ranges_on(day), schedule.label_on(day), schedule.is_open(now))


def people_in(session: Session, site_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Visit)
            .where(Visit.site_id == site_id, Visit.checked_out_at.is_(None))
        )
        or 0
    )


def tallies_today(session: Session, site_id: str, timezone: str, now: dt.datetime) -> Tallies:
    start, end = day_bounds(now, timezone)
    rows = session.execute(
        select(Visit.purpose, Visit.space, Visit.member_kind).where(
            Visit.site_id == site_id, Visit.checked_in_at >= start, Visit.checked_in_at < end
        )
    ).all()
    return Tallies(
        entries=len(rows),
        in_now=people_in(session, site_id),
        visitors=sum(1 for r in rows if r.member_kind == "visitor"),
        by_purpose=dict(Counter(r.purpose for r in rows).most_common()),
        by_space=dict(Counter(r.space for r in rows).most_common()),
    )


@dataclass(frozen=True, slots=True)
class SpaceFill:
    """How full a space is now: the people in it over its capacity (> 0)."""

    space: str
    people_in: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.people_in >= self.capacity

    @property
    def ratio(self) -> float:
        """People in over capacity; above 1 when more came in than counted for."""
        return self.people_in / self.capacity


def occupancy(
    session: Session, site_id: str, capacities: Mapping[str, int]
) -> tuple[SpaceFill, ...]:
    """Each space with a capacity above 0 (`spaces.<id>.capacity`), in the order given,
    with the people in it now: the open visits, each counted in its purpose's space."""
    counted = {space: capacity for space, capacity in capacities.items() if capacity > 0}
    if not counted:
        return ()
    people: dict[str, int] = {
        space: count
        for space, count in session.execute(
            select(Visit.space, func.count())
            .where(
                Visit.site_id == site_id, Visit.checked_out_at.is_(None), Visit.space.in_(counted)
            )
            .group_by(Visit.space)
        )
    }
    return tuple(
        SpaceFill(space, people.get(space, 0), capacity) for space, capacity in counted.items()
    )
