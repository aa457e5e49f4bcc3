"""Every site's year side by side (the console's dashboard): people served this month and
this year, first-timers, machine hours, and check-ins against the same days of last year.

The figures are the reports' (counted by site at once, `station.reports.site_counts`),
published: the same counts as /reports by site for the same days,
with the same small cells hidden (`< 5`, or `s` for a complement), so a figure read on
the dashboard is never one the reports would hide. The trend compares check-ins (kept in
the tallies for as long as central keeps figures, unlike the people behind them) and is
shown only when both years' check-ins are published.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from station.aggregates import people_since
from station.reports.publish import publish
from station.reports.site_counts import entries_by_site, usage_by_site
from station.reports.table import (
    TOTAL,
    Key,
    Measure,
    Report,
    ReportTable,
    Secrecy,
    Value,
)


@dataclass(frozen=True)
class Figure:
    value: Value  # None: hidden (`secrecy`) or not known (the people behind it purged)
    secrecy: Secrecy | None = None


@dataclass(frozen=True)
class SiteYear:
    site: str | None  # None: every site together
    month_people: Figure  # distinct people, this month to date
    year_people: Figure  # distinct people, this year to date
    first_timers: Figure  # people whose first check-in at the site falls this year
    hours: Figure  # machine hours this year
    entries: Figure  # check-ins this year
    trend: float | None  # % of check-ins against the same days last year; None: no figure


@dataclass(frozen=True)
class SideBySide:
    today: dt.date
    sites: list[SiteYear]
    total: SiteYear | None  # None when one site is asked for


def side_by_side(
    connection: Connection, today: dt.date, zone: ZoneInfo, site: str | None = None
) -> SideBySide:
    """The year to `today` (local) of every site (`site` None) or of `site` alone."""
    raw_since = people_since(connection, site)

    def table(report: Report, first: dt.date, last: dt.date) -> ReportTable:
        by_site = entries_by_site if report is Report.ENTRIES else usage_by_site
        return publish(by_site(connection, site, first, last, zone, raw_since))

    january = today.replace(month=1, day=1)
    month = table(Report.ENTRIES, today.replace(day=1), today)
    year = table(Report.ENTRIES, january, today)
    last = table(Report.ENTRIES, january.replace(year=today.year - 1), _a_year_before(today))
    usage = table(Report.USAGE, january, today)
    keys = sorted({key for t in (month, year, last, usage) for key, _ in t.rows})

    def row(key: Key) -> SiteYear:
        this = _figure(year, key, Measure.ENTRIES)
        return SiteYear(
            site=key[0] if key else None,
            month_people=_figure(month, key, Measure.PEOPLE),
            year_people=_figure(year, key, Measure.PEOPLE),
            first_timers=_figure(year, key, Measure.FIRST_TIME),
            hours=_figure(usage, key, Measure.HOURS),
            entries=this,
            trend=trend(this, _figure(last, key, Measure.ENTRIES)),
        )

    return SideBySide(
        today=today,
        sites=[row(key) for key in keys],
        total=row(TOTAL) if site is None else None,
    )


def trend(this: Figure, last: Figure) -> float | None:
    """This year's change against last year's, in % (signed, one decimal); None when
    either is hidden or last year had none (no percentage of nothing)."""
    if this.secrecy or last.secrecy or not last.value or this.value is None:
        return None
    return round((float(this.value) - float(last.value)) * 100 / float(last.value), 1)


def _a_year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February: last year's February ended on the 28th
        return day.replace(year=day.year - 1, day=28)


def _figure(table: ReportTable, key: Key, measure: str) -> Figure:
    secrecy = table.secrecy(key, measure)
    if key == TOTAL:
        value = table.totals.get(measure)
    else:
        value = next((row.get(measure) for k, row in table.rows if k == key), 0)
    return Figure(None if secrecy else value, secrecy)
