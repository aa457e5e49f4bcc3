"""Distinct people, first-timers and users of a report's cells: from the raw rows while
they still name their people, from the figures frozen when each period closed before
that (`station.people`), and said unavailable otherwise (`Method`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection, select

from station.aggregates import day_bounds
from station.db import MachineSession, Visit
from station.first_visits import first_visits_of
from station.people import FROZEN_DIMENSIONS, frozen_figures
from station.periods import PERIOD_KINDS, one_period, period_key, periods, whole
from station.reports.cells import DAY_DERIVED, cell_key
from station.reports.table import UNKNOWN, Dimension, Key, Measure, Method, Report, Value

Cells = Sequence[tuple[Key, dict[str, Value]]]


def _no_trainings(machine: str) -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class Ask:
    """What a report asks the distinct counts of: where, which days, by what."""

    connection: Connection
    site: str | None  # None: every site (central)
    first: dt.date
    last: dt.date
    zone: Any
    dims: tuple[str, ...]
    report: Report
    raw_since: dt.date | None  # the first day whose rows still name their people
    trainings_of: Callable[[str], Sequence[str]] = _no_trainings


def distinct_per_site(ask: Ask, rows: Cells, totals: dict[str, Value]) -> str:
    """Fill the cells' and the range's distinct counts in place; the method. With sites
    side by side, each site's rows are counted at that site (the site taken out of
    their keys), the range's total over the sites asked for."""
    if Dimension.SITE not in ask.dims:
        return _distinct(ask, rows, totals)
    at = ask.dims.index(Dimension.SITE)
    rest = tuple(d for d in ask.dims if d != Dimension.SITE)
    of_site: defaultdict[str, list[tuple[Key, dict[str, Value]]]] = defaultdict(list)
    for key, values in rows:  # the same dicts: `_distinct` fills them in place
        of_site[key[at]].append((key[:at] + key[at + 1 :], values))
    methods = {
        _distinct(replace(ask, site=one, dims=rest), cells, {}) for one, cells in of_site.items()
    }
    methods.add(_distinct(replace(ask, dims=rest), [], totals))
    return Method.UNAVAILABLE if Method.UNAVAILABLE in methods else methods.pop()


def _distinct(ask: Ask, rows: Cells, totals: dict[str, Value]) -> str:
    """Fill each cell's distinct people (and first-timers), and the range's: from the
    raw rows when they still name the people for the whole range (from `raw_since`, the
    first such day); before that, from the figures frozen when each period closed
    (`station.people`) when the range and the dimensions are made of them. The method
    that says how, or why not."""
    if ask.raw_since is None or ask.first >= ask.raw_since:
        _count_raw(ask, (ask.first, ask.last), rows, totals)
        return Method.RAW
    if ask.site is None:
        return Method.UNAVAILABLE  # frozen per site: people of several sites do not add up
    return _from_frozen(ask, ask.site, ask.raw_since, rows, totals)


