"""Roll-ups of the entry cells: what a report over years reads instead of every cell.

The entry cells (`station.aggregates`) are almost as many as the visits (an hour x
space x purpose x commune x kind x plan x age band of one day is nearly always a cell
of its own: 1.9 million cells for 3 million check-ins over five years), so a report
reading them reads millions of rows. A report asks for one dimension at a time (or
one beside periods), so the cells are also kept summed by each dimension alone over
each `Grain` (`EntryRollup`): days, ISO weeks, months, years, and each weekday of a
month and of a year; five years by commune are some hundreds of rows
(`station.reports.entry_rows.tile` says which a report reads).

Whatever changes a day's cells marks the day stale (`mark_stale`, one insert beside
the cells'); `roll_up` sums the stale days again (the daily purge runs it, and
`station.aggregates.rebuild`); until then reports read the stale days from the cells
(`station.reports.from_aggregates`), so a report is never behind the cells. A check-in
pays for one insert, not for the roll-up.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from station.communes import commune_key
from station.db import EntryRollup, EntryTally, StaleRollup
from station.figures import Dimension


class Grain(enum.StrEnum):
    """The span of a roll-up row; `start` is its first day."""

    DAY = "day"
    WEEK = "week"  # an ISO week: start is its Monday
    MONTH = "month"  # start is the 1st
    YEAR = "year"  # start is 1 January
    # One weekday of a month or of a year: start is that weekday's first date in it, so
    # that the weekday, month, quarter and year of `start` are the row's own.
    MONTH_WEEKDAY = "month_wd"
    YEAR_WEEKDAY = "year_wd"


def period_start(grain: Grain, day: dt.date) -> dt.date:
    """The start of the `grain` row that counts `day`."""
    match grain:
        case Grain.DAY:
            return day
        case Grain.WEEK:
            return day - dt.timedelta(days=day.weekday())
        case Grain.MONTH:
            return day.replace(day=1)
        case Grain.YEAR:
            return day.replace(month=1, day=1)
        case Grain.MONTH_WEEKDAY:
            return day.replace(day=1 + (day.day - 1) % 7)
        case Grain.YEAR_WEEKDAY:
            return day - dt.timedelta(days=7 * ((day.timetuple().tm_yday - 1) // 7))


def period_span(grain: Grain, day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the period of `grain` holding `day` (a weekday row's
    month or year: the rows of its seven weekdays together span it)."""
    match grain:
        case Grain.DAY:
            return day, day
        case Grain.WEEK:
            monday = period_start(grain, day)
            return monday, monday + dt.timedelta(days=6)
        case Grain.MONTH | Grain.MONTH_WEEKDAY:
            first = day.replace(day=1)
            return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        case Grain.YEAR | Grain.YEAR_WEEKDAY:
            return day.replace(month=1, day=1), day.replace(month=12, day=31)


# Each coarser row is summed from the rows of a finer grain: those of its days.
_SOURCES: tuple[tuple[Grain, Grain], ...] = (
    (Grain.WEEK, Grain.DAY),
    (Grain.MONTH, Grain.DAY),
    (Grain.MONTH_WEEKDAY, Grain.DAY),
    (Grain.YEAR, Grain.MONTH),
    (Grain.YEAR_WEEKDAY, Grain.MONTH_WEEKDAY),
)


TOTAL = ""  # the roll-up by no dimension: a day's or a month's whole figures
# The cells' columns a report may ask by, each rolled up alone.
ROLLED: Mapping[str, str] = {
    Dimension.HOUR: "hour",
    Dimension.SPACE: "space",
    Dimension.PURPOSE: "purpose",
    Dimension.COMMUNE: "commune",
    Dimension.KIND: "kind",
    Dimension.PLAN: "plan",
    Dimension.AGE: "age_band",
}

_CELLS = cast(Table, EntryTally.__table__)
_ROLLUPS = cast(Table, EntryRollup.__table__)
_STALE = cast(Table, StaleRollup.__table__)
_MEASURES = ("entries", "members", "visitors", "timed", "minutes")
BUCKET_MINUTES = 5  # visits' minutes are kept in 5-minute buckets: a median to 5 minutes


