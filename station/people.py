"""Distinct people and first-timers per day, week, month, quarter and year, after the purge too.

A count of distinct people cannot be summed from daily cells: it needs the people. The
visits (and machine sessions) name them only for the retention period; so:

- `first_visits` holds each person's first local day at the site, kept in the same
  transaction as the check-ins (`record_first_visits`, from the kiosk and from central's
  intake of history) and deleted when the person is forgotten (`forget_person`). A
  person is a first-timer in a period when that day falls in it.
- `freeze`, called by the daily purge before it unlinks anything, counts every period
  that has closed (local days) from the raw rows while they still name the people, and
  stores the figures in `period_people`: overall (dimension "") and per value of each
  dimension of `FROZEN_DIMENSIONS`. A closed period whose raw rows are all still there
  is counted again at each call, so late data corrects it while it can be checked;
  once part of it is deleted its figures stay as they were, but for the late rows
  `station.people_late` can still add exactly (central's upload calls it).
- A period longer than the retention (a year, with 90 days) loses its first rows while
  it is still open. Before the purge deletes a row of an open period, `freeze` keeps
  the person's id in `period_members` for that period and cell, and deletes those ids
  once the period is frozen: the year is then counted exactly, and no person is kept
  beyond the close of the period their visit belongs to (nor after being forgotten).
  It reads every row that names its person, those older than `people_since` too (a
  site's upload that came after the purge of its days), and keeps them up to the local
  day the purge makes `people_since` (`freeze_before_purge`): both in the site's zone.

A period is counted only if exact: one that had lost rows before this bookkeeping began
(a database purged by an older Station, or a purge run without `freeze`) is left
unfrozen, and the reports say its distinct counts are unavailable. So are the periods
of a calendar year with no row at all: walking only the years with rows (and those
since the last purge) keeps one row an agent dated 1990 from freezing every day since.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, delete, insert, select, update

from station.aggregates import SANE_FIRST, day_bounds, local_day, people_since
from station.communes import commune_key
from station.db import FirstVisit, MachineSession, PeriodPeople, SyncCursor, Visit
from station.db.tallies import PeriodMember
from station.figures import UNKNOWN, Dimension, Report
from station.first_visits import first_visits_of
from station.period_members import (
    MemberRow,
    People,
    drop_closed,
    keep_people,
    kept_people,
    member_rows,
)
from station.periods import (
    PERIOD_KINDS,
    day_of,
    first_whole_day,
    period_bounds,
    period_key,
    periods,
    spans_of_years,
)

_ENTRY_COLUMNS: Mapping[str, Any] = {
    Dimension.SPACE: Visit.space,
    Dimension.PURPOSE: Visit.purpose,
    Dimension.COMMUNE: Visit.home_commune,
    Dimension.KIND: Visit.member_kind,
    Dimension.PLAN: Visit.plan,
    Dimension.AGE: Visit.age_band,
}
_USAGE_COLUMNS: Mapping[str, Any] = {Dimension.MACHINE: MachineSession.resource}
# Per report: the raw rows' dimension columns, and their model, person and time.
COLUMNS: Mapping[Report, Mapping[str, Any]] = {
    Report.ENTRIES: _ENTRY_COLUMNS,
    Report.USAGE: _USAGE_COLUMNS,
}
HISTORY: Mapping[Report, tuple[Any, Any, Any]] = {
    Report.ENTRIES: (Visit, Visit.member_id, Visit.checked_in_at),
    Report.USAGE: (MachineSession, MachineSession.member_id, MachineSession.started_at),
}
# The dimensions whose values have their own frozen figures (beside the total, "").
FROZEN_DIMENSIONS: Mapping[Report, tuple[str, ...]] = {
    report: tuple(columns) for report, columns in COLUMNS.items()
}
FROZEN_REPORTS = (Report.ENTRIES, Report.USAGE)

EXACT_CURSOR = "people.exact_from."  # + site id: periods starting before it are not exact
BANKED_CURSOR = "people.banked_until."  # + site id: rows before it were kept when unlinked

_FIRST = cast(Table, FirstVisit.__table__)
_FROZEN = cast(Table, PeriodPeople.__table__)
_MEMBERS = cast(Table, PeriodMember.__table__)
_CURSORS = cast(Table, SyncCursor.__table__)

Figures = dict[tuple[str, str], tuple[int, int | None]]  # (dimension, value) -> counts


def cell_value(dimension: str, raw: Any) -> str:
    """A dimension's value as the reports key it (a commune outside the territory is
    one value; a value not given is `UNKNOWN`)."""
    if dimension == Dimension.COMMUNE:
        return commune_key(str(raw or ""))
    return str(raw) if raw not in (None, "") else UNKNOWN


def forget_person(connection: Connection, member_id: uuid.UUID) -> None:
    """What names the person here: their first visits and the ids kept for open periods."""
    connection.execute(delete(_FIRST).where(_FIRST.c.member_id == member_id))
    connection.execute(delete(_MEMBERS).where(_MEMBERS.c.member_id == member_id))


# -- freezing ---------------------------------------------------------------------------


def freeze(
    connection: Connection,
    site_id: str,
    zone: ZoneInfo,
    today: dt.date,
    *,
    unlinking_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Count and store every closed period (before local `today`) not frozen yet, and
    count again those whose raw rows are all still there. With `unlinking_before` (the
    purge's cutoff: rows before it are about to lose their people), first keep the
    people of such rows that belong to periods still open. The periods written."""
    since = people_since(connection, site_id)
    state = _Freezing(
        site_id,
        today,
        since,
        exact_from=_exact_from(connection, site_id, since),
        firsts=first_visits_of(connection, site_id),
        stamp=now or day_bounds(today, zone)[0],
    )
    written = 0
    for report in FROZEN_REPORTS:
        collected = _collect(connection, state, zone, report, unlinking_before)
        if collected.earliest is not None:
            written += _freeze_report(connection, state, report, collected)
        drop_closed(connection, site_id, report, collected.kept, today)
    if unlinking_before is not None:
        # The rows of the local days before this one were kept: the same day the purge
        # makes `people_since` when it cuts at a local midnight (`freeze_before_purge`).
        until = local_day(unlinking_before, zone)
        _raise_cursor(connection, BANKED_CURSOR + site_id, until.toordinal())
    return written


