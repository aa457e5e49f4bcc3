"""The operator's measures of return as ReportTables: skills gained and companies created.

Skills gained (`Report.SKILLS`) gathers four counts: trainings granted (from the
registry's `member_trainings`, by the local day of `granted_at`; a renewal moves a
training to its new day, so each person's training counts once), digital-help
accompaniments (check-ins for a purpose with `digital_help = true`, from the daily
tallies, so they survive the purge), the distinct people helped (from the raw visits
while they still name the people, as `people` in the entries report), and the skills
staff recorded (`skill_records`, by `recorded_on`). A period dimension splits all four;
`training`, `skill` or `purpose` splits only the counts it applies to, and the table
then holds those (`measures_for`).

Companies created (`Report.COMPANIES`) counts `companies` by the day the company was
created, and by the offer that hosted it.

Both read a site's database or central's (every site when `site` is None) and both can
put the sites side by side (`site`): every count comes from rows that name their site.
A training granted at central names none (`origin_site` is empty): by site, it counts
under `UNKNOWN`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from station.aggregates import day_bounds
from station.db import Company, EntryTally, MemberTraining, SkillRecord, Visit
from station.reports.cells import DAY_DERIVED
from station.reports.entry_rows import entry_sums, plan
from station.reports.table import (
    COMPANY_MEASURES,
    PERIODS,
    SKILL_MEASURES,
    UNKNOWN,
    Dimension,
    Key,
    Measure,
    Method,
    Report,
    ReportTable,
    Row,
    Value,
)

_ORDERED_PERIODS = (
    Dimension.DAY,
    Dimension.WEEK,
    Dimension.MONTH,
    Dimension.QUARTER,
    Dimension.YEAR,
)
# What splits which counts of the skills report (a period splits them all).
SPLITS: dict[str, tuple[Measure, ...]] = {
    Dimension.TRAINING: (Measure.TRAININGS,),
    Dimension.PURPOSE: (Measure.ACCOMPANIMENTS, Measure.HELPED),
    Dimension.SKILL: (Measure.SKILLS,),
}
SKILL_DIMENSIONS = (*_ORDERED_PERIODS, *SPLITS, Dimension.SITE)
COMPANY_DIMENSIONS = (*_ORDERED_PERIODS, Dimension.OFFER, Dimension.SITE)


def measures_for(dims: Sequence[str]) -> tuple[Measure, ...]:
    """The skills report's columns when tallied by `dims` (one split at most)."""
    for dim in dims:
        if dim in SPLITS:
            return SPLITS[dim]
    return SKILL_MEASURES


def skills_table(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: Sequence[str],
    zone: Any,
    *,
    digital_help: Collection[str],
    raw_since: dt.date | None = None,
) -> ReportTable:
    """Skills gained from `first` to `last` (local days, both included), by `dims`;
    every site when `site` is None. `digital_help`: the purposes whose check-ins are
    accompaniments; `raw_since`: the first day whose visits still name the people."""
    splits = [d for d in dims if d in SPLITS]
    if len(splits) > 1:
        raise ValueError(f"skills split by one of training, purpose, skill; not {splits}")
    measures = measures_for(dims)
    counts: defaultdict[Key, dict[str, Value]] = defaultdict(dict)
    totals: dict[str, Value] = {}
    if Measure.TRAININGS in measures:
        totals |= _trainings(connection, site, first, last, dims, zone, counts)
    if Measure.SKILLS in measures:
        totals |= _skills(connection, site, first, last, dims, counts)
    method = Method.SKILLS_RAW
    if Measure.ACCOMPANIMENTS in measures:
        totals |= _accompaniments(connection, site, first, last, dims, digital_help, counts)
        if raw_since is not None and first < raw_since:
            method = Method.SKILLS_UNAVAILABLE
            totals[Measure.HELPED] = None
        else:
            totals |= _helped(connection, site, first, last, dims, zone, digital_help, counts)
    return _table(Report.SKILLS, dims, measures, counts, totals, method, site, first, last)


def companies_table(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: Sequence[str],
) -> ReportTable:
    """Companies created from `first` to `last` (by their creation day), by `dims`."""
    c = Company
    query = (
        select(c.created_on, c.offer, c.site_id, func.count())
        .where(c.created_on >= first, c.created_on <= last)
        .group_by(c.created_on, c.offer, c.site_id)
    )
    if site is not None:
        query = query.where(c.site_id == site)
    counts: defaultdict[Key, dict[str, Value]] = defaultdict(dict)
    total = 0
    for day, offer, at, n in connection.execute(query):
        key = _key(dims, day, {Dimension.OFFER: offer, Dimension.SITE: at})
        _add(counts, key, Measure.COMPANIES, int(n))
        total += int(n)
    totals: dict[str, Value] = {Measure.COMPANIES: total}
    return _table(
        Report.COMPANIES,
        dims,
        COMPANY_MEASURES,
        counts,
        totals,
        Method.RECORDS,
        site,
        first,
        last,
    )


