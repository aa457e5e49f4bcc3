"""Late rows for periods already frozen: what central can still correct, exactly.

A site offline for longer than the retention uploads visits of days central's purge
already froze (`station.people.freeze`) and whose other rows are gone. Such a row
reaches the figures three ways:

- a period still open: `freeze` reads every row that names its person, the late ones
  before `people_since` too, and keeps the person's id for that period before the
  purge deletes the row (`period_members`), as for any row;
- a closed period not frozen yet, or frozen while its rows are all there: `freeze`
  counts it from the rows at its next call;
- a closed period frozen once its rows were partly gone (`count_late`, called by the
  upload in the transaction that stores the rows): its ids are gone, so the person
  is added only where they provably were not counted: their first visit at the site
  (`first_visits`, read before the upload records the batch's) is after the period,
  or the figure was zero. Either makes the added count exact.

What cannot be corrected stays as frozen (an undercount, never an overcount): a
person seen at the site before or during the period, in a non-zero figure (the late
row may be one more visit of someone already counted); a machine user in a non-zero
figure (no first machine use is kept); and the first-timers of a later period frozen
when a late row moves a person's first visit earlier.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, insert, select, update

from station.aggregates import day_bounds, local_day, people_since
from station.db import PeriodPeople
from station.figures import Report
from station.first_visits import first_visits_of
from station.people import COLUMNS, HISTORY, cell_value
from station.periods import PERIOD_KINDS, day_of, period_bounds, period_key

_FROZEN = cast(Table, PeriodPeople.__table__)
_CHUNK = 500  # ids per query: far below any database's limit on parameters

_Period = tuple[str, str]  # kind, key
_Cell = tuple[str, str]  # dimension, value ("", "": the total)


@dataclass
class _Late:
    """The batch's people per period frozen incomplete and per cell, and each one's
    earliest local day in the batch."""

    periods: defaultdict[_Period, defaultdict[_Cell, set[uuid.UUID]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )
    first: dict[uuid.UUID, dt.date] = field(default_factory=dict)


def count_late(
    connection: Connection,
    site_id: str,
    zone: ZoneInfo,
    report: Report,
    ids: Iterable[Any],
) -> int:
    """Add the people of these just stored rows (ids of visits or machine sessions) to
    the frozen figures of the periods that were frozen incomplete, where exact. Call
    it before the batch's first visits are recorded. The figures changed."""
    since = people_since(connection, site_id)
    wanted = list(ids)
    if since is None or not wanted:
        return 0  # nothing was ever purged: every frozen period is counted again
    late = _late_people(connection, site_id, zone, report, wanted, since)
    if not late.periods:
        return 0
    prior = first_visits_of(connection, site_id) if report is Report.ENTRIES else {}
    firsts = {p: min(day, prior.get(p, day)) for p, day in late.first.items()}
    changed = 0
    for period, cells in late.periods.items():
        known = {p: prior[p] for p in cells[("", "")] if p in prior}
        changed += _correct(connection, site_id, report, period, cells, known, firsts)
    return changed


def _late_people(
    connection: Connection,
    site_id: str,
    zone: ZoneInfo,
    report: Report,
    ids: list[Any],
    since: dt.date,
) -> _Late:
    model, member, at = HISTORY[report]
    frozen = _frozen_periods(connection, site_id, report)
    columns = COLUMNS[report]
    # A period starting before `since` holds no day past the first week of next year.
    until = day_bounds(dt.date(since.year + 1, 1, 8), zone)[0]
    late = _Late()
    for start in range(0, len(ids), _CHUNK):
        rows = connection.execute(
            select(member, at, *columns.values()).where(
                model.id.in_(ids[start : start + _CHUNK]),
                model.site_id == site_id,
                member.is_not(None),
                at < until,
            )
        )
        for person, moment, *raw in rows:
            day = local_day(moment, zone)
            late.first[person] = min(day, late.first.get(person, day))
            for kind in PERIOD_KINDS:
                period = (kind, period_key(kind, day))
                if period_bounds(kind, day)[0] >= since or period not in frozen:
                    continue  # counted again by `freeze`, or open
                cells = late.periods[period]
                cells[("", "")].add(person)
                for dimension, value in zip(columns, raw, strict=True):
                    cells[(dimension, cell_value(dimension, value))].add(person)
    return late


def _correct(
    connection: Connection,
    site_id: str,
    report: Report,
    period: _Period,
    cells: Mapping[_Cell, set[uuid.UUID]],
    prior: Mapping[uuid.UUID, dt.date],
    firsts: Mapping[uuid.UUID, dt.date],
) -> int:
    """Add to one frozen period's figures the people provably not in them. The
    figures changed."""
    kind, key = period
    start, end = period_bounds(kind, day_of(kind, key))
    figures = _figures(connection, site_id, report, period)
    stamp = figures[("", "")][2]
    # Not at the site before the period's end: counted in none of its figures (only
    # visits say it: a machine user's first session is not kept).
    new = {
        p
        for p in cells[("", "")]
        if report is Report.ENTRIES and (p not in prior or prior[p] > end)
    }
    changed = 0
    for cell, people in cells.items():
        count, first_time, _ = figures.get(cell, (0, None, stamp))
        added = people if count == 0 else people & new
        if not added:
            continue
        values: dict[str, Any] = {"people": count + len(added), "first_time": None}
        if report is Report.ENTRIES:
            news = sum(1 for p in added if start <= firsts[p] <= end)
            values["first_time"] = (first_time or 0) + news
        where = (*_where(site_id, report, period), *_cell_is(cell))
        if cell in figures:
            connection.execute(update(_FROZEN).where(*where).values(**values))
        else:
            row = {"dimension": cell[0], "value": cell[1], "frozen_at": stamp, **values}
            connection.execute(insert(_FROZEN).values(**_key(site_id, report, period), **row))
        changed += 1
    return changed


def _key(site_id: str, report: Report, period: _Period) -> dict[str, str]:
    return {"site_id": site_id, "report": report.value, "period": period[0], "key": period[1]}


def _where(site_id: str, report: Report, period: _Period) -> tuple[Any, ...]:
    return (
        _FROZEN.c.site_id == site_id,
        _FROZEN.c.report == report.value,
        _FROZEN.c.period == period[0],
        _FROZEN.c.key == period[1],
    )


def _cell_is(cell: _Cell) -> tuple[Any, ...]:
    return (_FROZEN.c.dimension == cell[0], _FROZEN.c.value == cell[1])


def _figures(
    connection: Connection, site_id: str, report: Report, period: _Period
) -> dict[_Cell, tuple[int, int | None, dt.datetime]]:
    rows = connection.execute(
        select(
            _FROZEN.c.dimension,
            _FROZEN.c.value,
            _FROZEN.c.people,
            _FROZEN.c.first_time,
            _FROZEN.c.frozen_at,
        ).where(*_where(site_id, report, period))
    )
    return {(d, v): (people, first, at) for d, v, people, first, at in rows}


def _frozen_periods(connection: Connection, site_id: str, report: Report) -> set[_Period]:
    rows = connection.execute(
        select(_FROZEN.c.period, _FROZEN.c.key).where(
            _FROZEN.c.site_id == site_id,
            _FROZEN.c.report == report.value,
            _FROZEN.c.dimension == "",
        )
    )
    return {(kind, key) for kind, key in rows}
