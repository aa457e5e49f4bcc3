"""Where an entry report's figures are read: the roll-ups where they serve, the cells
for the rest (`station.rollups` says why both exist).

A report by at most one stored dimension (hour, space, purpose, commune, kind, plan or
age band; the site and the periods come free) reads the roll-ups of that dimension:
a whole calendar month as one month row when no asked period needs the days (day,
week, weekday), the other days as day rows, and the days changed since their last
roll-up (stale) from their cells. Any other report reads the cells. Both give the same
columns, so what sums them (`station.reports.from_aggregates`) does not know which.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    true,
    tuple_,
    union_all,
)

from station.db import EntryRollup, EntryTally
from station.figures import Dimension
from station.rollups import ROLLED, TOTAL, Grain, stale_days

# The periods a month row cannot place: they need the day.
_BY_DAY = (Dimension.DAY, Dimension.WEEK, Dimension.WEEKDAY)
_DAY_DERIVED = (
    Dimension.DAY,
    Dimension.WEEK,
    Dimension.MONTH,
    Dimension.QUARTER,
    Dimension.YEAR,
    Dimension.WEEKDAY,
)


def reads_cells(chosen: Plan) -> bool:
    """Whether some of the report's rows come from the cells (whose communes are codes,
    not yet the reports' keys)."""
    return chosen.dimension is None or bool(chosen.stale)


@dataclass(frozen=True)
class Plan:
    """Which rows of which table an entry report over `first`..`last` reads."""

    site: str | None
    first: dt.date
    last: dt.date
    dims: tuple[str, ...]
    dimension: str | None  # the roll-ups' dimension, None: the cells alone
    months: tuple[dt.date, ...]  # whole months read as month rows
    stale: frozenset[tuple[str, dt.date]]  # (site, day)s read from the cells

    @property
    def dated(self) -> bool:
        return any(d in _DAY_DERIVED for d in self.dims)


def plan(
    connection: Any, site: str | None, first: dt.date, last: dt.date, dims: Sequence[str]
) -> Plan:
    named = [d for d in dims if d in ROLLED]
    others = [d for d in dims if d not in ROLLED and d not in _DAY_DERIVED]
    if len(named) > 1 or any(d != Dimension.SITE for d in others):
        return Plan(site, first, last, tuple(dims), None, (), frozenset())
    stale = frozenset((s, day) for s, day in stale_days(connection, site) if first <= day <= last)
    months: list[dt.date] = []
    if not any(d in _BY_DAY for d in dims):
        month = first.replace(day=1) if first.day == 1 else _next_month(first)
        while _next_month(month) - dt.timedelta(days=1) <= last:
            months.append(month)
            month = _next_month(month)
    dimension = named[0] if named else TOTAL
    return Plan(site, first, last, tuple(dims), dimension, tuple(months), stale)


def one_row_per_group(chosen: Plan) -> bool:
    """Whether each group of the report is one roll-up row: by day (day rows), or by
    month over whole months (month rows), at one site or by site, nothing stale (the
    roll-ups' communes are already the reports' keys)."""
    if chosen.dimension is None or chosen.stale:
        return False
    if chosen.site is None and Dimension.SITE not in chosen.dims:
        return False
    if Dimension.DAY in chosen.dims:
        return True  # a report by day reads no month row
    whole = bool(chosen.months) and (
        chosen.first == chosen.months[0]
        and chosen.last == _next_month(chosen.months[-1]) - dt.timedelta(days=1)
    )
    return Dimension.MONTH in chosen.dims and whole


def entry_medians(chosen: Plan) -> Any:
    """A subquery of (day?, by_<dim>..., median) from the roll-up rows' own medians,
    for a plan whose every group is one row (`one_row_per_group`)."""
    r = EntryRollup
    return (
        _rollup_select(chosen, _rollup_rows(chosen))
        .add_columns(func.max(r.median).label("median"))
        .subquery()
    )


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def entry_sums(chosen: Plan, cells: Mapping[str, Any]) -> Any:
    """A subquery of (day?, by_<dim>..., entries, members, visitors, minutes)."""
    t, r = EntryTally, EntryRollup

    def from_cells(query_site: Any) -> Select[Any]:
        return _cells_select(chosen, cells, query_site).add_columns(
            func.sum(t.entries).label("entries"),
            func.sum(case((t.kind == "member", t.entries), else_=0)).label("members"),
            func.sum(case((t.kind == "visitor", t.entries), else_=0)).label("visitors"),
            func.sum(t.minutes).label("minutes"),
        )

    def from_rollups(condition: Any) -> Select[Any]:
        return _rollup_select(chosen, condition).add_columns(
            func.sum(r.entries).label("entries"),
            func.sum(r.members).label("members"),
            func.sum(r.visitors).label("visitors"),
            func.sum(r.minutes).label("minutes"),
        )

    return _union(chosen, from_cells, from_rollups)


