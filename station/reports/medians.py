"""Median visit durations of an entry report, from the 5-minute duration buckets kept
in the cells and the roll-ups (`station.aggregates.BUCKET_MINUTES`).

The database sums the buckets by the report's groups and finds each group's median
bucket itself (a running sum over the buckets in order, by a window function: SQLite
and PostgreSQL alike), so a report by day over five years receives one row a day, not
one a day and bucket. Where several groups of the database make one row of the report
(the communes outside the territory are one row), the histograms come to Python and
are merged there.
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
    entry_medians,
    own_rows,
    plan,
    reads_cells,
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
    buckets = entry_buckets(chosen, stored)
    groups = groups_of(
        connection, dims, buckets.c.get("day"), {d: buckets.c[f"by_{d}"] for d in named}
    )
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
        per_key = {group_key(dims, row[:-1], stored): row[-1] for row in found}
        if rest is not None:  # the days at the ends: other groups
            per_key |= _found(connection, entry_buckets(chosen, stored, rest), dims, stored)
        return per_key, everyone
    if reads_cells(chosen) and any(d in _MERGED for d in dims):
        return _merged_in_python(connection, buckets, groups, dims, stored), everyone
    return _found(connection, buckets, dims, stored), everyone


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
        per_key[group_key(dims, values, stored)] = int(bucket) + BUCKET_MINUTES / 2
    return per_key


def _merged_in_python(
    connection: Connection,
    buckets: Any,
    groups: list[Any],
    dims: Sequence[str],
    stored: Mapping[str, Any],
) -> dict[Key, float | None]:
    query = select(*groups, buckets.c.bucket, func.sum(buckets.c.visits)).group_by(
        *groups, buckets.c.bucket
    )
    merged: defaultdict[Key, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in connection.execute(query):
        *found, start, n = row
        merged[group_key(dims, found, stored)][str(start)] += int(n)
    return {key: median(histogram) for key, histogram in merged.items()}
