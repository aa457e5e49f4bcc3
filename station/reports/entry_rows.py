"""Where an entry report's figures are read: the roll-ups where they serve, the cells
for the rest (`station.rollups` says why both exist).

A report by at most one stored dimension (hour, space, purpose, commune, kind, plan or
age band; the site and the periods come free) reads the roll-ups of that dimension:
its range tiled with the coarsest rows that can be placed in the periods it asks for
(whole years and months, whole ISO weeks, whole years and months of each weekday;
days at the ends), and the days changed since their last roll-up (stale) from their
cells. Any other report reads the cells. Both give the same
columns, so what sums them (`station.reports.from_aggregates`) does not know which.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
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
    false,
    func,
    or_,
    select,
    true,
    tuple_,
    union_all,
)

from station.db import EntryRollup, EntryTally
from station.figures import Dimension
from station.rollups import ROLLED, TOTAL, Grain, period_span, stale_days

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
    grains: tuple[Grain, ...]  # the roll-ups' grains it may read, the coarsest first
    stale: frozenset[tuple[str, dt.date]]  # (site, day)s read from the cells
    # Central holds one site's figures: every site's groups are that site's rows.
    one_site: bool = False

    @property
    def dated(self) -> bool:
        return any(d in _DAY_DERIVED for d in self.dims)


# The periods a row of each grain can be placed in (its `start` is in the same ones
# as every day it counts); the chains, coarsest first, of grains that tile a range.
_PLACES: Mapping[Grain, frozenset[str]] = {
    Grain.DAY: frozenset(_DAY_DERIVED),
    Grain.WEEK: frozenset({Dimension.WEEK}),
    Grain.MONTH: frozenset({Dimension.MONTH, Dimension.QUARTER, Dimension.YEAR}),
    Grain.YEAR: frozenset({Dimension.YEAR}),
    Grain.MONTH_WEEKDAY: frozenset(
        {Dimension.WEEKDAY, Dimension.MONTH, Dimension.QUARTER, Dimension.YEAR}
    ),
    Grain.YEAR_WEEKDAY: frozenset({Dimension.WEEKDAY, Dimension.YEAR}),
}
_CHAINS = (
    (Grain.YEAR, Grain.MONTH),
    (Grain.WEEK,),
    (Grain.YEAR_WEEKDAY, Grain.MONTH_WEEKDAY),
)


# More stale days than this in a range and the report reads the cells alone: the stale
# (site, day)s are bound one by one in its statements, which have a bound of their own.
_MOST_STALE = 2_000


def plan(
    connection: Any, site: str | None, first: dt.date, last: dt.date, dims: Sequence[str]
) -> Plan:
    named = [d for d in dims if d in ROLLED]
    others = [d for d in dims if d not in ROLLED and d not in _DAY_DERIVED]
    if len(named) > 1 or any(d != Dimension.SITE for d in others):
        return Plan(site, first, last, tuple(dims), None, (), frozenset())
    stale = frozenset((s, day) for s, day in stale_days(connection, site) if first <= day <= last)
    if len(stale) > _MOST_STALE:  # never rolled up yet (a database just migrated)
        return Plan(site, first, last, tuple(dims), None, (), frozenset())
    periods = {d for d in dims if d in _DAY_DERIVED}
    grains: tuple[Grain, ...] = ()
    for chain in _CHAINS:  # the first chain that places the periods asked
        placed = tuple(g for g in chain if periods <= _PLACES[g])
        if placed:
            grains = placed
            break
    dimension = named[0] if named else TOTAL
    grained = (*grains, Grain.DAY)
    one_site = site is not None or _one_site(connection)
    return Plan(site, first, last, tuple(dims), dimension, grained, stale, one_site)


def _one_site(connection: Any) -> bool:
    """Whether the cells are of one site at most: two probes of the site's index."""
    column = EntryTally.site_id
    lowest = connection.execute(select(func.min(column))).scalar()
    return (
        lowest is None
        or connection.execute(select(column).where(column > lowest).limit(1)).first() is None
    )


def tile(
    first: dt.date, last: dt.date, grains: Sequence[Grain], holes: frozenset[dt.date]
) -> list[tuple[Grain, dt.date, dt.date]]:
    """The rows that count every day of `first`..`last` once, but the `holes`: runs of
    (grain, first start, last day) of the coarsest grain whose periods lie whole in the
    range and hold no hole, the rest in finer grains; days alone at the end."""
    grain, finer = grains[0], grains[1:]
    runs: list[tuple[Grain, dt.date, dt.date]] = []
    day = first
    while day <= last:
        start, end = period_span(grain, day)
        whole = start >= first and end <= last and not any(start <= h <= end for h in holes)
        if grain == Grain.DAY:
            if day not in holes:
                _extend(runs, grain, day, day)
        elif whole:
            _extend(runs, grain, start, end)
        else:
            runs.extend(tile(max(first, start), min(last, end), finer, holes))
        day = end + dt.timedelta(days=1)
    return runs


