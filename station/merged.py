"""The history of a record merged into another moves to that one, wherever it is held.

Central moves what it holds when the merge is made (`station.merge`); each site moves
what it holds when the merged record's tombstone comes down (`sync.down`, which would
otherwise unlink the history of a tombstone as that of a forgotten person); a history
row a site sends up later naming the merged record is moved as it arrives
(`sync.up`). Moving keeps every figure: the tallies' cells name no one, a first visit
keeps the earlier of the two days at each site, the ids kept for open periods are
kept once. Only the distinct-people counts of periods not frozen yet change: the two
records are one person there from now on (docs/console.md says it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, insert, select, update

from station.db import (
    AccessEvent,
    Company,
    FirstVisit,
    MachineSession,
    Member,
    SkillRecord,
    Visit,
    VisitorLastSeen,
)
from station.db.models import StaffPinFailure
from station.db.tallies import PeriodMember

# History that names a person by `member_id`, moved as it is.
HISTORY = (Visit, MachineSession, AccessEvent, SkillRecord, Company)
_FIRST = cast(Table, FirstVisit.__table__)
_PERIODS = cast(Table, PeriodMember.__table__)
_SEEN = cast(Table, VisitorLastSeen.__table__)


def resolve(connection: Connection, ids: Iterable[Any]) -> dict[uuid.UUID, uuid.UUID]:
    """{merged record: the record kept} for those of `ids` that were merged."""
    wanted = list({i for i in ids if isinstance(i, uuid.UUID)})
    found: dict[uuid.UUID, uuid.UUID] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = connection.execute(
            select(Member.id, Member.merged_into).where(
                Member.id.in_(chunk), Member.merged_into.is_not(None)
            )
        )
        found.update({gone: kept for gone, kept in rows if kept is not None})
    return found


def move_history(connection: Connection, gone: uuid.UUID, kept: uuid.UUID) -> None:
    """Everything here that names `gone` names `kept` instead."""
    for model in HISTORY:
        connection.execute(update(model).where(model.member_id == gone).values(member_id=kept))
    _move_first_visits(connection, gone, kept)
    _move_period_members(connection, gone, kept)
    _move_last_seen(connection, gone, kept)
    # A count of wrong PINs is the record's own: the kept record keeps its own count.
    connection.execute(delete(StaffPinFailure).where(StaffPinFailure.member_id == gone))


def move_arrived(connection: Connection, table: Table, moves: dict[uuid.UUID, uuid.UUID]) -> None:
    """History rows just received that name a merged record (by its index, cheap)."""
    column = table.c.member_id
    for gone, kept in moves.items():
        connection.execute(update(table).where(column == gone).values(member_id=kept))


def _move_first_visits(connection: Connection, gone: uuid.UUID, kept: uuid.UUID) -> None:
    days = _first_days(connection, gone)
    if not days:
        return
    held = _first_days(connection, kept)
    for site_id, day in days.items():
        if site_id not in held:
            connection.execute(insert(_FIRST).values(site_id=site_id, member_id=kept, day=day))
        elif day < held[site_id]:
            connection.execute(
                update(_FIRST)
                .where(_FIRST.c.site_id == site_id, _FIRST.c.member_id == kept)
                .values(day=day)
            )
    connection.execute(delete(_FIRST).where(_FIRST.c.member_id == gone))


def _first_days(connection: Connection, member: uuid.UUID) -> dict[str, Any]:
    rows = connection.execute(
        select(_FIRST.c.site_id, _FIRST.c.day).where(_FIRST.c.member_id == member)
    )
    return {site_id: day for site_id, day in rows}


def _move_period_members(connection: Connection, gone: uuid.UUID, kept: uuid.UUID) -> None:
    keys = [c for c in _PERIODS.c if c.name != "member_id"]

    def cells(member: uuid.UUID) -> set[tuple[Any, ...]]:
        rows = connection.execute(select(*keys).where(_PERIODS.c.member_id == member))
        return {tuple(row) for row in rows}

    missing = cells(gone) - cells(kept)
    if missing:
        names = [c.name for c in keys]
        connection.execute(
            insert(_PERIODS),
            [{**dict(zip(names, cell, strict=True)), "member_id": kept} for cell in missing],
        )
    connection.execute(delete(_PERIODS).where(_PERIODS.c.member_id == gone))


def _move_last_seen(connection: Connection, gone: uuid.UUID, kept: uuid.UUID) -> None:
    seen = connection.execute(select(_SEEN.c.seen_at).where(_SEEN.c.member_id == gone)).scalar()
    if seen is None:
        return
    held = connection.execute(select(_SEEN.c.seen_at).where(_SEEN.c.member_id == kept)).scalar()
    if held is None:
        connection.execute(insert(_SEEN).values(member_id=kept, seen_at=seen))
    elif seen > held:
        connection.execute(update(_SEEN).where(_SEEN.c.member_id == kept).values(seen_at=seen))
    connection.execute(delete(_SEEN).where(_SEEN.c.member_id == gone))
