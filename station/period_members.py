"""The ids kept for the periods still open (`period_members`): a quarter or a year is
longer than the retention period, so its first rows are deleted before it closes;
just before, `station.people.freeze` keeps each person's id for that period (and the
cell values of the row), so the period's distinct count is exact when it closes. The
ids go once the period is frozen, and with the person (docs/privacy.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Connection, Table, delete, insert, select

from station.db.tallies import PeriodMember
from station.periods import day_of, period_bounds

_MEMBERS = cast(Table, PeriodMember.__table__)


@dataclass
class People:
    """People per period (kind, key), then per cell (dimension, value)."""

    periods: defaultdict[tuple[str, str], defaultdict[tuple[str, str], set[uuid.UUID]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(set))
    )

    def add(self, kind: str, key: str, person: uuid.UUID, values: Mapping[str, str]) -> None:
        cells = self.periods[(kind, key)]
        cells[("", "")].add(person)
        for dimension, value in values.items():
            cells[(dimension, value)].add(person)

    def of(self, kind: str, key: str) -> dict[tuple[str, str], set[uuid.UUID]]:
        return {cell: set(ids) for cell, ids in self.periods.get((kind, key), {}).items()}


MemberRow = tuple[str, str, str, str, uuid.UUID]  # kind, key, dimension, value, person


def member_rows(
    kind: str, key: str, person: uuid.UUID, values: Mapping[str, str]
) -> list[MemberRow]:
    return [(kind, key, "", "", person)] + [(kind, key, d, v, person) for d, v in values.items()]


def kept_people(connection: Connection, site_id: str, report: str) -> People:
    kept = People()
    rows = connection.execute(
        select(
            _MEMBERS.c.period,
            _MEMBERS.c.key,
            _MEMBERS.c.dimension,
            _MEMBERS.c.value,
            _MEMBERS.c.member_id,
        ).where(_MEMBERS.c.site_id == site_id, _MEMBERS.c.report == report)
    )
    for kind, key, dimension, value, person in rows:
        kept.periods[(kind, key)][(dimension, value)].add(person)
    return kept


def keep_people(
    connection: Connection,
    site_id: str,
    report: str,
    rows: set[MemberRow],
    kept: People,
) -> None:
    new = [row for row in rows if row[4] not in kept.periods[row[:2]][(row[2], row[3])]]
    if new:
        connection.execute(
            insert(_MEMBERS),
            [
                {
                    "site_id": site_id,
                    "report": report,
                    "period": kind,
                    "key": key,
                    "dimension": dimension,
                    "value": value,
                    "member_id": person,
                }
                for kind, key, dimension, value, person in new
            ],
        )


def drop_closed(
    connection: Connection, site_id: str, report: str, kept: People, today: dt.date
) -> None:
    """The people kept for periods now closed: frozen (or never exact), not needed."""
    for kind, key in kept.periods:
        if period_bounds(kind, day_of(kind, key))[1] < today:
            connection.execute(
                delete(_MEMBERS).where(
                    _MEMBERS.c.site_id == site_id,
                    _MEMBERS.c.report == report,
                    _MEMBERS.c.period == kind,
                    _MEMBERS.c.key == key,
                )
            )