def _trainings(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: Sequence[str],
    zone: Any,
    counts: defaultdict[Key, dict[str, Value]],
) -> dict[str, Value]:
    # Registry rows carry no site: a site's trainings are those granted there.
    t = MemberTraining
    start, _ = day_bounds(first, zone)
    _, end = day_bounds(last, zone)
    # A local day is known only once each row's moment is in the zone (in Python): when
    # every day of the range falls in one period of each asked (the yearly summary's
    # year), the database counts by training and site instead of a year's rows read.
    by_moment = not _one_period(dims, first, last)
    columns = [*([t.granted_at] if by_moment else []), t.training_code, t.origin_site]
    query = (
        select(*columns, func.count())
        .where(t.granted_at >= start, t.granted_at < end)
        .group_by(*columns)
    )
    if site is not None:
        query = query.where(t.origin_site == site)
    total = 0
    for *when, code, at, n in connection.execute(query):
        day = when[0].astimezone(zone).date() if when else first
        key = _key(dims, day, {Dimension.TRAINING: code, Dimension.SITE: at or UNKNOWN})
        _add(counts, key, Measure.TRAININGS, int(n))
        total += int(n)
    return {Measure.TRAININGS: total}


def _one_period(dims: Sequence[str], first: dt.date, last: dt.date) -> bool:
    """Whether every day from `first` to `last` has the same key in each period asked."""
    return all(DAY_DERIVED[d](first) == DAY_DERIVED[d](last) for d in dims if d in PERIODS)


def _skills(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: Sequence[str],
    counts: defaultdict[Key, dict[str, Value]],
) -> dict[str, Value]:
    s = SkillRecord
    query = (
        select(s.recorded_on, s.skill, s.site_id, func.count())
        .where(s.recorded_on >= first, s.recorded_on <= last)
        .group_by(s.recorded_on, s.skill, s.site_id)
    )
    if site is not None:
        query = query.where(s.site_id == site)
    total = 0
    for day, skill, at, n in connection.execute(query):
        key = _key(dims, day, {Dimension.SKILL: skill, Dimension.SITE: at})
        _add(counts, key, Measure.SKILLS, int(n))
        total += int(n)
    return {Measure.SKILLS: total}


def _accompaniments(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: Sequence[str],
    digital_help: Collection[str],
    counts: defaultdict[Key, dict[str, Value]],
) -> dict[str, Value]:
    """Check-ins for digital help, from the roll-ups by purpose where they serve (a
    year's cells are some 400,000 rows at a busy site: 130 ms of the yearly summary)."""
    periods = [d for d in dims if d in PERIODS]
    chosen = plan(connection, site, first, last, [Dimension.PURPOSE, Dimension.SITE, *periods])
    t = EntryTally
    sums = entry_sums(chosen, {Dimension.PURPOSE: t.purpose, Dimension.SITE: t.site_id})
    purpose, at = sums.c[f"by_{Dimension.PURPOSE}"], sums.c[f"by_{Dimension.SITE}"]
    day = sums.c.get("day")  # a period's row placed by its first day (`entry_rows.plan`)
    keys = [purpose, at, *([day] if day is not None else [])]
    query = (
        select(*keys, func.sum(sums.c.entries))
        .where(purpose.in_(list(digital_help)))
        .group_by(*keys)
    )
    total = 0
    for row in connection.execute(query):
        named: dict[str, str] = {Dimension.PURPOSE: str(row[0]), Dimension.SITE: str(row[1])}
        n = int(row[-1] or 0)
        when = row[2] if day is not None else first
        _add(counts, _key(dims, when, named), Measure.ACCOMPANIMENTS, n)
        total += n
    return {Measure.ACCOMPANIMENTS: total}


def _helped(
    connection: Connection,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: Sequence[str],
    zone: Any,
    digital_help: Collection[str],
    counts: defaultdict[Key, dict[str, Value]],
) -> dict[str, Value]:
    v = Visit
    start, _ = day_bounds(first, zone)
    _, end = day_bounds(last, zone)
    query = select(v.member_id, v.checked_in_at, v.purpose, v.site_id).where(
        v.checked_in_at >= start,
        v.checked_in_at < end,
        v.member_id.is_not(None),
        v.purpose.in_(list(digital_help)),
    )
    if site is not None:
        query = query.where(v.site_id == site)
    people: defaultdict[Key, set[Any]] = defaultdict(set)
    everyone: set[Any] = set()
    for person, moment, purpose, at in connection.execute(query):
        day = moment.astimezone(zone).date()
        # By site, a person helped at two sites counts at each; the total counts them once.
        people[_key(dims, day, {Dimension.PURPOSE: purpose, Dimension.SITE: at})].add(person)
        everyone.add(person)
    for key, who in people.items():
        counts[key][Measure.HELPED] = len(who)
    return {Measure.HELPED: len(everyone)}


def _add(counts: defaultdict[Key, dict[str, Value]], key: Key, measure: str, n: int) -> None:
    values = counts[key]
    values[measure] = int(values.get(measure) or 0) + n


def _key(dims: Sequence[str], day: dt.date, named: dict[str, str]) -> Key:
    return tuple(DAY_DERIVED[d](day) if d in PERIODS else str(named[d]) for d in dims)


def _table(
    report: Report,
    dims: Sequence[str],
    measures: tuple[Measure, ...],
    counts: dict[Key, dict[str, Value]],
    totals: dict[str, Value],
    method: str,
    site: str | None,
    first: dt.date,
    last: dt.date,
) -> ReportTable:
    # A cell one count reaches and another does not holds 0 for the other.
    rows: tuple[Row, ...] = tuple(
        (key, {str(m): values.get(m, 0 if totals.get(m) is not None else None) for m in measures})
        for key, values in sorted(counts.items())
    )
    return ReportTable(
        name=report,
        dimensions=tuple(dims),
        measures=measures,
        rows=rows,
        totals={m: totals.get(m) for m in measures},
        method=method,
        site=site,
        first_day=first,
        last_day=last,
    )
