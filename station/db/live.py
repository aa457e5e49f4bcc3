"""Live registry rows: the one place that knows a tombstone hides a row.

A registry row is never deleted (a hard delete would never reach the sites): it
gets ``deleted_at`` and stays, so that sync can carry the deletion. Everything
that reads people or rights must therefore leave tombstones out, and forgetting
that filter once lets a deleted member's badge through. So readers of rights ask
for live rows here, never by writing ``deleted_at.is_(None)`` themselves; only
replication (``sync.down``, ``sync.up``, ``sync.rows``) reads tombstones.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeGuard, TypeVar

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from station.db.models import Replicated

R = TypeVar("R", bound=Replicated)


def live(model: type[Replicated]) -> ColumnElement[bool]:
    """The criterion of `model`'s live rows, for a ``where`` or a join's ``on``."""
    return model.deleted_at.is_(None)


def select_live(model: type[R]) -> Select[R]:
    """``select(model)`` of its live rows only."""
    return select(model).where(live(model))


def is_live(row: R | None) -> TypeGuard[R]:
    """A row loaded by key or through a relationship: present and not a tombstone."""
    return row is not None and row.deleted_at is None


def live_rows(rows: Iterable[R]) -> list[R]:
    """The live rows of a relationship collection (e.g. ``member.badges``)."""
    return [row for row in rows if row.deleted_at is None]


def live_get(session: Session, model: type[R], key: Any) -> R | None:
    """``session.get`` that answers None for a tombstone."""
    row = session.get(model, key)
    return row if is_live(row) else None
