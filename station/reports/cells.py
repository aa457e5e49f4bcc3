"""The key of a report's cell: one value per dimension, as reports and the frozen
figures write them (periods from the local day, hours as two digits, communes as
`station.communes.commune_key`, a value not given as `UNKNOWN`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from station.communes import commune_key
from station.periods import PERIOD_KINDS, period_key
from station.reports.table import UNKNOWN, Dimension, Key

# The periods spelled as station.periods spells them (the frozen figures' keys too).
DAY_DERIVED: Mapping[str, Callable[[dt.date], str]] = {
    **{kind: partial(period_key, kind) for kind in PERIOD_KINDS},
    Dimension.WEEKDAY: lambda d: str(d.isoweekday()),
}


def cell_key(dims: Sequence[str], day: dt.date, named: Mapping[str, Any]) -> Key:
    parts: list[str] = []
    for dim in dims:
        if dim in DAY_DERIVED:
            parts.append(DAY_DERIVED[dim](day))
        elif dim == Dimension.HOUR:
            parts.append(f"{int(named[dim]):02d}")
        elif dim == Dimension.COMMUNE:
            parts.append(commune_key(str(named[dim] or "")))
        else:
            parts.append(str(named[dim]) if named[dim] not in (None, "") else UNKNOWN)
    return tuple(parts)