def entry_buckets(chosen: Plan, cells: Mapping[str, Any]) -> Any:
    """A subquery of (day?, by_<dim>..., bucket, visits): the 5-minute buckets summed
    by the database (json_each, SQLite and PostgreSQL alike)."""
    t, r = EntryTally, EntryRollup

    def from_cells(query_site: Any) -> Select[Any]:
        bucket = func.json_each(t.durations).table_valued("key", "value")
        return (
            _cells_select(chosen, cells, query_site, bucket.c.key)
            .add_columns(
                cast(bucket.c.key, String).label("bucket"),
                func.sum(cast(cast(bucket.c.value, Text), Integer)).label("visits"),
            )
            .join(bucket, true())
            .where(t.timed > 0)
        )

    def from_rollups(condition: Any) -> Select[Any]:
        bucket = func.json_each(r.durations).table_valued("key", "value")
        return (
            _rollup_select(chosen, condition, bucket.c.key)
            .add_columns(
                cast(bucket.c.key, String).label("bucket"),
                func.sum(cast(cast(bucket.c.value, Text), Integer)).label("visits"),
            )
            .join(bucket, true())
            .where(r.timed > 0)
        )

    return _union(chosen, from_cells, from_rollups)


def _union(chosen: Plan, from_cells: Any, from_rollups: Any) -> Any:
    if chosen.dimension is None:
        return from_cells(None).subquery()
    parts = [from_rollups(_rollup_rows(chosen))]
    if chosen.stale:
        parts.append(from_cells(tuple_(EntryTally.site_id, EntryTally.day).in_(chosen.stale)))
    return union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


def _cells_select(
    chosen: Plan, cells: Mapping[str, Any], condition: Any, *extra_group: Any
) -> Select[Any]:
    t = EntryTally
    named = [d for d in chosen.dims if d in cells]
    days = [t.day] if chosen.dated else []
    labelled: list[Any] = [
        *(d.label("day") for d in days),
        *(cast(cells[d], String).label(f"by_{d}") for d in named),
    ]
    query = (
        select(*labelled)
        .select_from(t)
        .where(t.day >= chosen.first, t.day <= chosen.last)
        .group_by(*days, *(cells[d] for d in named), *extra_group)
    )
    if chosen.site is not None:
        query = query.where(t.site_id == chosen.site)
    return query.where(condition) if condition is not None else query


def _rollup_select(chosen: Plan, condition: Any, *extra_group: Any) -> Select[Any]:
    r = EntryRollup
    named = [d for d in chosen.dims if d in ROLLED or d == Dimension.SITE]
    columns = {d: (r.site_id if d == Dimension.SITE else r.value) for d in named}
    days = [r.start] if chosen.dated else []
    labelled: list[Any] = [
        *(d.label("day") for d in days),
        *(cast(columns[d], String).label(f"by_{d}") for d in named),
    ]
    query = (
        select(*labelled)
        .select_from(r)
        .where(r.dimension == chosen.dimension, condition)
        .group_by(*days, *(columns[d] for d in named), *extra_group)
    )
    if chosen.site is not None:
        query = query.where(r.site_id == chosen.site)
    return query


def _rollup_rows(chosen: Plan) -> Any:
    """The month rows of the whole months and the day rows of the other days, but for
    the (site, day)s read from the cells and the months they make stale."""
    r = EntryRollup
    day_rows = and_(r.grain == Grain.DAY, r.start >= chosen.first, r.start <= chosen.last)
    if chosen.stale:
        day_rows = and_(day_rows, tuple_(r.site_id, r.start).not_in(sorted(chosen.stale)))
    if not chosen.months:
        return day_rows
    stale_months = sorted({(s, day.replace(day=1)) for s, day in chosen.stale})
    month_rows = and_(r.grain == Grain.MONTH, r.start.in_(chosen.months))
    # The whole months are one run of months: their days are read from their month
    # rows, but where a day of the month is stale (the month row is behind).
    start, end = chosen.months[0], _next_month(chosen.months[-1])
    outside = or_(r.start < start, r.start >= end)
    if stale_months:
        month_rows = and_(month_rows, tuple_(r.site_id, r.start).not_in(stale_months))
        behind = [
            and_(r.site_id == s, r.start >= month, r.start < _next_month(month))
            for s, month in stale_months
        ]
        outside = or_(outside, *behind)
    return or_(month_rows, and_(day_rows, outside))
