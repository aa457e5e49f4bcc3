"""Daily tallies maintained as data arrives: the figures that survive the personal logs.

Whatever writes a visit or a machine session (a check-in or check-out at the kiosk,
a session from an agent, an upload reaching central late) calls `refresh_entries` or
`refresh_usage` with the local days it touched, in its own transaction: each of those
days' cells is recomputed from that day's raw rows (a delete and an insert of a few
hundred cells at most). Recomputing rather than adding makes every path the same and
every call idempotent: a corrected purpose, a check-out, a session's end or an event
an agent kept for a week lands in the right day without bookkeeping.

A day is recomputed only while its raw rows are all there: `frozen_before` (a cursor
the purge moves when it deletes raw rows) marks the first day still complete, and
the days before it keep their cells as they are. A row that arrives for a frozen day
(an agent or a site offline for longer than the retention) waits, uncounted, until
the next purge `fold`s it into its day's cells and deletes it: the rows found in a
frozen day are exactly those not counted yet.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from station.db import EntryTally, MachineSession, SyncCursor, UsageTally, Visit
from station.rollups import BUCKET_MINUTES, mark_stale, roll_up

# The calendar the tallies keep: a moment outside it (an agent's clock at year 1 or
# 9999) has no local day in every zone, and no visit is checked in there.
SANE_FIRST, SANE_LAST = dt.date(1970, 1, 2), dt.date(9998, 12, 30)
FROZEN_CURSOR = "tallies.frozen_before."  # + site id: an ordinal of the first complete day
PEOPLE_CURSOR = "tallies.people_since."  # + site id, or "*" (central): see `people_since`

_ENTRIES = cast(Table, EntryTally.__table__)
_USAGE = cast(Table, UsageTally.__table__)
_CURSORS = cast(Table, SyncCursor.__table__)


def local_day(moment: dt.datetime, zone: ZoneInfo) -> dt.date:
    return moment.astimezone(zone).date()


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where the local `day` starts and the next one starts (23, 24 or
    25 hours apart across a change of daylight-saving time)."""
    start = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return start, end


def frozen_before(connection: Connection, site_id: str) -> dt.date | None:
    value = connection.execute(
        select(_CURSORS.c.value).where(_CURSORS.c.name == FROZEN_CURSOR + site_id)
    ).scalar()
    return None if not value else dt.date.fromordinal(int(value))


def people_since(connection: Connection, site_id: str | None) -> dt.date | None:
    """The first day from which the visits and sessions still name their people (the
    purge unlinks older ones): distinct counts need a range starting there or later.
    None: nothing was ever unlinked. At central (`site_id` None) every site's."""
    names = [PEOPLE_CURSOR + "*"] + ([PEOPLE_CURSOR + site_id] if site_id else [])
    values = connection.execute(
        select(_CURSORS.c.value).where(_CURSORS.c.name.in_(names))
    ).scalars()
    found = [int(v) for v in values if v]
    return dt.date.fromordinal(max(found)) if found else None


def mark_people_since(session: Session, site_id: str | None, day: dt.date) -> None:
    """Record that rows before `day` no longer name their people (never moved back)."""
    name = PEOPLE_CURSOR + (site_id or "*")
    cursor = session.get(SyncCursor, name)
    if cursor is None:
        session.add(SyncCursor(name=name, value=day.toordinal()))
    elif cursor.value < day.toordinal():
        cursor.value = day.toordinal()
    session.flush()


def mark_frozen_before(connection: Connection, site_id: str, day: dt.date) -> None:
    """Record that the raw rows of the days before `day` go (never moved back): their
    cells are final, and a row arriving for one of them later is added by `fold`."""
    name = FROZEN_CURSOR + site_id
    current = frozen_before(connection, site_id)
    if current is None:
        connection.execute(insert(_CURSORS).values(name=name, value=day.toordinal()))
    elif current < day:
        connection.execute(
            update(_CURSORS).where(_CURSORS.c.name == name).values(value=day.toordinal())
        )


def fold(connection: Connection, site_id: str, zone: ZoneInfo, days: Iterable[dt.date]) -> None:
    """Add the raw rows still found in frozen `days` to those days' cells: rows that
    arrived after their day froze (an agent or a site offline past the retention),
    which recomputing would lose, as the day's other rows are gone. The purge calls it
    just before it deletes those rows, in the same transaction, so each counts once."""
    wanted = sorted(set(days))
    mark_stale(connection, site_id, wanted)
    for day in wanted:
        _add_to_cells(
            connection,
            _ENTRIES,
            site_id,
            day,
            partial(_refresh_entry_span, connection, site_id, zone, day, None),
        )
        _add_to_cells(
            connection,
            _USAGE,
            site_id,
            day,
            partial(_refresh_usage_day, connection, site_id, zone, day),
        )


