"""`lower(column)` as migration 0019 indexes it, for every lookup of people by name or
email: COLLATE "C" on PostgreSQL. An expression in the database's own collation cannot
use an index built in another, so `lower(email) = ...` there read all 100,000 people
(an import's preview, every email checked for a new record, the records sharing an
email); "C" compares bytes, which gives the same equalities. SQLite's index is on the
plain `lower(column)`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import Session


def lowered(session: Session, column: Any) -> ColumnElement[str]:
    """`lower(column)` as its index holds it, for `session`'s database."""
    key: ColumnElement[str] = func.lower(column)
    if session.get_bind().dialect.name == "postgresql":
        key = key.collate("C")
    return key
