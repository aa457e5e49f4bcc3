"""Entry and usage tallies: how the site shows the people it served.

Rows are grouped in SQL by UTC hour (at most 8,760 groups a year), then each hour
is placed in its local day in Python: correct across daylight-saving changes on
both SQLite and PostgreSQL, and fast over years of history.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.db import MachineSession, Visit

ENTRY_DIMENSIONS = ("day", "week", "month", "space", "purpose", "commune", "kind")
USAGE_DIMENSIONS = ("day", "week", "month", "machine")


@dataclass(frozen=True)
class TallyRow:
    key: tuple[str, ...]
    count: int
    hours: float = 0.0  # machine time, for usage


def _hour_bucket(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def _period(hour: str, by: str, zone: ZoneInfo) -> str:
    utc = dt.datetime.strptime(hour, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
    day = utc.astimezone(zone).date()
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if by == "month":
        return f"{day:%Y-%m}"
    return day.isoformat()


def entries(
    session: Session,
    site_id: str,
    timezone: str,
    start: dt.datetime,
    end: dt.datetime,
    by: Iterable[str],
) -> list[TallyRow]:
    """Check-ins between `start` and `end`, counted by the given dimensions."""
    dims = list(by)
    for dim in dims:
        if dim not in ENTRY_DIMENSIONS:
            raise ValueError(f"cannot tally entries by {dim!r}; expected {ENTRY_DIMENSIONS}")
    _check_one_period(dims)
    columns: dict[str, Any] = {
        "space": Visit.space,
        "purpose": Visit.purpose,
        "commune": func.coalesce(Visit.home_commune, "unknown"),
        "kind": Visit.member_kind,
    }
    time_dims = [d for d in dims if d in {"day", "week", "month"}]
    selected: list[Any] = [columns[d] for d in dims if d in columns]
    if time_dims:
        selected.append(_hour_bucket(session, Visit.checked_in_at))
    query = select(*selected, func.count()).where(
        Visit.site_id == site_id, Visit.checked_in_at >= start, Visit.checked_in_at < end
    )
    if selected:
        query = query.group_by(*selected)
    return _regroup(session.execute(query).all(), dims, time_dims, timezone, hours=False)


def usage(
    session: Session,
    site_id: str,
    timezone: str,
    start: dt.datetime,
    end: dt.datetime,
    by: Iterable[str],
) -> list[TallyRow]:
    """Machine sessions and machine hours, by machine and/or period."""
    dims = list(by)
    for dim in dims:
        if dim not in USAGE_DIMENSIONS:
            raise ValueError(f"cannot tally usage by {dim!r}; expected {USAGE_DIMENSIONS}")
    _check_one_period(dims)
    time_dims = [d for d in dims if d != "machine"]
    selected: list[Any] = [MachineSession.resource] if "machine" in dims else []
    if time_dims:
        selected.append(_hour_bucket(session, MachineSession.started_at))
    query = select(
        *selected, func.count(), func.coalesce(func.sum(MachineSession.duration_s), 0.0)
    ).where(
        MachineSession.site_id == site_id,
        MachineSession.started_at >= start,
        MachineSession.started_at < end,
    )
    if selected:
        query = query.group_by(*selected)
    return _regroup(session.execute(query).all(), dims, time_dims, timezone, hours=True)


def _check_one_period(dims: list[str]) -> None:
    if len([d for d in dims if d in {"day", "week", "month"}]) > 1:
        raise ValueError("tally by one period at most (day, week or month)")


def _regroup(
    rows: Iterable[tuple[object, ...]],
    dims: list[str],
    time_dims: list[str],
    timezone: str,
    *,
    hours: bool,
) -> list[TallyRow]:
    zone = ZoneInfo(timezone)
    counts: Counter[tuple[str, ...]] = Counter()
    seconds: defaultdict[tuple[str, ...], float] = defaultdict(float)
    plain = [d for d in dims if d not in {"day", "week", "month"}]
    for row in rows:
        values = list(row)
        total_s = float(str(values.pop())) if hours else 0.0
        count = int(str(values.pop()))
        named = dict(zip(plain, (str(v) for v in values[: len(plain)]), strict=True))
        if time_dims:
            named[time_dims[0]] = _period(str(values[len(plain)]), time_dims[0], zone)
        key = tuple(named[d] for d in dims)
        counts[key] += count
        seconds[key] += total_s
    return [TallyRow(key, counts[key], round(seconds[key] / 3600, 2)) for key in sorted(counts)]