def _add_to_cells(
    connection: Connection, table: Table, site_id: str, day: dt.date, recompute: Callable[[], None]
) -> None:
    """The day's cells plus those of its rows present now: keep the cells, recompute
    them from the rows, and add the kept ones back, cell by cell."""
    keys = [column.name for column in table.primary_key.columns]
    where = (table.c.site_id == site_id, table.c.day == day)
    kept = [dict(row) for row in connection.execute(select(table).where(*where)).mappings()]
    recompute()
    cells = {tuple(row[k] for k in keys): row for row in kept}
    for found in connection.execute(select(table).where(*where)).mappings():
        key = tuple(found[k] for k in keys)
        cells[key] = _sum_cells(cells[key], dict(found), keys) if key in cells else dict(found)
    connection.execute(delete(table).where(*where))
    if cells:
        connection.execute(insert(table), list(cells.values()))


def _sum_cells(one: dict[str, Any], other: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    total = dict(one)
    for name, value in other.items():
        if name in keys:
            continue
        if isinstance(value, dict):  # the duration buckets
            merged: defaultdict[str, int] = defaultdict(int, one[name] or {})
            for bucket, count in value.items():
                merged[bucket] += count
            total[name] = dict(merged)
        else:
            total[name] = (one[name] or 0) + (value or 0)
    return total


# A PostgreSQL advisory lock: whatever recomputes cells takes it shared, the purge
# exclusive, so that no upload recomputes a day while the purge freezes it, folds its
# late rows or rolls it up (SQLite's writers are one at a time already).
TALLIES_LOCK = 0x5354_4154  # "STAT"


def lock_tallies(connection: Connection, *, exclusive: bool) -> None:
    if connection.dialect.name != "postgresql":
        return
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    connection.execute(select(lock(TALLIES_LOCK)))


def _recomputable(connection: Connection, site_id: str, days: Iterable[dt.date]) -> list[dt.date]:
    lock_tallies(connection, exclusive=False)
    first_complete = frozen_before(connection, site_id)
    return sorted(
        d
        for d in set(days)
        if (first_complete is None or d >= first_complete) and SANE_FIRST <= d <= SANE_LAST
    )


@dataclass
class _EntryCell:
    entries: int = 0
    timed: int = 0
    minutes: float = 0.0
    durations: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))


def refresh_entries(
    connection: Connection, site_id: str, zone: ZoneInfo, days: Iterable[dt.date]
) -> None:
    """Recompute the entry cells of `days` (local) from the site's visits."""
    recomputed = _recomputable(connection, site_id, days)
    for day in recomputed:
        _refresh_entry_span(connection, site_id, zone, day, None)
    mark_stale(connection, site_id, recomputed)


def refresh_entry_hours(
    connection: Connection, site_id: str, zone: ZoneInfo, hours: Iterable[tuple[dt.date, int]]
) -> None:
    """Recompute only the cells of these local (day, hour)s: what a check-in, a
    check-out or a purpose change touches (a busy day's thousands of visits are not
    read again at every tap: docs/benchmarks.md, "Tallies")."""
    wanted = set(hours)
    allowed = set(_recomputable(connection, site_id, {day for day, _ in wanted}))
    for day, hour in sorted(wanted):
        if day in allowed:
            _refresh_entry_span(connection, site_id, zone, day, hour)
    mark_stale(connection, site_id, allowed)