@dataclass(frozen=True)
class _Freezing:
    site_id: str
    today: dt.date
    since: dt.date | None  # rows from this day name their people (None: all)
    exact_from: dt.date | None  # periods starting before it cannot be counted exactly
    firsts: Mapping[uuid.UUID, dt.date]
    stamp: dt.datetime


@dataclass
class _Collected:
    """The people seen in the linked rows, those kept for open periods (with the rows
    about to be unlinked added), the first day either concerns and the years they meet."""

    seen: People
    kept: People
    earliest: dt.date | None
    years: set[int]


def _collect(
    connection: Connection,
    state: _Freezing,
    zone: ZoneInfo,
    report: Report,
    unlinking_before: dt.datetime | None,
) -> _Collected:
    seen, earliest = People(), state.since
    years: set[int] = set()
    to_keep: set[MemberRow] = set()
    # Every row that still names its person, those before `since` too: a site's upload
    # that arrived after the purge of its days is kept for its open periods like any.
    for person, moment, day, values in _linked(
        connection, state.site_id, zone, report, state.today
    ):
        earliest = day if earliest is None else min(earliest, day)
        years.add(day.year)
        unlinking = unlinking_before is not None and moment < unlinking_before
        for kind in PERIOD_KINDS:
            key = period_key(kind, day)
            seen.add(kind, key, person, values)
            if unlinking and period_bounds(kind, day)[1] >= state.today:  # open: kept
                to_keep.update(member_rows(kind, key, person, values))
    kept = kept_people(connection, state.site_id, report)
    keep_people(connection, state.site_id, report, to_keep, kept)
    for *period, dimension, value, person in to_keep:
        kept.periods[(period[0], period[1])][(dimension, value)].add(person)
    for held, name in kept.periods:
        start, end = period_bounds(held, day_of(held, name))
        earliest = start if earliest is None else min(earliest, start)
        years.update(range(start.year, end.year + 1))
    # The days since the last purge and this year's, data or not (a year with no row
    # at all is not walked: its empty periods stay unfrozen, said unavailable).
    yesterday = state.today - dt.timedelta(days=1)
    since = yesterday if state.since is None else min(state.since, yesterday)
    years.update(range(since.year, yesterday.year + 1))
    return _Collected(seen, kept, earliest, years)


