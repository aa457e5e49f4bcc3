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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, union_all
from sqlalchemy.exc import DBAPIError

from station.db import Member, SyncRejection, utcnow
from station.ids import new_event_id
from station.merged import move_history
from station.privacy import unlink_history
from sync.cursors import read_cursor, write_cursor
from sync.errors import central_error
from sync.rows import (
    CHUNK,
    Codec,
    chunks,
    execute_many,
    fetch,
    positions,
    transcoder_for_select,
)
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

SQLITE_CACHE_KIB = 64 * 1024
SQLITE_CHECKPOINT_PAGES = 16_000  # 64 MB of WAL between checkpoints
Raw = tuple[Any, ...]  # the site's driver values, in table column order
Checkpoint = Callable[[str], None]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DownResult:
    applied: int  # rows written at the site (parents fetched out of order included)
    batches: int
    cursor: int  # last central revision now at the site


def pending(central: Connection, cursor: int, site_id: str | None = None) -> int:
    """How many registry rows central has past `cursor` (for a progress bar)."""
    return sum(
        int(
            central.execute(
                select(func.count())
                .select_from(t)
                .where(t.c.revision > cursor, *_scope(t, site_id))
            ).scalar()
            or 0
        )
        for t in DOWN_TABLES
    )


def _scope(table: Table, site_id: str | None) -> list[Any]:
    """Only this site's equipment; everyone's people and rights."""
    return [table.c.site_id == site_id] if site_id and table.name in SITE_SCOPED else []


def pull(
    central: Connection, site: Connection, cursor: int, limit: int, site_id: str | None = None
) -> tuple[int, dict[str, list[Raw]]]:
    """The next changes after `cursor`: (new cursor, rows by table); cursor unchanged if none.

    The cut is the `limit`-th smallest revision over all tables, found from the
    revision indexes; every row at or below it is then taken, so no table's change
    is skipped past. Rows come back as the site's driver values, ready to write.
    """
    firsts = [
        select(table.c.revision)
        .where(table.c.revision > cursor, *_scope(table, site_id))
        .order_by(table.c.revision)
        .limit(limit)
        .subquery()
        for table in DOWN_TABLES
    ]
    merged = union_all(*(select(first.c.revision) for first in firsts)).subquery()
    smallest = select(merged.c.revision).order_by(merged.c.revision).limit(limit).subquery()
    found_cut = central.execute(select(func.max(smallest.c.revision))).scalar()
    if found_cut is None:
        return cursor, {}
    cut = int(found_cut)
    rows: dict[str, list[Raw]] = {}
    for table in DOWN_TABLES:
        codec = Codec(table, central)
        where = "revision > {p} AND revision <= {p}"
        params: list[Any] = [cursor, cut]
        if site_id and table.name in SITE_SCOPED:
            where, params = where + " AND site_id = {p}", [cursor, cut, site_id]
        found = fetch(central, codec.select_sql(where, site), params)
        if found:
            rows[table.name] = transcoder_for_select(table, central, site)(found)
    return cut, rows


def fetch_parents(central: Connection, site: Connection, rows: dict[str, list[Raw]]) -> None:
    """Add to `rows` the parents the site lacks (a member changed after its badge has a
    later revision than the badge, so it may come in a later batch)."""
    wanted: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for child, links in PARENTS.items():
        child_columns = positions(table_named(child))
        for link in links:
            position = child_columns[link.column]
            held = (row[position] for row in rows.get(child, ()))
            wanted[link.table, link.key].update(v for v in held if v is not None)
    for (parent, key), values in wanted.items():
        table = table_named(parent)
        position = positions(table)[key]
        values -= {row[position] for row in rows.get(parent, ())}
        missing = _absent(site, table, key, values)
        if not missing:
            continue
        # Site driver values -> central's, through Python values.
        site_codec, central_codec = Codec(table, site), Codec(table, central)
        logical = [v[0] for v in site_codec.decode_column(key, missing)]
        convert = transcoder_for_select(table, central, site)
        for chunk in chunks(logical):
            sql = central_codec.select_sql(f"{key} IN ({', '.join(['{p}'] * len(chunk))})", site)
            found = fetch(central, sql, [central_codec.encode_value(key, i) for i in chunk])
            rows.setdefault(parent, []).extend(convert(found))


def apply(site: Connection, rows: dict[str, list[Raw]]) -> int:
    """Write central's rows at the site, parents first; returns how many."""
    written = 0
    for table in DOWN_TABLES:
        batch = rows.get(table.name)
        if not batch:
            continue
        for natural_key in NATURAL_KEYS.get(table.name, ()):
            _make_way(site, table, natural_key, batch)
        codec = Codec(table, site)
        # `updated_at` says when the row last changed *here*, on the site's clock: the
        # grant compiler's change detection compares it with local edits (central's
        # clock may be ahead of the site's).
        at = positions(table)["updated_at"]
        stamp = codec.encode_value("updated_at", utcnow())
        batch = [(*row[:at], stamp, *row[at + 1 :]) for row in batch]
        # A plain INSERT of the rows the site lacks is much cheaper than an upsert,
        # and on a first sync that is every row.
        at_pk = positions(table)[primary_key(table)]
        absent = set(_absent(site, table, primary_key(table), {row[at_pk] for row in batch}))
        execute_many(site, codec.insert_sql(), [row for row in batch if row[at_pk] in absent])
        execute_many(site, codec.upsert_sql(), [row for row in batch if row[at_pk] not in absent])
        if table.name == Member.__tablename__:
            _erase_here(site, codec, batch)
        written += len(batch)
    return written