def _extend(
    runs: list[tuple[Grain, dt.date, dt.date]], grain: Grain, start: dt.date, end: dt.date
) -> None:
    if runs and runs[-1][0] == grain and runs[-1][2] + dt.timedelta(days=1) == start:
        runs[-1] = (grain, runs[-1][1], end)
    else:
        runs.append((grain, start, end))


# What a group must be keyed by for one row of the grain to make it alone.
_OWN: Mapping[Grain, frozenset[str]] = {
    Grain.DAY: frozenset({Dimension.DAY}),
    Grain.WEEK: frozenset({Dimension.WEEK}),
    Grain.MONTH: frozenset({Dimension.MONTH}),
    Grain.YEAR: frozenset({Dimension.YEAR}),
    Grain.MONTH_WEEKDAY: frozenset({Dimension.MONTH, Dimension.WEEKDAY}),
    Grain.YEAR_WEEKDAY: frozenset({Dimension.YEAR, Dimension.WEEKDAY}),
}


def own_rows(chosen: Plan) -> tuple[Any, Any | None] | None:
    """Where the report's groups are one roll-up row each, and where not: the rows of
    the grains its groups are keyed by (by week, the whole weeks' rows; by month, the
    whole months'), and the others (the days at the ends), or None if no grain is; None
    too where days are stale or rows of several sites make a group."""
    if chosen.dimension is None or chosen.stale:
        return None
    if not chosen.one_site and Dimension.SITE not in chosen.dims:
        return None
    runs = tile(chosen.first, chosen.last, chosen.grains, _NONE)
    own = [run for run in runs if _OWN[run[0]] <= set(chosen.dims)]
    if not own:
        return None
    rest = [run for run in runs if run not in own]
    return _rows_of(own), (_rows_of(rest) if rest else None)


_NONE: frozenset[dt.date] = frozenset()


def entry_medians(chosen: Plan, rows: Any) -> Any:
    """A subquery of (day?, by_<dim>..., median) from the roll-up rows' own medians,
    for `rows` each of which is a group of its own (`own_rows`)."""
    r = EntryRollup
    return _rollup_select(chosen, rows).add_columns(func.max(r.median).label("median")).subquery()


def entry_histograms(chosen: Plan, rows: Any) -> Any:
    """A subquery of (day?, by_<dim>..., durations): the roll-up rows themselves, with
    their duration histograms (for the groups of several rows, added up in Python)."""
    r = EntryRollup
    named = [d for d in chosen.dims if d in ROLLED or d == Dimension.SITE]
    columns = {d: (r.site_id if d == Dimension.SITE else r.value) for d in named}
    labelled: list[Any] = [
        *([r.start.label("day")] if chosen.dated else []),
        *(cast(columns[d], String).label(f"by_{d}") for d in named),
        r.durations,
    ]
    query = select(*labelled).where(r.dimension == chosen.dimension, rows, r.timed > 0)
    if chosen.site is not None:
        query = query.where(r.site_id == chosen.site)
    return query.subquery()


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
    parts = [from_rollups(rollup_rows(chosen))]
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


def rollup_rows(chosen: Plan) -> Any:
    """The roll-up rows that count each day of the range once: the range tiled with the
    coarsest grains that serve (`tile`), per site where some of its days are stale
    (those read from the cells, and the coarser rows holding them left out)."""
    r = EntryRollup
    holes: defaultdict[str, set[dt.date]] = defaultdict(set)
    for site, day in chosen.stale:
        holes[site].add(day)
    whole = _rows_of(tile(chosen.first, chosen.last, chosen.grains, _NONE))
    if not holes:
        return whole
    parts = [and_(r.site_id.not_in(sorted(holes)), whole)]
    for site, days in sorted(holes.items()):
        runs = tile(chosen.first, chosen.last, chosen.grains, frozenset(days))
        parts.append(and_(r.site_id == site, _rows_of(runs)))
    return or_(*parts)


def _rows_of(runs: Sequence[tuple[Grain, dt.date, dt.date]]) -> Any:
    """The roll-up rows of these runs (grain, first start, last day)."""
    r = EntryRollup
    if not runs:
        return false()
    return or_(*(and_(r.grain == g, r.start >= a, r.start <= b) for g, a, b in runs))
