"""Down: registry rows changed at central since the site's cursor, in batches.

Each batch is the next `batch_size` changes in revision order across all
replicated tables; it is applied at the site together with the new cursor in one
transaction, so an interruption anywhere leaves the site at a batch boundary and
the next round resumes from there. Applying is an upsert that never replaces a
newer row with an older one, so replaying a batch changes nothing. Deletions
arrive as tombstones (``deleted_at`` set), like any other change.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, delete, func, select, tuple_
from sqlalchemy.exc import DBAPIError

from station.db import SyncCursor, SyncRejection, utcnow
from station.ids import new_event_id
from sync.errors import central_error
from sync.tables import (
    DOWN_TABLES,
    NATURAL_KEYS,
    PARENTS,
    SITE_SCOPED,
    primary_key,
    table_named,
    table_of,
)

log = logging.getLogger(__name__)

CURSOR = "down"
CHUNK = 900  # ids per IN (...): well under SQLite's bound-parameter limit

Row = dict[str, Any]
Checkpoint = Callable[[str], None]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DownResult:
    applied: int  # rows written at the site (parents fetched out of order included)
    batches: int
    cursor: int  # last central revision now at the site


def read_cursor(site: Connection, name: str = CURSOR) -> int:
    value = site.execute(select(SyncCursor.value).where(SyncCursor.name == name)).scalar()
    return int(value or 0)


def write_cursor(site: Connection, value: int, name: str = CURSOR) -> None:
    upsert(site, table_of(SyncCursor), [{"name": name, "value": value,
                                         "updated_at": utcnow()}], guard_revision=False)


def pending(central: Connection, cursor: int, site_id: str | None = None) -> int:
    """How many registry rows central has past `cursor` (for a progress bar)."""
    return sum(int(central.execute(select(func.count()).select_from(t).where(
        t.c.revision > cursor, *_scope(t, site_id))).scalar() or 0) for t in DOWN_TABLES)


def _scope(table: Table, site_id: str | None) -> list[Any]:
    """Only this site's equipment; everyone's people and rights."""
    return [table.c.site_id == site_id] if site_id and table.name in SITE_SCOPED else []


def pull(central: Connection, cursor: int, limit: int,
         site_id: str | None = None) -> tuple[int, dict[str, list[Row]]]:
    """The next changes after `cursor`: (new cursor, rows by table); cursor unchanged if none.

    The cut is the `limit`-th smallest revision over all tables, found from the
    revision index alone; every row at or below it is then taken, so no table's
    change is skipped past.
    """
    revisions: list[int] = []
    for table in DOWN_TABLES:
        revisions += central.execute(
            select(table.c.revision).where(table.c.revision > cursor, *_scope(table, site_id))
            .order_by(table.c.revision).limit(limit)).scalars()
    if not revisions:
        return cursor, {}
    revisions.sort()
    cut = revisions[min(limit, len(revisions)) - 1]
    rows: dict[str, list[Row]] = {}
    for table in DOWN_TABLES:
        found = [dict(r._mapping) for r in central.execute(
            select(table).where(table.c.revision > cursor, table.c.revision <= cut,
                                *_scope(table, site_id)))]
        if found:
            rows[table.name] = found
    return cut, rows


def fetch_parents(central: Connection, site: Connection, rows: dict[str, list[Row]]) -> None:
    """Add to `rows` the parents the site lacks (a member changed after its badge has a
    later revision than the badge, so it may come in a later batch)."""
    wanted: dict[str, set[Any]] = defaultdict(set)
    for child, links in PARENTS.items():
        for row in rows.get(child, ()):
            for column, parent in links:
                wanted[parent].add(row[column])
    for parent, ids in wanted.items():
        table = table_named(parent)
        key = table.c[primary_key(table)]
        ids -= {row[key.name] for row in rows.get(parent, ())}
        for chunk in _chunks(sorted(ids, key=str)):
            ids -= set(site.execute(select(key).where(key.in_(chunk))).scalars())
        for chunk in _chunks(sorted(ids, key=str)):
            rows.setdefault(parent, []).extend(
                dict(r._mapping) for r in central.execute(select(table).where(key.in_(chunk))))


def apply(site: Connection, rows: dict[str, list[Row]]) -> int:
    """Write central's rows at the site, parents first; returns how many."""
    written = 0
    for table in DOWN_TABLES:
        batch = rows.get(table.name)
        if not batch:
            continue
        if table.name in NATURAL_KEYS:
            _make_way(site, table, NATURAL_KEYS[table.name], batch)
        upsert(site, table, batch)
        written += len(batch)
    return written