def mark_stale(connection: Connection, site_id: str, days: Iterable[dt.date]) -> None:
    """Record that these local days' cells changed (idempotent)."""
    rows = [{"site_id": site_id, "day": day} for day in set(days)]
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(postgresql.insert(_STALE).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        connection.execute(sqlite.insert(_STALE).on_conflict_do_nothing(), rows)
    else:  # pragma: no cover - Station runs on SQLite and PostgreSQL only
        known = {(s, d) for s, d in connection.execute(select(_STALE.c.site_id, _STALE.c.day))}
        fresh = [row for row in rows if (row["site_id"], row["day"]) not in known]
        if fresh:
            connection.execute(insert(_STALE), fresh)


def stale_days(connection: Connection, site_id: str | None) -> set[tuple[str, dt.date]]:
    """The (site, day)s not rolled up since their cells changed: one site, or all."""
    query = select(_STALE.c.site_id, _STALE.c.day)
    if site_id is not None:
        query = query.where(_STALE.c.site_id == site_id)
    return {(site, day) for site, day in connection.execute(query)}


def roll_up(connection: Connection, site_id: str | None = None) -> int:
    """Sum again the stale days (one site's, or every site's) and the weeks, months and
    years that hold them. The days rolled up."""
    stale = stale_days(connection, site_id)
    by_site: defaultdict[str, set[dt.date]] = defaultdict(set)
    for site, day in stale:
        by_site[site].add(day)
    for site, days in by_site.items():
        for day in sorted(days):
            _roll_day(connection, site, day)
        for grain, source in _SOURCES:
            for start in sorted({period_start(grain, day) for day in days}):
                _roll_from(connection, site, grain, start, source)
    if stale:
        connection.execute(
            delete(_STALE).where(tuple_(_STALE.c.site_id, _STALE.c.day).in_(sorted(stale)))
        )
    return len(stale)


def _sources_of(grain: Grain, start: dt.date, source: Grain) -> list[dt.date]:
    """The starts of the `source` rows that make the `grain` row starting at `start`."""
    first, last = period_span(grain, start)
    step = 7 if grain in (Grain.MONTH_WEEKDAY, Grain.YEAR_WEEKDAY) else 1
    if source is Grain.DAY:
        days = (last - start).days // step + 1
        return [start + dt.timedelta(days=n * step) for n in range(days)]
    # A year's months, or a weekday's first date in each month of the year.
    months = [first.replace(month=m) for m in range(1, 13)]
    if source is Grain.MONTH:
        return months
    weekday = start.weekday()
    return [m + dt.timedelta(days=(weekday - m.weekday()) % 7) for m in months]


def _roll_from(
    connection: Connection, site_id: str, grain: Grain, start: dt.date, source: Grain
) -> None:
    rows = connection.execute(
        select(_ROLLUPS).where(
            _ROLLUPS.c.site_id == site_id,
            _ROLLUPS.c.grain == source,
            _ROLLUPS.c.start.in_(_sources_of(grain, start, source)),
        )
    ).mappings()
    sums: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        _add(sums, (row["dimension"], row["value"]), dict(row))
    _replace(connection, site_id, grain, start, sums)


def _roll_day(connection: Connection, site_id: str, day: dt.date) -> None:
    columns = [_CELLS.c[name] for name in ROLLED.values()]
    cells = connection.execute(
        select(
            *columns,
            _CELLS.c.entries,
            _CELLS.c.timed,
            _CELLS.c.minutes,
            _CELLS.c.durations,
        ).where(_CELLS.c.site_id == site_id, _CELLS.c.day == day)
    ).mappings()
    sums: dict[tuple[str, str], dict[str, Any]] = {}
    for cell in cells:
        measures = {
            "entries": cell["entries"],
            "members": cell["entries"] if cell["kind"] == "member" else 0,
            "visitors": cell["entries"] if cell["kind"] == "visitor" else 0,
            "timed": cell["timed"],
            "minutes": cell["minutes"],
            "durations": cell["durations"] or {},
        }
        _add(sums, (TOTAL, ""), measures)
        for dimension, column in ROLLED.items():
            value = str(cell[column] if cell[column] is not None else "")
            # A commune as reports key it: those outside the territory are one row.
            _add(
                sums,
                (dimension, commune_key(value) if dimension == Dimension.COMMUNE else value),
                measures,
            )
    _replace(connection, site_id, Grain.DAY, day, sums)


def _add(
    sums: dict[tuple[str, str], dict[str, Any]], key: tuple[str, str], measures: Mapping[str, Any]
) -> None:
    total = sums.get(key)
    if total is None:
        total = sums[key] = {name: 0 for name in _MEASURES} | {"durations": defaultdict(int)}
    for name in _MEASURES:
        total[name] += measures[name] or 0
    for bucket, count in (measures["durations"] or {}).items():
        total["durations"][bucket] += count


def _replace(
    connection: Connection,
    site_id: str,
    grain: Grain,
    start: dt.date,
    sums: Mapping[tuple[str, str], Mapping[str, Any]],
) -> None:
    connection.execute(
        delete(_ROLLUPS).where(
            _ROLLUPS.c.site_id == site_id, _ROLLUPS.c.grain == grain, _ROLLUPS.c.start == start
        )
    )
    if sums:
        connection.execute(
            insert(_ROLLUPS),
            [
                {
                    "dimension": dimension,
                    "grain": grain.value,
                    "start": start,
                    "site_id": site_id,
                    "value": value,
                    **{name: total[name] for name in _MEASURES},
                    "minutes": round(float(total["minutes"]), 3),
                    "durations": dict(total["durations"]),
                    "median": median(total["durations"]),
                }
                for (dimension, value), total in sums.items()
            ],
        )


def median(histogram: Mapping[str, int]) -> float | None:
    """The median visit in minutes, to the middle of its 5-minute bucket."""
    total = sum(histogram.values())
    if not total:
        return None
    seen = 0
    for bucket in sorted(histogram, key=int):
        seen += histogram[bucket]
        if seen * 2 >= total:
            return int(bucket) + BUCKET_MINUTES / 2
    return None
