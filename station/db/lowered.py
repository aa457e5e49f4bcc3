"""`lower(column)` as migration 0019 indexes it, for every lookup of people by name or
email: COLLATE "C" on PostgreSQL. An expression in the database's own collation cannot
use an index built in another, so `lower(email) = ...` there read all 100,000 people
(an import's preview, every email checked for a new record, the records sharing an
email); "C" compares bytes, which gives the same equalities. SQLite's index is on the
plain `lower(column)`. The two lower differently (SQLite ASCII only): a lookup compares
with `lowerings` of what it looks for, then checks the rows it gets in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import Session


def lowered(session: Session, column: Any) -> ColumnElement[str]:
    """`lower(column)` as its index holds it, for `session`'s database."""
    key: ColumnElement[str] = func.lower(column)
    if session.get_bind().dialect.name == "postgresql":
        key = key.collate("C")
    return key


def ascii_lower(text: str) -> str:
    return "".join(c.lower() if c.isascii() else c for c in text)


def lowerings(texts: Iterable[str]) -> list[str]:
    """What `lowered` may make of `texts`: SQLite lowers ASCII only, PostgreSQL lowers in
    the database's collation (É to é) before comparing in "C"; the caller compares the
    rows it gets back with casefold()."""
    return sorted({form for text in texts for form in (ascii_lower(text), text.lower())})