def sync_down(site_engine: Engine, central_engine: Engine, *, batch_size: int,
              site_id: str | None = None,
              progress: Progress | None = None, checkpoint: Checkpoint | None = None,
              max_batches: int | None = None) -> DownResult:
    """Apply every change central has past the site's cursor, one batch at a time."""
    with site_engine.connect() as site:
        cursor = start = read_cursor(site)
    total = done = batches = 0
    if progress is not None:
        with _central(central_engine) as central:
            total = pending(central, cursor, site_id)
        progress(0, total)
    while max_batches is None or batches < max_batches:
        with _central(central_engine) as central:
            cut, rows = pull(central, cursor, batch_size, site_id)
            if cut == cursor:
                break
            if checkpoint:
                checkpoint("down.rows")  # between reading the rows and their parents
            with site_engine.connect() as site:
                fetch_parents(central, site, rows)
        if checkpoint:
            checkpoint("down.pulled")
        with site_engine.begin() as site:
            # Two syncs on one site must not both apply a batch from the same cursor.
            if read_cursor(site) != cursor:
                log.warning("down cursor moved under us; restarting from the site's")
                cursor = read_cursor(site)
                continue
            written = apply(site, rows)
            write_cursor(site, cut)
        cursor, batches = cut, batches + 1
        done += written
        if checkpoint:
            checkpoint("down.applied")
        if progress is not None:
            progress(done, max(total, done))
        log.debug("down: batch of %d rows applied, cursor %d", written, cursor)
    if cursor != start:
        log.info("down: %d rows in %d batches, cursor %d -> %d", done, batches, start, cursor)
    return DownResult(applied=done, batches=batches, cursor=cursor)


def upsert(connection: Connection, table: Table, rows: Sequence[Row], *,
           guard_revision: bool = True) -> None:
    """Insert or update by primary key; with `guard_revision`, never with an older revision."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    stmt = insert(table)
    keys = [c.name for c in table.primary_key.columns]
    update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    where = table.c.revision <= stmt.excluded.revision if guard_revision else None
    connection.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update,
                                                  where=where), list(rows))


def _make_way(site: Connection, table: Table, columns: tuple[str, ...],
              rows: list[Row]) -> None:
    """Remove local rows holding a unique key that central gives to another row."""
    pk = primary_key(table)
    incoming = {tuple(row[c] for c in columns): row[pk] for row in rows}
    target = (table.c[columns[0]] if len(columns) == 1
              else tuple_(*(table.c[c] for c in columns)))
    stale: list[Any] = []
    for chunk in _chunks(list(incoming)):
        values = [k[0] for k in chunk] if len(columns) == 1 else chunk
        for local in site.execute(select(table).where(target.in_(values))):
            mapping = local._mapping
            key = tuple(mapping[c] for c in columns)
            if mapping[pk] == incoming[key]:
                continue
            stale.append(mapping[pk])
            if mapping["dirty"]:
                site.execute(table_of(SyncRejection).insert().values(
                    id=new_event_id(), entity=table.name, entity_id=str(mapping[pk]),
                    reason=f"{', '.join(columns)} already used at central by "
                           f"{table.name} {incoming[key]}; the local row was removed",
                    at=utcnow(), resolved=False))
    for chunk in _chunks(stale):
        site.execute(delete(table).where(table.c[pk].in_(chunk)))


def _chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for index in range(0, len(items), size):
        yield items[index:index + size]


@contextmanager
def _central(engine: Engine) -> Iterator[Connection]:
    """A connection to central whose failures read as sync errors."""
    try:
        with engine.connect() as connection:
            yield connection
    except DBAPIError as exc:
        raise central_error(exc) from exc
