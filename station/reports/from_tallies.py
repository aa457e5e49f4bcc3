"""ReportTables from today's `station.tallies` rows: check-ins, machine sessions and hours.

Until the reports read the daily aggregates, this is what `station report` shows; the
tallies count no distinct people, so their tables carry only `entries`, or `sessions`
and `hours`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from station.communes import OTHER_COMMUNE, load_communes
from station.reports.table import UNKNOWN, Dimension, Key, Measure, Method, Report, ReportTable
from station.tallies import ENTRY_DIMENSIONS, USAGE_DIMENSIONS, TallyRow

TALLY_DIMENSIONS = {Report.ENTRIES: ENTRY_DIMENSIONS, Report.USAGE: USAGE_DIMENSIONS}
TALLY_MEASURES: dict[Report, tuple[Measure, ...]] = {
    Report.ENTRIES: (Measure.ENTRIES,),
    Report.USAGE: (Measure.SESSIONS, Measure.HOURS),
}


def tally_table(
    report: Report,
    rows: Iterable[TallyRow],
    dimensions: Sequence[str],
    *,
    site: str | None,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
) -> ReportTable:
    dims = tuple(dimensions)
    merged: defaultdict[Key, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in rows:
        sums = merged[_normalised(row.key, dims)]
        sums[0] += row.count
        sums[1] += row.hours
    values = [(key, _measures(report, count, hours)) for key, (count, hours) in merged.items()]
    count_all = sum(int(c) for c, _ in merged.values())
    hours_all = sum(h for _, h in merged.values())
    return ReportTable(
        name=report,
        dimensions=dims,
        measures=TALLY_MEASURES[report],
        rows=tuple(sorted(values, key=lambda row: row[0])),
        totals=_measures(report, count_all, hours_all),
        method=Method.RAW,
        site=site,
        first_day=first_day,
        last_day=last_day,
    )


def commune_key(code: str | None) -> str:
    """The commune key of a report: an INSEE code of the territory, `OTHER_COMMUNE` for
    any other commune (one row, "outside the territory"), `UNKNOWN` when not given."""
    if not code or code == UNKNOWN:
        return UNKNOWN
    if code == OTHER_COMMUNE or code in _territory():
        return code
    return OTHER_COMMUNE


def _normalised(key: Key, dims: tuple[str, ...]) -> Key:
    if Dimension.COMMUNE not in dims:
        return key
    return tuple(
        commune_key(v) if d == Dimension.COMMUNE else v for d, v in zip(dims, key, strict=True)
    )


def _measures(report: Report, count: float, hours: float) -> dict[str, int | float | None]:
    if report is Report.ENTRIES:
        return {Measure.ENTRIES: int(count)}
    return {Measure.SESSIONS: int(count), Measure.HOURS: round(hours, 2)}


def _territory() -> frozenset[str]:
    return frozenset(c.insee for c in load_communes())