def _hour_spans(day: dt.date, hour: int, zone: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """The UTC spans of a local hour: none on the night it is skipped, two on the night
    it is lived twice (quarter hours, for zones a half or a quarter off UTC)."""
    start, end = day_bounds(day, zone)
    step = dt.timedelta(minutes=15)
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    moment = start
    while moment < end:
        if moment.astimezone(zone).hour == hour:
            if spans and spans[-1][1] == moment:
                spans[-1] = (spans[-1][0], moment + step)
            else:
                spans.append((moment, moment + step))
        moment += step
    return spans


# A cell's key within its day: hour, space, purpose, commune, kind, plan, age band.
_EntryKey = tuple[int, str, str, str, str, str, str]


def _refresh_entry_span(
    connection: Connection, site_id: str, zone: ZoneInfo, day: dt.date, hour: int | None
) -> None:
    """Recompute the entry cells of a local day, or of one of its hours."""
    spans = [day_bounds(day, zone)] if hour is None else _hour_spans(day, hour, zone)
    doomed = delete(_ENTRIES).where(_ENTRIES.c.site_id == site_id, _ENTRIES.c.day == day)
    connection.execute(doomed if hour is None else doomed.where(_ENTRIES.c.hour == hour))
    if not spans:
        return
    # One range, from the first span to the last (the two lives of a skipped-back hour
    # follow each other), so that the index on the check-in time serves; the rows of
    # another hour in between are left out below.
    rows = connection.execute(
        select(
            Visit.checked_in_at,
            Visit.checked_out_at,
            Visit.space,
            Visit.purpose,
            Visit.home_commune,
            Visit.member_kind,
            Visit.plan,
            Visit.age_band,
        ).where(
            Visit.checked_in_at >= spans[0][0],
            Visit.checked_in_at < spans[-1][1],
            # Not by the site's index: a site's visits are all of them at a site, and
            # SQLite would otherwise read every visit of the site for one hour.
            Visit.site_id + "" == site_id,
        )
    ).all()
    if hour is not None:
        rows = [row for row in rows if row[0].astimezone(zone).hour == hour]
    cells: defaultdict[_EntryKey, _EntryCell] = defaultdict(_EntryCell)
    for at, out, space, purpose, commune, kind, plan, band in rows:
        cell = cells[(at.astimezone(zone).hour, space, purpose, commune or "", kind, plan, band)]
        cell.entries += 1
        if out is not None and out >= at:
            minutes = (out - at).total_seconds() / 60
            cell.timed += 1
            cell.minutes += minutes
            cell.durations[str(int(minutes // BUCKET_MINUTES) * BUCKET_MINUTES)] += 1
    if cells:
        connection.execute(
            insert(_ENTRIES),
            [
                {
                    "site_id": site_id,
                    "day": day,
                    "hour": cell_hour,
                    "space": space,
                    "purpose": purpose,
                    "commune": commune,
                    "kind": kind,
                    "plan": plan,
                    "age_band": band,
                    "entries": cell.entries,
                    "timed": cell.timed,
                    "minutes": round(cell.minutes, 3),
                    "durations": dict(cell.durations),
                }
                for (cell_hour, space, purpose, commune, kind, plan, band), cell in cells.items()
            ],
        )


def refresh_usage(
    connection: Connection, site_id: str, zone: ZoneInfo, days: Iterable[dt.date]
) -> None:
    """Recompute the machine cells of `days` (local) from the site's machine sessions."""
    for day in _recomputable(connection, site_id, days):
        _refresh_usage_day(connection, site_id, zone, day)


def _refresh_usage_day(connection: Connection, site_id: str, zone: ZoneInfo, day: dt.date) -> None:
    """Recompute one day's machine cells from its sessions, frozen or not."""
    start, end = day_bounds(day, zone)
    connection.execute(delete(_USAGE).where(_USAGE.c.site_id == site_id, _USAGE.c.day == day))
    rows = connection.execute(
        select(MachineSession.started_at, MachineSession.resource, MachineSession.duration_s).where(
            MachineSession.started_at >= start,
            MachineSession.started_at < end,
            MachineSession.site_id + "" == site_id,  # by the time's index (see above)
        )
    ).all()
    cells: defaultdict[tuple[int, str], list[float]] = defaultdict(lambda: [0, 0.0])
    for at, machine, seconds in rows:
        cell = cells[(at.astimezone(zone).hour, machine)]
        cell[0] += 1
        cell[1] += float(seconds or 0.0)
    if cells:
        connection.execute(
            insert(_USAGE),
            [
                {
                    "site_id": site_id,
                    "day": day,
                    "hour": hour,
                    "machine": machine,
                    "sessions": int(count),
                    "seconds": round(seconds, 3),
                }
                for (hour, machine), (count, seconds) in cells.items()
            ],
        )


def rebuild(
    connection: Connection,
    site_id: str,
    zone: ZoneInfo,
    until: dt.date,
    since: dt.date | None = None,
) -> int:
    """Recompute every day from the first raw row (or `since`) to `until`: for a
    database that had visits before the tallies existed. The days recomputed."""
    firsts = [
        connection.execute(
            select(Visit.checked_in_at)
            .where(Visit.site_id == site_id)
            .order_by(Visit.checked_in_at)
            .limit(1)
        ).scalar(),
        connection.execute(
            select(MachineSession.started_at)
            .where(MachineSession.site_id == site_id)
            .order_by(MachineSession.started_at)
            .limit(1)
        ).scalar(),
    ]
    known = [local_day(f, zone) for f in firsts if f is not None]
    if not known:
        return 0
    first = max(min(known), since) if since else min(known)
    days = [first + dt.timedelta(days=n) for n in range((until - first).days + 1)]
    refresh_entries(connection, site_id, zone, days)
    refresh_usage(connection, site_id, zone, days)
    roll_up(connection, site_id)
    return len(days)
