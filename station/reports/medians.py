"""Median visit durations of an entry report, from the 5-minute duration buckets kept
in the cells and the roll-ups (`station.rollups.BUCKET_MINUTES`).

- A group that is one roll-up row (by day, by whole weeks or months) reads that row's
  own median (`EntryRollup.median`).
- A report read from roll-up rows alone adds up its groups' histograms here: some
  hundreds or thousands of rows, fetched once, cheaper than having the database expand
  every histogram into buckets (five years by weekday and hour: 25 ms, against 83 ms).
- A report that reads cells (two stored dimensions, or stale days) has the database
  sum the buckets by group and find each median bucket itself (a running sum over the
  buckets in order, a window function on SQLite and PostgreSQL alike); where several
  groups of the database make one row of the report (the communes outside the
  territory are one row), the histograms come here and are merged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Integer, cast, func, select

from station.figures import Dimension
from station.reports.entry_rows import (
    Plan,
    entry_buckets,
    entry_histograms,
    entry_medians,
    own_rows,
    plan,
    reads_cells,
    rollup_rows,
)
from station.reports.grouping import group_key, groups_of
from station.reports.table import Key
from station.rollups import BUCKET_MINUTES, median

# Dimensions whose values the report merges into one key (`commune_key`): the cells
# hold the codes, the roll-ups already the keys.
_MERGED = (Dimension.COMMUNE,)


def medians(
    connection: Connection, chosen: Plan, dims: Sequence[str], stored: Mapping[str, Any]
) -> tuple[dict[Key, float | None], float | None]:
    """Each report key's median minutes, and the whole range's."""
    named = [d for d in dims if d in stored]
    # The whole range's median does not depend on the groups: read from the roll-ups by
    # no dimension (month rows for five years), not from the report's own rows again.
    whole = entry_buckets(plan(connection, chosen.site, chosen.first, chosen.last, ()), stored)
    overall = connection.execute(
        select(whole.c.bucket, func.sum(whole.c.visits)).group_by(whole.c.bucket)
    )
    everyone = median({str(bucket): int(n) for bucket, n in overall})
    split = own_rows(chosen)
    if split is not None:  # by day, by whole weeks or months: each row's own median
        own, rest = split
        rows = entry_medians(chosen, own)
        grouped = groups_of(
            connection, dims, rows.c.get("day"), {d: rows.c[f"by_{d}"] for d in named}
        )
        found = connection.execute(select(*grouped, func.max(rows.c.median)).group_by(*grouped))
        per_key = {group_key(dims, row[:-1], stored): row[-1] for row in found.all()}
        if rest is not None:  # the days at the ends: other groups
            per_key |= _added(connection, entry_histograms(chosen, rest), dims, stored)
        return per_key, everyone
    if not reads_cells(chosen):  # roll-up rows only: some hundreds or thousands
        return _added(
            connection, entry_histograms(chosen, rollup_rows(chosen)), dims, stored
        ), everyone
    buckets = entry_buckets(chosen, stored)
    if any(d in _MERGED for d in dims):
        return _merged_in_python(connection, buckets, dims, stored), everyone
    return _found(connection, buckets, dims, stored), everyone


def _added(
    connection: Connection, rows: Any, dims: Sequence[str], stored: Mapping[str, Any]
) -> dict[Key, float | None]:
    """Each group's median from its rows' histograms added up here: fewer rows than
    buckets, so cheaper than making the database expand every histogram."""
    named = [d for d in dims if d in stored]
    groups = groups_of(connection, dims, rows.c.get("day"), {d: rows.c[f"by_{d}"] for d in named})
    merged: defaultdict[Key, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in connection.execute(select(*groups, rows.c.durations)):
        histogram = merged[group_key(dims, row[:-1], stored)]
        for bucket, n in (row[-1] or {}).items():
            histogram[bucket] += n
    return {key: median(histogram) for key, histogram in merged.items()}


def _found(
    connection: Connection, buckets: Any, dims: Sequence[str], stored: Mapping[str, Any]
) -> dict[Key, float | None]:
    """Each group's median bucket, found by the database (a running sum)."""
    named = [d for d in dims if d in stored]
    groups = groups_of(
        connection, dims, buckets.c.get("day"), {d: buckets.c[f"by_{d}"] for d in named}
    )
    labelled = [g.label(f"g{n}") for n, g in enumerate(groups)]
    histogram = (
        select(
            *labelled,
            cast(buckets.c.bucket, Integer).label("bucket"),
            func.sum(buckets.c.visits).label("visits"),
        )
        .group_by(*groups, buckets.c.bucket)
        .subquery()
    )
    keys = [histogram.c[f"g{n}"] for n in range(len(groups))]
    running = select(
        *keys,
        histogram.c.bucket,
        func.sum(histogram.c.visits)
        .over(partition_by=keys or None, order_by=histogram.c.bucket)
        .label("seen"),
        func.sum(histogram.c.visits).over(partition_by=keys or None).label("total"),
    ).subquery()
    found = [running.c[f"g{n}"] for n in range(len(groups))]
    query = (
        select(*found, func.min(running.c.bucket))
        .where(running.c.seen * 2 >= running.c.total)
        .group_by(*found)
    )
    per_key: dict[Key, float | None] = {}
    for row in connection.execute(query):
        *values, bucket = row
        if bucket is not None:  # no group: the aggregate's one row, of no visit timed
            per_key[group_key(dims, values, stored)] = int(bucket) + BUCKET_MINUTES / 2
    return per_key


def _merged_in_python(
    connection: Connection, buckets: Any, dims: Sequence[str], stored: Mapping[str, Any]
) -> dict[Key, float | None]:
    named = [d for d in dims if d in stored]
    groups = groups_of(
        connection, dims, buckets.c.get("day"), {d: buckets.c[f"by_{d}"] for d in named}
    )
    query = select(*groups, buckets.c.bucket, func.sum(buckets.c.visits)).group_by(
        *groups, buckets.c.bucket
    )
    merged: defaultdict[Key, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in connection.execute(query):
        *found, start, n = row
        merged[group_key(dims, found, stored)][str(start)] += int(n)
    return {key: median(histogram) for key, histogram in merged.items()}