def _erase_here(site: Connection, codec: Codec, batch: list[Raw]) -> None:
    """People central erased: their history here loses them too, in this transaction
    (their visits, sessions, first visit... `station.privacy.unlink_history`). A
    record merged into another is no erasure: its history here moves to the kept one
    (`station.merged`), which central wrote before the tombstone."""
    table = table_of(Member)
    at_id, at_deleted = positions(table)["id"], positions(table)["deleted_at"]
    at_merged = positions(table)["merged_into"]
    tombstones = [row for row in batch if row[at_deleted] is not None]
    ids = codec.decode_column("id", [row[at_id] for row in tombstones])
    kept = codec.decode_column("merged_into", [row[at_merged] for row in tombstones])
    for (member_id,), (merged_into,) in zip(ids, kept, strict=True):
        if merged_into is not None and _present(site, merged_into):
            move_history(site, member_id, merged_into)
        else:
            unlink_history(site, member_id)


def _present(site: Connection, member_id: Any) -> bool:
    members = table_of(Member)
    return site.execute(select(members.c.id).where(members.c.id == member_id)).first() is not None


def _roomy_cache(site: Connection) -> None:
    """A first sync writes into large random-keyed indexes (UUIDs, hashes): SQLite's
    default 2 MB page cache makes that slower with every batch, and checkpointing
    the WAL every 4 MB rewrites the same index pages over and over."""
    if site.dialect.name == "sqlite":
        site.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        site.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}")


def _absent(site: Connection, table: Table, column: str, values: set[Any]) -> list[Any]:
    """Those of `values` (site driver values) no row of `table` has in `column`."""
    left = set(values)
    placeholder = Codec(table, site).placeholder
    for chunk in chunks(list(values)):
        sql = (
            f"SELECT {column} FROM {table.name} WHERE {column} IN "
            f"({', '.join([placeholder] * len(chunk))})"
        )
        left -= {present for (present,) in fetch(site, sql, chunk)}
    return list(left)


def sync_down(
    site_engine: Engine,
    central_engine: Engine,
    *,
    batch_size: int,
    site_id: str | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    max_batches: int | None = None,
) -> DownResult:
    """Apply every change central has past the site's cursor, one batch at a time."""
    with site_engine.connect() as site:
        cursor = start = read_cursor(site)
    total = done = batches = 0
    if progress is not None:
        with _central(central_engine) as central:
            total = pending(central, cursor, site_id)
        progress(0, total)
    while max_batches is None or batches < max_batches:
        with _central(central_engine) as central, site_engine.connect() as site:
            cut, rows = pull(central, site, cursor, batch_size, site_id)
            if cut == cursor:
                break
            if checkpoint:
                checkpoint("down.rows")  # between reading the rows and their parents
            fetch_parents(central, site, rows)
        if checkpoint:
            checkpoint("down.pulled")
        with site_engine.begin() as site:
            _roomy_cache(site)
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


def _make_way(site: Connection, table: Table, columns: tuple[str, ...], rows: list[Raw]) -> None:
    """Remove local rows holding a unique key that central gives to another row."""
    pk = primary_key(table)
    codec = Codec(table, site)
    where = positions(table)
    at_key, at_pk, at_dirty = [where[c] for c in columns], where[pk], where["dirty"]
    incoming = {tuple(row[i] for i in at_key): row[at_pk] for row in rows}
    stale: list[Any] = []
    width = len(columns)
    target = columns[0] if width == 1 else f"({', '.join(columns)})"
    mark = codec.placeholder if width == 1 else "(" + ", ".join([codec.placeholder] * width) + ")"
    for chunk in chunks(list(incoming), CHUNK // width):
        marks = ", ".join([mark] * len(chunk))
        sql = codec.select_sql(f"{target} IN ({'' if width == 1 else 'VALUES '}{marks})")
        for local in fetch(site, sql, [value for key in chunk for value in key]):
            key = tuple(local[i] for i in at_key)
            if local[at_pk] == incoming.get(key):
                continue
            stale.append(local[at_pk])
            if local[at_dirty]:
                ((local_id,),) = codec.decode_column(pk, [local[at_pk]])
                ((central_id,),) = codec.decode_column(pk, [incoming.get(key)])
                site.execute(
                    table_of(SyncRejection)
                    .insert()
                    .values(
                        id=new_event_id(),
                        entity=table.name,
                        entity_id=str(local_id),
                        reason=f"{', '.join(columns)} already used at central by "
                        f"{table.name} {central_id}; the local row was removed",
                        at=utcnow(),
                        resolved=False,
                    )
                )
    placeholder = codec.placeholder
    for chunk in chunks(stale):
        site.exec_driver_sql(
            f"DELETE FROM {table.name} WHERE {pk} IN ({', '.join([placeholder] * len(chunk))})",
            tuple(chunk),
        )


@contextmanager
def _central(engine: Engine) -> Iterator[Connection]:
    """A connection to central whose failures read as sync errors."""
    try:
        with engine.connect() as connection:
            yield connection
    except DBAPIError as exc:
        raise central_error(exc) from exc