def _freeze_report(
    connection: Connection, state: _Freezing, report: Report, collected: _Collected
) -> int:
    assert collected.earliest is not None
    seen, kept = collected.seen, collected.kept
    frozen = _frozen_keys(connection, state.site_id, report)
    yesterday = state.today - dt.timedelta(days=1)
    done: set[tuple[str, str]] = set()  # a week across two years is met twice
    written = 0
    for first, last in spans_of_years(collected.earliest, yesterday, collected.years):
        for kind in PERIOD_KINDS:
            for key, start, end in periods(kind, first, last):
                if end >= state.today or (kind, key) in done:
                    continue
                done.add((kind, key))
                written += _freeze_period(
                    connection, state, report, (kind, key, start), frozen, seen, kept
                )
    return written


def _freeze_period(
    connection: Connection,
    state: _Freezing,
    report: Report,
    period: tuple[str, str, dt.date],
    frozen: set[tuple[str, str]],
    seen: People,
    kept: People,
) -> int:
    """Count and store one closed period if it can be (1), or leave it (0)."""
    kind, key, start = period
    end = period_bounds(kind, start)[1]
    complete = state.since is None or start >= state.since
    exact = state.exact_from is None or start >= state.exact_from
    if not complete and ((kind, key) in frozen or not exact):
        return 0  # kept as frozen, or never exact: left alone
    people = seen.of(kind, key)
    for cell, ids in kept.of(kind, key).items():
        people.setdefault(cell, set()).update(ids)
    _store(connection, state, report, kind, (key, start, end), people)
    return 1