def _count_raw(
    ask: Ask, span: tuple[dt.date, dt.date], rows: Cells, totals: dict[str, Value]
) -> None:
    connection, site, zone, dims, report = ask.connection, ask.site, ask.zone, ask.dims, ask.report
    trainings_of = ask.trainings_of
    first, last = span
    start, _ = day_bounds(first, zone)
    _, end = day_bounds(last, zone)
    if report is Report.ENTRIES:
        v = Visit
        columns: dict[str, Any] = {
            Dimension.SPACE: v.space,
            Dimension.PURPOSE: v.purpose,
            Dimension.COMMUNE: v.home_commune,
            Dimension.KIND: v.member_kind,
            Dimension.PLAN: v.plan,
            Dimension.AGE: v.age_band,
        }
        member, at, where, measure = v.member_id, v.checked_in_at, v.site_id, Measure.PEOPLE
    else:
        m = MachineSession
        columns = {Dimension.MACHINE: m.resource, Dimension.TRAINING: m.resource}
        member, at, where, measure = m.member_id, m.started_at, m.site_id, Measure.USERS
    plain = [d for d in dims if d in columns]
    query = select(member, at, *(columns[d] for d in plain)).where(
        at >= start, at < end, member.is_not(None)
    )
    if site is not None:
        query = query.where(where == site)
    people: defaultdict[Key, set[Any]] = defaultdict(set)
    everyone: set[Any] = set()
    for person, moment, *found in connection.execute(query):
        local = moment.astimezone(zone)
        named: dict[str, Any] = dict(zip(plain, found, strict=True))
        named[Dimension.HOUR] = local.hour
        trainings: Sequence[str] = ("",)
        if Dimension.TRAINING in dims:
            trainings = trainings_of(str(named[Dimension.TRAINING])) or (UNKNOWN,)
        for training in trainings:
            if Dimension.TRAINING in dims:
                named[Dimension.TRAINING] = training
            people[cell_key(dims, local.date(), named)].add(person)
        everyone.add(person)
    for key, values in rows:
        values[measure] = len(people.get(key, ()))
    totals[measure] = len(everyone)
    if report is not Report.ENTRIES:
        return
    # A first-timer of a cell: in the cell, and their first day falls in the cell's days.
    firsts = first_visits_of(connection, site)
    for key, values in rows:
        values[Measure.FIRST_TIME] = sum(
            1 for p in people.get(key, ()) if _first_in(firsts.get(p), span, dims, key)
        )
    totals[Measure.FIRST_TIME] = sum(1 for p in everyone if _first_in(firsts.get(p), span))


def _first_in(
    day: dt.date | None, span: tuple[dt.date, dt.date], dims: Sequence[str] = (), key: Key = ()
) -> bool:
    if day is None or not span[0] <= day <= span[1]:
        return False
    return all(
        DAY_DERIVED[d](day) == part for d, part in zip(dims, key, strict=False) if d in DAY_DERIVED
    )


def _from_frozen(
    ask: Ask, site: str, raw_since: dt.date, rows: Cells, totals: dict[str, Value]
) -> str:
    """The periods that started before `raw_since` from their frozen figures, the
    later ones from the raw rows: when the range is whole periods of the one period
    dimension asked for (or one period), and at most one other dimension that has
    frozen figures."""
    connection, dims, report = ask.connection, ask.dims, ask.report
    first, last = ask.first, ask.last
    kinds = [d for d in dims if d in PERIOD_KINDS]
    others = [d for d in dims if d not in PERIOD_KINDS]
    if len(kinds) > 1 or len(others) > 1 or not set(others) <= set(FROZEN_DIMENSIONS[report]):
        return Method.UNAVAILABLE
    kind = kinds[0] if kinds else one_period(first, last)
    if kind is None or not whole(kind, first, last):
        return Method.UNAVAILABLE
    spans = list(periods(kind, first, last))
    old = [key for key, start, _ in spans if start < raw_since]
    found = frozen_figures(connection, site, report, kind, old)
    if len(found) < len(old):
        return Method.UNAVAILABLE  # a period not frozen: not closed yet, or never exact
    measure = Measure.PEOPLE if report is Report.ENTRIES else Measure.USERS
    dimension = others[0] if others else ""
    recent: list[tuple[Key, dict[str, Value]]] = []
    for key, values in rows:
        period = key[dims.index(kind)] if kinds else spans[0][0]
        if period not in found:
            recent.append((key, values))
            continue
        value = key[dims.index(dimension)] if others else ""
        _put(values, report, found[period].get((dimension, value), (0, 0)))
    later = [start for _, start, _ in spans if start >= raw_since]
    if later:
        _count_raw(replace(ask, site=site), (min(later), last), recent, {})
    totals[measure] = None
    if report is Report.ENTRIES:
        totals[Measure.FIRST_TIME] = None
    whole_range = one_period(first, last)
    if whole_range is not None:
        total = frozen_figures(
            connection, site, report, whole_range, [period_key(whole_range, first)]
        )
        for figures in total.values():
            _put(totals, report, figures[("", "")])
    return Method.FROZEN


def _put(values: dict[str, Value], report: Report, figures: tuple[int, int | None]) -> None:
    people, first_time = figures
    if report is Report.ENTRIES:
        values[Measure.PEOPLE], values[Measure.FIRST_TIME] = people, first_time
    else:
        values[Measure.USERS] = people
