"""The reports' figures by site for one range, one grouped query per figure for every
site at once: what the dashboard shows side by side. The report by site
(`station.reports.from_aggregates`) counts each site's distinct people in Python, site
after site (1.6 s for 60,000 visits of three sites on SQLite); here the database counts
them (COUNT DISTINCT ... GROUP BY site), and the check-ins come from the roll-ups
where they serve (`station.reports.entry_rows`: a year's entry cells are some 400,000
rows at a busy site, its roll-ups a few dozen). Unpublished: `station.reports.publish`
hides the small cells."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, null, select, union_all

from station.aggregates import day_bounds
from station.db import EntryTally, FirstVisit, MachineSession, UsageTally, Visit
from station.reports.entry_rows import entry_sums, plan
from station.reports.table import (
    Dimension,
    Key,
    Measure,
    Method,
    Report,
    ReportTable,
    Value,
)


def entries_by_site(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    zone: ZoneInfo,
    raw_since: dt.date | None,
) -> ReportTable:
    """Check-ins (from the tallies), distinct people and first-timers by site."""
    entries = _entries(connection, site, first, last)
    measures: dict[str, tuple[dict[str, Value], Value]] = {Measure.ENTRIES: entries}
    known = raw_since is None or first >= raw_since  # as the reports: no people otherwise
    if known:
        start, end = day_bounds(first, zone)[0], day_bounds(last, zone)[1]
        v = Visit
        in_range = (v.checked_in_at >= start, v.checked_in_at < end, v.member_id.is_not(None))
        measures[Measure.PEOPLE] = _distinct(connection, v.site_id, v.member_id, site, *in_range)
        measures[Measure.FIRST_TIME] = _first_timers(connection, site, first, last)
    return _table(Report.ENTRIES, site, first, last, measures, known)


def usage_by_site(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    zone: ZoneInfo,
    raw_since: dt.date | None,
) -> ReportTable:
    """Machine sessions and hours (from the tallies) and distinct users by site."""
    u = UsageTally
    days = (u.day >= first, u.day <= last)
    sessions = _grouped(connection, u.site_id, func.sum(u.sessions), site, *days)
    per_site, total = _grouped(connection, u.site_id, func.sum(u.seconds), site, *days)
    hours: tuple[dict[str, Value], Value] = (
        {s: round(float(n or 0) / 3600, 2) for s, n in per_site.items()},
        round(float(total or 0) / 3600, 2),
    )
    measures: dict[str, tuple[dict[str, Value], Value]] = {
        Measure.SESSIONS: sessions,
        Measure.HOURS: hours,
    }
    known = raw_since is None or first >= raw_since
    if known:
        start, end = day_bounds(first, zone)[0], day_bounds(last, zone)[1]
        m = MachineSession
        in_range = (m.started_at >= start, m.started_at < end, m.member_id.is_not(None))
        measures[Measure.USERS] = _distinct(connection, m.site_id, m.member_id, site, *in_range)
    return _table(Report.USAGE, site, first, last, measures, known)


def _entries(
    connection: Connection, site: str | None, first: dt.date, last: dt.date
) -> tuple[dict[str, Value], Value]:
    """Check-ins per site and in all, from the roll-ups where they serve (some hundreds
    of rows for a year) and the cells of the days changed since (`entry_rows`): a
    year's cells are some 400,000."""
    chosen = plan(connection, site, first, last, [Dimension.SITE])
    sums = entry_sums(chosen, {Dimension.SITE: EntryTally.site_id})
    by_site = sums.c[f"by_{Dimension.SITE}"]
    rows = connection.execute(select(by_site, func.sum(sums.c.entries)).group_by(by_site))
    per_site: dict[str, Value] = {str(s): _number(n) for s, n in rows}
    return per_site, _number(connection.execute(select(func.sum(sums.c.entries))).scalar())


def _grouped(
    connection: Connection, by: Any, figure: Any, site: str | None, *where: Any
) -> tuple[dict[str, Value], Value]:
    """`figure` per site and over the sites asked for."""
    scope = (*where, by == site) if site is not None else where
    rows = connection.execute(select(by, figure).where(*scope).group_by(by))
    per_site: dict[str, Value] = {str(s): _number(n) for s, n in rows}
    return per_site, _number(connection.execute(select(figure).where(*scope)).scalar())


def _distinct(
    connection: Connection, by: Any, person: Any, site: str | None, *where: Any
) -> tuple[dict[str, Value], Value]:
    """Distinct people per site and over the sites asked for (a distinct count does not
    add) in one reading of the rows: the (site, person) pairs once, both counts from
    them. Two COUNT DISTINCT read a month's 73,000 visits twice (100 ms at central)."""
    scope = (*where, by == site) if site is not None else where
    pairs = select(by.label("site"), person.label("person")).where(*scope).distinct().cte()
    per_site = select(pairs.c.site, func.count()).group_by(pairs.c.site)
    overall = select(null().label("site"), func.count(func.distinct(pairs.c.person)))
    found: dict[str, Value] = {}
    total: Value = 0
    for key, n in connection.execute(union_all(per_site, overall)):
        if key is None:
            total = _number(n)
        else:
            found[str(key)] = _number(n)
    return found, total


def _first_timers(
    connection: Connection, site: str | None, first: dt.date, last: dt.date
) -> tuple[dict[str, Value], Value]:
    """People whose first day at the site falls in the range; in all, whose first day
    at any of the sites asked for does."""
    f = FirstVisit
    per_site, _ = _grouped(connection, f.site_id, func.count(), site, f.day >= first, f.day <= last)
    earliest = select(func.min(f.day).label("day")).group_by(f.member_id)
    if site is not None:
        earliest = earliest.where(f.site_id == site)
    sub = earliest.subquery()
    total = connection.execute(
        select(func.count()).select_from(sub).where(sub.c.day >= first, sub.c.day <= last)
    ).scalar()
    return per_site, _number(total)


def _number(value: Any) -> Value:
    if value is None:
        return 0
    return float(value) if isinstance(value, float) else int(value)


def _table(
    report: Report,
    site: str | None,
    first: dt.date,
    last: dt.date,
    measures: dict[str, tuple[dict[str, Value], Value]],
    known: bool,
) -> ReportTable:
    sites = sorted({s for per_site, _ in measures.values() for s in per_site})
    names = tuple(measures)
    rows: list[tuple[Key, dict[str, Value]]] = [
        ((s,), {m: measures[m][0].get(s, 0) for m in names}) for s in sites
    ]
    return ReportTable(
        name=report,
        dimensions=(Dimension.SITE,),
        measures=names,
        rows=tuple(rows),
        totals={m: measures[m][1] for m in names},
        method=Method.RAW if known else Method.UNAVAILABLE,
        site=site,
        first_day=first,
        last_day=last,
    )
