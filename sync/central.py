"""Writing at central: every change of a registry row gets the next revision.

Revisions are assigned in the application, inside the writing transaction, from
the single row of ``revision_counter``: ``UPDATE ... SET value = value + n
RETURNING value``. The row lock that UPDATE takes is held until commit, so
concurrent writers at central are serialised and commit in revision order; a
reader that sees revision N committed can never later see a smaller one appear,
which is what lets a site keep a plain "last revision applied" cursor. The same
code runs on PostgreSQL and on SQLite (the demo's central file).

On PostgreSQL the writing transaction also sends ``NOTIFY station_registry``,
delivered at commit, which wakes every listening site within milliseconds.

Use `sessions(engine)` (or `session(engine)`) for any write at central, including
station.registry's functions; delete with `tombstone()`, never ``session.delete``:
a hard delete would never reach the sites.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, event, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from station.db import Base, RevisionCounter, utcnow
from station.db.models import Replicated
from sync.tables import table_of

CHANNEL = "station_registry"
COMMANDS_PREFIX = "commands:"  # a notification naming a site: a command request waits
_COUNTER_ID = 1
_TABLE_ORDER = {table.name: index for index, table in enumerate(Base.metadata.sorted_tables)}


def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory for central whose flushes assign revisions."""
    factory = sessionmaker(engine, expire_on_commit=False)
    event.listen(factory, "before_flush", _assign_revisions)
    return factory


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A central session committed on success, rolled back on error."""
    with sessions(engine)() as db, db.begin():
        yield db


def allocate(connection: Connection, count: int) -> int:
    """Reserve `count` consecutive revisions; returns the first. Locks the counter."""
    if count < 1:
        raise ValueError("count must be at least 1")
    counter = table_of(RevisionCounter)
    last = connection.execute(
        update(counter)
        .where(counter.c.id == _COUNTER_ID)
        .values(value=counter.c.value + count)
        .returning(counter.c.value)
    ).scalar()
    if last is None:  # first write ever: create the row, then lock it the same way
        _ensure_counter(connection)
        return allocate(connection, count)
    notify(connection, int(last))
    return int(last) - count + 1


def current(connection: Connection) -> int:
    """The last revision handed out (0 before any)."""
    counter = table_of(RevisionCounter)
    value = connection.execute(select(counter.c.value).where(counter.c.id == _COUNTER_ID)).scalar()
    return int(value or 0)


def notify(connection: Connection, revision: int) -> None:
    """Wake listening sites at commit (PostgreSQL only; SQLite sites poll)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": str(revision)},
        )


def notify_commands(connection: Connection, site_id: str) -> None:
    """Wake `site_id`'s sync at commit: a command request waits for it (the same
    channel as registry changes; sync.listen tells the two apart)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": COMMANDS_PREFIX + site_id},
        )


def tombstone(db: Session, row: Replicated) -> None:
    """Delete a registry row the way sites can see: mark it, keep it."""
    row.deleted_at = utcnow()
    db.flush()


def stamp_unrevisioned(engine: Engine) -> int:
    """Give a revision to rows written without one (e.g. `station db upgrade --central`
    seeding trainings); returns how many. Safe to run any time."""
    from sync.tables import DOWN_TABLES, primary_key

    stamped = 0
    with engine.begin() as connection:
        for table in DOWN_TABLES:
            key = table.c[primary_key(table)]
            ids = list(
                connection.execute(select(key).where(table.c.revision == 0).order_by(key)).scalars()
            )
            if not ids:
                continue
            first = allocate(connection, len(ids))
            connection.execute(
                update(table).where(key == bindparam("b_key")).values(revision=bindparam("b_rev")),
                [{"b_key": i, "b_rev": first + n} for n, i in enumerate(ids)],
            )
            stamped += len(ids)
    return stamped


def _ensure_counter(connection: Connection) -> None:
    counter = table_of(RevisionCounter)
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        connection.execute(
            pg_insert(counter).values(id=_COUNTER_ID, value=0).on_conflict_do_nothing()
        )
    elif (
        connection.execute(select(counter.c.id).where(counter.c.id == _COUNTER_ID)).first() is None
    ):
        connection.execute(insert(counter).values(id=_COUNTER_ID, value=0))


def _assign_revisions(db: Session, _context: Any, _instances: Any) -> None:
    changed = [row for row in db.new if isinstance(row, Replicated)]
    changed += [
        row
        for row in db.dirty
        if isinstance(row, Replicated) and db.is_modified(row, include_collections=False)
    ]
    if not changed:
        return
    # Parents first, so a site applying in revision order meets them first.
    changed.sort(key=lambda row: _TABLE_ORDER[row.__table__.name])  # type: ignore[attr-defined]
    first = allocate(db.connection(), len(changed))
    for offset, row in enumerate(changed):
        row.revision = first + offset
        row.dirty = False