def freeze_sites(
    connection: Connection,
    zone: ZoneInfo,
    today: dt.date,
    *,
    unlinking_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """`freeze` for every site whose rows are here (central), in the zone given."""
    sites: set[str] = set()
    for model in (Visit, MachineSession):
        sites.update(connection.execute(select(model.site_id).distinct()).scalars())
    sites.update(connection.execute(select(_MEMBERS.c.site_id).distinct()).scalars())
    return sum(
        freeze(connection, site, zone, today, unlinking_before=unlinking_before, now=now)
        for site in sorted(sites)
    )


def frozen_figures(
    connection: Connection, site_id: str, report: str, kind: str, keys: Iterable[str]
) -> dict[str, Figures]:
    """The frozen figures of these `kind` periods (a period not frozen is absent)."""
    wanted = list(keys)
    found: dict[str, Figures] = {}
    rows = connection.execute(
        select(
            _FROZEN.c.key,
            _FROZEN.c.dimension,
            _FROZEN.c.value,
            _FROZEN.c.people,
            _FROZEN.c.first_time,
        ).where(
            _FROZEN.c.site_id == site_id,
            _FROZEN.c.report == report,
            _FROZEN.c.period == kind,
            _FROZEN.c.key.in_(wanted),
        )
    )
    for key, dimension, value, people, first_time in rows:
        found.setdefault(key, {})[(dimension, value)] = (people, first_time)
    return {key: figures for key, figures in found.items() if ("", "") in figures}


def _linked(
    connection: Connection,
    site_id: str,
    zone: ZoneInfo,
    report: Report,
    today: dt.date,
) -> Iterator[tuple[uuid.UUID, dt.datetime, dt.date, dict[str, str]]]:
    """The rows before `today` that still name their person (the purge deletes the
    others: those left before `people_since` are late arrivals, a few)."""
    model, member, at = HISTORY[report]
    columns = COLUMNS[report]
    # Rows an agent's clock dated before 1970 would make every day since a period to
    # freeze (the aggregates keep the same calendar).
    first = dt.datetime.combine(SANE_FIRST, dt.time(), dt.UTC)
    query = select(member, at, *columns.values()).where(
        model.site_id == site_id, member.is_not(None), at >= first, at < day_bounds(today, zone)[0]
    )
    for person, moment, *raw in connection.execute(query):
        values = {d: cell_value(d, v) for d, v in zip(columns, raw, strict=True)}
        yield person, moment, local_day(moment, zone), values


def _store(
    connection: Connection,
    state: _Freezing,
    report: Report,
    kind: str,
    period: tuple[str, dt.date, dt.date],
    people: Mapping[tuple[str, str], set[uuid.UUID]],
) -> None:
    key, start, end = period
    firsts = state.firsts
    where = (
        _FROZEN.c.site_id == state.site_id,
        _FROZEN.c.report == report,
        _FROZEN.c.period == kind,
        _FROZEN.c.key == key,
    )
    connection.execute(delete(_FROZEN).where(*where))
    cells = dict(people)
    cells.setdefault(("", ""), set())  # an empty period is frozen too: zero, not unknown

    def first_time(ids: set[uuid.UUID]) -> int | None:
        if report is not Report.ENTRIES:
            return None  # a first machine use is not tracked
        return sum(1 for p in ids if (d := firsts.get(p)) is not None and start <= d <= end)

    connection.execute(
        insert(_FROZEN),
        [
            {
                "site_id": state.site_id,
                "report": report.value,
                "period": kind,
                "key": key,
                "dimension": dimension,
                "value": value,
                "people": len(ids),
                "first_time": first_time(ids),
                "frozen_at": state.stamp,
            }
            for (dimension, value), ids in cells.items()
        ],
    )


def _frozen_keys(connection: Connection, site_id: str, report: str) -> set[tuple[str, str]]:
    rows = connection.execute(
        select(_FROZEN.c.period, _FROZEN.c.key).where(
            _FROZEN.c.site_id == site_id, _FROZEN.c.report == report, _FROZEN.c.dimension == ""
        )
    )
    return {(kind, key) for kind, key in rows}


def _exact_from(connection: Connection, site_id: str, since: dt.date | None) -> dt.date | None:
    """The first day from which periods can be counted exactly: rows unlinked while
    their people were not kept (`since` beyond what was kept) make earlier ones unsure."""
    banked = _cursor(connection, BANKED_CURSOR + site_id)
    if since is not None and (banked is None or since.toordinal() > banked):
        _raise_cursor(connection, EXACT_CURSOR + site_id, since.toordinal())
    exact = _cursor(connection, EXACT_CURSOR + site_id)
    return None if exact is None else dt.date.fromordinal(exact)


def _cursor(connection: Connection, name: str) -> int | None:
    value = connection.execute(select(_CURSORS.c.value).where(_CURSORS.c.name == name)).scalar()
    return None if value is None else int(value)


def _raise_cursor(connection: Connection, name: str, value: int) -> None:
    current = _cursor(connection, name)
    if current is None:
        connection.execute(insert(_CURSORS).values(name=name, value=value))
    elif value > current:
        connection.execute(update(_CURSORS).where(_CURSORS.c.name == name).values(value=value))


def freeze_before_purge(
    connection: Connection,
    site_id: str | None,
    zone: ZoneInfo,
    now: dt.datetime,
    movement_days: int,
) -> int:
    """`freeze` as the purge needs it, just before it deletes the rows of the local
    days before the first one that starts after `movement_days` ago (`first_whole_day`,
    which the purge makes `people_since`): one site, or every site (`site_id` None, at
    central). Those days' people are kept for their open periods, and the day itself
    is where the kept rows end, in the site's zone as `people_since` is."""
    today = now.astimezone(zone).date()
    boundary = first_whole_day(now - dt.timedelta(days=movement_days), zone)
    cutoff = day_bounds(boundary, zone)[0]
    if site_id is None:
        return freeze_sites(connection, zone, today, unlinking_before=cutoff, now=now)
    return freeze(connection, site_id, zone, today, unlinking_before=cutoff, now=now)
