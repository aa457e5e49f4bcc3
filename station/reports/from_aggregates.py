"""ReportTables from the daily tallies (`station.aggregates`): what reports read.

The cells are summed in SQL by the dimensions asked for, the periods too (a day's week,
month, quarter, year or weekday computed by the database, spelled the same on SQLite
and PostgreSQL), so five years arrive as a few rows. Medians are read from the cells'
5-minute duration buckets, summed by the database too, so any range
has one without the visits. Distinct people (`people`, `users`) and first-timers are
filled in by `station.reports.distinct`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from station.db import EntryTally, UsageTally
from station.reports.cells import cell_key
from station.reports.distinct import Ask, distinct_per_site
from station.reports.entry_rows import entry_sums, plan
from station.reports.grouping import group_key, groups_of
from station.reports.medians import medians
from station.reports.table import (
    ENTRY_MEASURES,
    UNKNOWN,
    USAGE_MEASURES,
    Dimension,
    Key,
    Measure,
    Report,
    ReportTable,
    Value,
)

ENTRY_DIMENSIONS = (
    Dimension.DAY,
    Dimension.WEEK,
    Dimension.MONTH,
    Dimension.QUARTER,
    Dimension.YEAR,
    Dimension.HOUR,
    Dimension.WEEKDAY,
    Dimension.SPACE,
    Dimension.PURPOSE,
    Dimension.COMMUNE,
    Dimension.KIND,
    Dimension.PLAN,
    Dimension.AGE,
    Dimension.SITE,
)
USAGE_DIMENSIONS = (
    Dimension.DAY,
    Dimension.WEEK,
    Dimension.MONTH,
    Dimension.QUARTER,
    Dimension.YEAR,
    Dimension.HOUR,
    Dimension.WEEKDAY,
    Dimension.MACHINE,
    Dimension.TRAINING,
    Dimension.SITE,
)


def entries_table(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: Sequence[str],
    zone: Any,
    raw_since: dt.date | None = None,
) -> ReportTable:
    """Check-ins from `first` to `last` (local days, both included), by `dims`; every
    site when `site` is None (central). `raw_since`: the first day whose raw rows
    still name the people (distinct counts need them)."""
    t = EntryTally
    stored: dict[str, Any] = {
        Dimension.HOUR: t.hour,
        Dimension.SPACE: t.space,
        Dimension.PURPOSE: t.purpose,
        Dimension.COMMUNE: t.commune,
        Dimension.KIND: t.kind,
        Dimension.PLAN: t.plan,
        Dimension.AGE: t.age_band,
        Dimension.SITE: t.site_id,
    }
    named = [d for d in dims if d in stored]
    chosen = plan(connection, site, first, last, dims)
    daily = entry_sums(chosen, stored)
    groups = groups_of(connection, dims, daily.c.get("day"), {d: daily.c[f"by_{d}"] for d in named})
    query = select(
        *groups,
        func.sum(daily.c.entries),
        func.sum(daily.c.members),
        func.sum(daily.c.visitors),
        func.sum(daily.c.minutes),
    ).group_by(*groups)
    sums: defaultdict[Key, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0])
    for row in connection.execute(query).all():  # fetchall: 3,000 rows, not 3,000 fetchone
        *found, count, members, visitors, minutes = row
        cell = sums[group_key(dims, found, stored)]
        cell[0] += int(count or 0)
        cell[1] += int(members or 0)
        cell[2] += int(visitors or 0)
        cell[3] += float(minutes or 0.0)
    per_key, everyone = medians(connection, chosen, dims, stored)
    rows: list[tuple[Key, dict[str, Value]]] = [
        (
            key,
            {
                Measure.ENTRIES: int(e),
                Measure.PEOPLE: None,
                Measure.FIRST_TIME: None,
                Measure.MEMBERS: int(m),
                Measure.VISITORS: int(v),
                Measure.MEDIAN_MINUTES: per_key.get(key),
            },
        )
        for key, (e, m, v, _minutes) in sums.items()
    ]
    totals: dict[str, Value] = {
        Measure.ENTRIES: sum(int(c[0]) for c in sums.values()),
        Measure.PEOPLE: None,
        Measure.FIRST_TIME: None,
        Measure.MEMBERS: sum(int(c[1]) for c in sums.values()),
        Measure.VISITORS: sum(int(c[2]) for c in sums.values()),
        Measure.MEDIAN_MINUTES: everyone,
    }
    ask = Ask(connection, site, first, last, zone, tuple(dims), Report.ENTRIES, raw_since)
    method = distinct_per_site(ask, rows, totals)
    return ReportTable(
        name=Report.ENTRIES,
        dimensions=tuple(dims),
        measures=ENTRY_MEASURES,
        rows=tuple(sorted(rows, key=lambda r: r[0])),
        totals=totals,
        method=method,
        site=site,
        first_day=first,
        last_day=last,
    )


def usage_table(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: Sequence[str],
    zone: Any,
    raw_since: dt.date | None = None,
    trainings_of: Callable[[str], Sequence[str]] = lambda machine: (),
) -> ReportTable:
    """Machine sessions and hours from `first` to `last`, by `dims` (a machine's
    training: the trainings it requires, `trainings_of`; none, `UNKNOWN`)."""
    t = UsageTally
    stored: dict[str, Any] = {
        Dimension.HOUR: t.hour,
        Dimension.MACHINE: t.machine,
        Dimension.SITE: t.site_id,
    }
    needs_machine = Dimension.TRAINING in dims and Dimension.MACHINE not in dims
    columns = [t.day, *(stored[d] for d in dims if d in stored)]
    if needs_machine:
        columns.append(t.machine)
    query = (
        select(*columns, func.sum(t.sessions), func.sum(t.seconds))
        .where(t.day >= first, t.day <= last)
        .group_by(*columns)
    )
    if site is not None:
        query = query.where(t.site_id == site)
    sums: defaultdict[Key, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in connection.execute(query).all():  # fetchall: 3,000 rows, not 3,000 fetchone
        day: dt.date = row[0]
        values = list(row[1:])
        sessions, seconds = values[-2], values[-1]
        plain = values[:-2]
        named = dict(zip([d for d in dims if d in stored], plain, strict=False))
        machine = plain[-1] if needs_machine else named.get(Dimension.MACHINE, "")
        for training in trainings_of(str(machine)) or (UNKNOWN,):
            if Dimension.TRAINING in dims:
                named[Dimension.TRAINING] = training
            cell = sums[cell_key(dims, day, named)]
            cell[0] += int(sessions)
            cell[1] += float(seconds or 0.0)
            if Dimension.TRAINING not in dims:
                break
    rows: list[tuple[Key, dict[str, Value]]] = [
        (
            key,
            {
                Measure.SESSIONS: int(n),
                Measure.HOURS: round(seconds / 3600, 2),
                Measure.USERS: None,
            },
        )
        for key, (n, seconds) in sums.items()
    ]
    totals: dict[str, Value] = {
        Measure.SESSIONS: sum(int(c[0]) for c in sums.values())
        if not _per_training(dims)
        else None,
        Measure.HOURS: round(sum(c[1] for c in sums.values()) / 3600, 2)
        if not _per_training(dims)
        else None,
        Measure.USERS: None,
    }
    ask = Ask(
        connection, site, first, last, zone, tuple(dims), Report.USAGE, raw_since, trainings_of
    )
    method = distinct_per_site(ask, rows, totals)
    return ReportTable(
        name=Report.USAGE,
        dimensions=tuple(dims),
        measures=USAGE_MEASURES,
        rows=tuple(sorted(rows, key=lambda r: r[0])),
        totals=totals,
        method=method,
        site=site,
        first_day=first,
        last_day=last,
    )


def _per_training(dims: Sequence[str]) -> bool:
    # A machine requiring two trainings counts under each: the column has no total.
    return Dimension.TRAINING in dims
