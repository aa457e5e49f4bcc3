"""Opening hours: a weekly pattern with dated exceptions, evaluated in the site's zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

TimeRange = tuple[dt.time, dt.time]
WEEKDAY_COUNT = 7


def parse_range(text: str) -> TimeRange:
    """'09:00-18:00' -> (09:00, 18:00); '24:00' means the end of the day."""
    start, end = text.split("-")
    return _parse_time(start), _parse_time(end)


def _parse_time(text: str) -> dt.time:
    if text == "24:00":
        return dt.time.max
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


@dataclass(frozen=True)
class Schedule:
    """When a site is open. ``always`` schedules ignore the ranges."""

    timezone: str = "Europe/Paris"
    weekly: tuple[tuple[TimeRange, ...], ...] = ((),) * 7  # Monday first
    exceptions: Mapping[dt.date, tuple[TimeRange, ...]] = field(default_factory=dict)
    always: bool = False

    @classmethod
    def from_ranges(cls, timezone: str, weekly: Iterable[Iterable[str]],
                    exceptions: Mapping[dt.date, Iterable[str]] | None = None) -> Schedule:
        days = tuple(tuple(parse_range(r) for r in day) for day in weekly)
        if len(days) != 7:
            raise ValueError("a weekly schedule has seven days, Monday first")
        dated = {day: tuple(parse_range(r) for r in ranges)
                 for day, ranges in (exceptions or {}).items()}
        return cls(timezone=timezone, weekly=days, exceptions=dated)

    @classmethod
    def open_always(cls) -> Schedule:
        return cls(always=True)

    def ranges_on(self, day: dt.date) -> tuple[TimeRange, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly[day.weekday()]

    def is_open(self, at: dt.datetime) -> bool:
        if self.always:
            return True
        if at.tzinfo is None:
            raise ValueError("is_open needs an aware datetime")
        local = at.astimezone(ZoneInfo(self.timezone))
        moment = local.time()
        return any(start <= moment < end or (end == dt.time.max and moment >= start)
                   for start, end in self.ranges_on(local.date()))

    def to_json(self) -> dict[str, object]:
        def fmt(ranges: tuple[TimeRange, ...]) -> list[str]:
            return [f"{s:%H:%M}-{'24:00' if e == dt.time.max else format(e, '%H:%M')}"
                    for s, e in ranges]

        return {"timezone": self.timezone, "always": self.always,
                "weekly": [fmt(day) for day in self.weekly],
                "exceptions": {d.isoformat(): fmt(r) for d, r in self.exceptions.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Schedule:
        if data.get("always"):
            return cls.open_always()
        weekly = data["weekly"]
        exceptions = data.get("exceptions") or {}
        assert isinstance(weekly, list) and isinstance(exceptions, dict)
        return cls.from_ranges(str(data["timezone"]), weekly,
                               {dt.date.fromisoformat(k): v for k, v in exceptions.items()})
