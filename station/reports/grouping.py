"""How report rows are grouped: the stored columns and the periods of a day, computed by
the database where it can (SQLite and PostgreSQL spelled alike), and the report key of
each grouped row. Shared by the entry and usage reports and their medians."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Integer, Text, cast, func

from station.communes import commune_key
from station.figures import Dimension
from station.reports.cells import DAY_DERIVED
from station.reports.table import UNKNOWN, Key


def groups_of(
    connection: Connection, dims: Sequence[str], day: Any, stored: Mapping[str, Any]
) -> list[Any]:
    """What the tallies are grouped by for `dims`, in their order: the stored columns,
    and each day-derived period computed by the database (a few rows for five years,
    not every day's); the day itself where the dialect has no such expression. Applied
    to the cells already summed by day (a subquery, by day only when a period is
    asked): a period is computed once a day, not once a cell."""
    dialect = connection.dialect.name
    return [
        stored[d] if d in stored else _period(day, d, dialect)
        for d in dims
        if d in stored or d in DAY_DERIVED
    ]


def _period(day: Any, dim: str, dialect: str) -> Any:
    """The period of `day` spelled as `DAY_DERIVED` spells it, in SQL."""
    if dim == Dimension.DAY:
        return day
    if dialect == "postgresql":
        patterns: dict[str, str] = {
            Dimension.WEEK: 'IYYY-"W"IW',
            Dimension.MONTH: "YYYY-MM",
            Dimension.QUARTER: 'YYYY-"Q"Q',
            Dimension.YEAR: "YYYY",
            Dimension.WEEKDAY: "ID",
        }
        return func.to_char(day, patterns[dim])
    if dialect == "sqlite":
        # SQLite before 3.46 has no ISO week (%V) nor ISO weekday (%u): the ISO year and
        # week are those of the week's Thursday, the weekday counted from Sunday = 0.
        thursday = func.date(day, "-3 days", "weekday 4")
        month = cast(func.strftime("%m", day), Integer)
        week = (cast(func.strftime("%j", thursday), Integer) - 1) // 7 + 1
        expressions: dict[str, Any] = {
            Dimension.WEEK: func.strftime("%Y", thursday, type_=Text)
            + "-W"
            + func.printf("%02d", week, type_=Text),
            Dimension.MONTH: func.strftime("%Y-%m", day, type_=Text),
            Dimension.QUARTER: func.strftime("%Y", day, type_=Text)
            + "-Q"
            + cast((month + 2) // 3, Text),
            Dimension.YEAR: func.strftime("%Y", day, type_=Text),
            Dimension.WEEKDAY: (cast(func.strftime("%w", day), Integer) + 6) % 7 + 1,
        }
        return expressions[dim]
    return day  # placed in its period in Python (`_group_key`)


def group_key(dims: Sequence[str], found: Sequence[Any], stored: Mapping[str, Any]) -> Key:
    """The key of a row grouped by `_groups` (its values in the same order)."""
    parts: list[str] = []
    values = iter(found)
    for dim in dims:
        if dim not in stored and dim not in DAY_DERIVED:
            continue
        value = next(values)
        if isinstance(value, dt.date):  # the day, or a period placed here
            parts.append(DAY_DERIVED[dim](value))
        elif dim in DAY_DERIVED:
            parts.append(str(value))
        elif dim == Dimension.HOUR:
            parts.append(f"{int(value):02d}")
        elif dim == Dimension.COMMUNE:
            parts.append(commune_key(str(value or "")))
        else:
            parts.append(str(value) if value not in (None, "") else UNKNOWN)
    return tuple(parts)
