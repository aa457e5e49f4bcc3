"""Schedules: a weekly pattern, public holidays and dated exceptions, in the site's zone.

One `Schedule` serves every rhythm of the site: a resource's hours, a plan's access
window, a door's free-access hours, the kiosk's closing time. A dated exception wins
over a public holiday, which wins over the weekly pattern. Holidays are computed by
the `holidays` package for any year asked (`holidays = "FR"` in the configuration),
never listed by hand.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

TimeRange = tuple[dt.time, dt.time]
WEEKDAY_COUNT = 7
ALWAYS = "always"  # the reserved name of the schedule that is never closed


def parse_range(text: str) -> TimeRange:
    """'09:00-18:00' -> (09:00, 18:00); '24:00' means the end of the day."""
    start, end = text.split("-")
    return _parse_time(start), _parse_time(end)


def format_range(value: TimeRange) -> str:
    start, end = value
    return f"{start:%H:%M}-{'24:00' if end == dt.time.max else format(end, '%H:%M')}"


def _parse_time(text: str) -> dt.time:
    if text == "24:00":
        return dt.time.max
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


@functools.lru_cache(maxsize=64)
def public_holidays(country: str, year: int) -> Mapping[dt.date, str]:
    """{day: name} of a country's public holidays in a year (names in French for FR)."""
    import holidays

    language = "fr" if country == "FR" else None
    try:
        return dict(holidays.country_holidays(country, years=year, language=language))
    except NotImplementedError:
        raise LookupError(f"no public holidays known for country {country!r}") from None


@dataclass(frozen=True)
class Schedule:
    """When something is open. ``always`` schedules ignore the ranges."""

    timezone: str = "Europe/Paris"
    weekly: tuple[tuple[TimeRange, ...], ...] = ((),) * 7  # Monday first
    exceptions: Mapping[dt.date, tuple[TimeRange, ...]] = field(default_factory=dict)
    always: bool = False
    holidays: str = ""  # ISO country code whose public holidays close the schedule
    labels: Mapping[dt.date, str] = field(default_factory=dict)  # why an exception day

    @classmethod
    def from_ranges(
        cls,
        timezone: str,
        weekly: Iterable[Iterable[str]],
        exceptions: Mapping[dt.date, Iterable[str]] | None = None,
        *,
        holidays: str = "",
        labels: Mapping[dt.date, str] | None = None,
    ) -> Schedule:
        days = tuple(tuple(parse_range(r) for r in day) for day in weekly)
        if len(days) != WEEKDAY_COUNT:
            raise ValueError("a weekly schedule has seven days, Monday first")
        dated = {
            day: tuple(parse_range(r) for r in ranges) for day, ranges in (exceptions or {}).items()
        }
        return cls(
            timezone=timezone,
            weekly=days,
            exceptions=dated,
            holidays=holidays,
            labels=dict(labels or {}),
        )

    @classmethod
    def open_always(cls, timezone: str = "Europe/Paris") -> Schedule:
        return cls(timezone=timezone, always=True)

    def holiday(self, day: dt.date) -> str | None:
        """The public holiday's name on `day`, if the schedule follows holidays."""
        if not self.holidays:
            return None
        return public_holidays(self.holidays, day.year).get(day)

    def ranges_on(self, day: dt.date) -> tuple[TimeRange, ...]:
        if self.always:
            return ((dt.time(0, 0), dt.time.max),)
        if day in self.exceptions:
            return self.exceptions[day]
        if self.holiday(day) is not None:
            return ()
        return self.weekly[day.weekday()]

    def label_on(self, day: dt.date) -> str:
        """Why `day` differs from the week (an exception's label, a holiday's name)."""
        if day in self.exceptions:
            return self.labels.get(day, "")
        return self.holiday(day) or ""

    def local(self, at: dt.datetime) -> dt.datetime:
        if at.tzinfo is None:
            raise ValueError("a schedule needs an aware datetime")
        return at.astimezone(ZoneInfo(self.timezone))

    def is_open(self, at: dt.datetime) -> bool:
        if self.always:
            return True
        local = self.local(at)
        moment = local.time()
        return any(
            start <= moment < end or (end == dt.time.max and moment >= start)
            for start, end in self.ranges_on(local.date())
        )

    def closing_on(self, day: dt.date) -> dt.datetime | None:
        """When the last range of `day` ends (aware, UTC); None if closed all day."""
        ranges = self.ranges_on(day)
        if not ranges:
            return None
        zone = ZoneInfo(self.timezone)
        end = max(e for _, e in ranges)
        if end == dt.time.max:
            return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(
                dt.UTC
            )
        return dt.datetime.combine(day, end, zone).astimezone(dt.UTC)

    def next_close(self, at: dt.datetime) -> dt.datetime | None:
        """When the opening in force at `at` ends (UTC), following a range that runs to
        midnight into the next day's; None if closed now, or open for the coming week."""
        if self.always or not self.is_open(at):
            return None
        zone = ZoneInfo(self.timezone)
        day, moment = self.local(at).date(), self.local(at).time()
        for _ in range(WEEKDAY_COUNT + 1):
            current = next(
                (
                    r
                    for r in self.ranges_on(day)
                    if r[0] <= moment < r[1] or (r[1] == dt.time.max and moment >= r[0])
                ),
                None,
            )
            if current is None:
                return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
            if current[1] != dt.time.max:
                return dt.datetime.combine(day, current[1], zone).astimezone(dt.UTC)
            day, moment = day + dt.timedelta(days=1), dt.time(0, 0)
        return None

    def to_json(self) -> dict[str, object]:
        return {
            "timezone": self.timezone,
            "always": self.always,
            "weekly": [[format_range(r) for r in day] for day in self.weekly],
            "exceptions": {
                d.isoformat(): [format_range(r) for r in ranges]
                for d, ranges in sorted(self.exceptions.items())
            },
            "holidays": self.holidays,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Schedule:
        timezone = str(data["timezone"])
        ZoneInfo(timezone)  # an unknown zone is a malformed schedule, found here
        if data.get("always"):
            return cls.open_always(timezone)
        weekly = data["weekly"]
        exceptions = data.get("exceptions") or {}
        country = data.get("holidays") or ""
        if (
            not isinstance(weekly, list)
            or not isinstance(exceptions, dict)
            or not isinstance(country, str)
        ):
            raise ValueError("weekly must be a list, exceptions an object, holidays a string")
        if country:
            public_holidays(country, 2026)  # an unknown country is refused here, not later
        return cls.from_ranges(
            timezone,
            weekly,
            {dt.date.fromisoformat(k): v for k, v in exceptions.items()},
            holidays=country,
        )
