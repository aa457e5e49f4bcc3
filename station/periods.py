"""The periods of the figures: a day's week, month, quarter and year, their keys as
the reports write them (2026-10-25, 2026-W43, 2026-10, 2026-Q4, 2026) and their days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from zoneinfo import ZoneInfo

from station.figures import Dimension

PERIOD_KINDS: tuple[Dimension, ...] = (
    Dimension.DAY,
    Dimension.WEEK,
    Dimension.MONTH,
    Dimension.QUARTER,
    Dimension.YEAR,
)


def period_key(kind: str, day: dt.date) -> str:
    """The report's key of the `kind` period holding `day`: 2026-10-25, 2026-W43,
    2026-10, 2026-Q4, 2026."""
    if kind == Dimension.DAY:
        return day.isoformat()
    if kind == Dimension.WEEK:
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if kind == Dimension.MONTH:
        return f"{day:%Y-%m}"
    if kind == Dimension.QUARTER:
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if kind == Dimension.YEAR:
        return str(day.year)
    raise ValueError(f"not a period: {kind}")


def period_bounds(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last local days of the `kind` period holding `day`."""
    if kind == Dimension.DAY:
        return day, day
    if kind == Dimension.WEEK:
        start = day - dt.timedelta(days=day.isoweekday() - 1)
        return start, start + dt.timedelta(days=6)
    if kind == Dimension.MONTH:
        start, months = day.replace(day=1), 1
    elif kind == Dimension.QUARTER:
        start, months = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1), 3
    elif kind == Dimension.YEAR:
        start, months = day.replace(month=1, day=1), 12
    else:
        raise ValueError(f"not a period: {kind}")
    index = start.month - 1 + months
    following = dt.date(start.year + index // 12, index % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def periods(kind: str, first: dt.date, last: dt.date) -> Iterator[tuple[str, dt.date, dt.date]]:
    """(key, first day, last day) of each `kind` period that meets first..last."""
    day = first
    while day <= last:
        start, end = period_bounds(kind, day)
        yield period_key(kind, day), start, end
        day = end + dt.timedelta(days=1)


def whole(kind: str, first: dt.date, last: dt.date) -> bool:
    """Whether first..last is made of whole `kind` periods."""
    return period_bounds(kind, first)[0] == first and period_bounds(kind, last)[1] == last


def one_period(first: dt.date, last: dt.date) -> str | None:
    """The kind of period first..last is exactly one of (the longest), or None."""
    for kind in reversed(PERIOD_KINDS):
        if period_bounds(kind, first) == (first, last):
            return kind
    return None


def first_whole_day(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    """The first local day that starts at or after `moment`: what a purge cutting at
    `moment` leaves whole, the day from which rows still name their people."""
    day = moment.astimezone(zone).date()
    if dt.datetime.combine(day, dt.time(), zone) < moment:
        day += dt.timedelta(days=1)
    return day


def spans_of_years(
    first: dt.date, last: dt.date, years: Iterable[int]
) -> Iterator[tuple[dt.date, dt.date]]:
    """first..last cut to the calendar years given, in order: one date an agent's
    clock got wrong by decades makes one year of periods, not every year since."""
    for year in sorted(set(years)):
        start, end = max(first, dt.date(year, 1, 1)), min(last, dt.date(year, 12, 31))
        if start <= end:
            yield start, end


def day_of(kind: str, key: str) -> dt.date:
    """A day of the `kind` period named `key` (its first)."""
    if kind == Dimension.DAY:
        return dt.date.fromisoformat(key)
    if kind == Dimension.WEEK:
        year, week = key.split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    if kind == Dimension.MONTH:
        return dt.date.fromisoformat(f"{key}-01")
    if kind == Dimension.QUARTER:
        year, quarter = key.split("-Q")
        return dt.date(int(year), (int(quarter) - 1) * 3 + 1, 1)
    return dt.date(int(key), 1, 1)
