"""Moving many rows between two databases without per-row ORM or Core overhead.

A sync batch is thousands of rows; SQLAlchemy's per-statement parameter
machinery costs more than the databases themselves at that size. Rows here are
plain tuples in table column order. `Codec` converts between driver values and
Python values with SQLAlchemy's own type processors (so storage stays exactly
what the ORM writes and reads), and the statements go straight to the DBAPI
cursor of a SQLAlchemy connection, inside its transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from sqlalchemy import JSON, Boolean, Column, Connection, Date, Enum, Table, Time, Uuid
from sqlalchemy.exc import DBAPIError, InvalidRequestError

from station.db.types import UTCDateTime

Processor = Callable[[Any], Any]
Row = dict[str, Any]  # Python values by column
T = TypeVar("T")

CHUNK = 900  # values per IN (...): well under SQLite's bound-parameter limit


def by_type(column: Column[Any], table: dict[type[Any], T]) -> T | None:
    """The entry of `table` for the column's type: its class or the nearest base class
    listed (so a subclass of a listed type converts as that type does)."""
    for cls in type(column.type).__mro__:
        if cls in table:
            return table[cls]
    return None


def positions(table: Table) -> dict[str, int]:
    """Column name -> index in the table's rows (table column order)."""
    return {column.name: index for index, column in enumerate(table.columns)}


def chunks(items: list[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


class Codec:
    """Driver <-> Python values for the columns of one table on one dialect."""

    def __init__(self, table: Table, connection: Connection) -> None:
        dialect = connection.dialect
        self.table = table
        self.columns = [c.name for c in table.columns]
        self.index = {name: i for i, name in enumerate(self.columns)}
        self._readers: list[tuple[int, Processor]] = []
        self._writers: list[tuple[int, Processor]] = []
        for position, column in enumerate(table.columns):
            impl = column.type.dialect_impl(dialect)
            try:
                reader = impl.result_processor(dialect, None)
            except (TypeError, ValueError, InvalidRequestError):
                # PostgreSQL's numeric processors want the column's type code;
                # psycopg already returns floats and ints.
                reader = None
            writer = impl.bind_processor(dialect)
            if reader is not None:
                self._readers.append((position, reader))
            if writer is not None:
                self._writers.append((position, writer))
        self.placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
        self.quote = dialect.identifier_preparer.quote

    def decode(self, rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        return _apply(rows, self._readers)

    def encode(self, rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
        return _apply(rows, self._writers)

    def decode_column(self, column: str, values: Iterable[Any]) -> list[tuple[Any]]:
        """Driver values of one column as Python values (one-tuples)."""
        reader = dict(self._readers).get(self.index[column])
        return [(reader(v) if reader else v,) for v in values]

    def encode_value(self, column: str, value: Any) -> Any:
        position = self.index[column]
        for index, writer in self._writers:
            if index == position:
                return writer(value)
        return value

    def select_sql(self, where: str, target: Connection | None = None) -> str:
        """SELECT of every column; `where` uses ``{p}`` for each placeholder.

        With a SQLite `target` and a PostgreSQL source, PostgreSQL formats each
        value as SQLite stores it, in C, rather than Python converting it after.
        """
        names = ", ".join(self.quote(c) for c in self.columns)
        if target is not None and _pg_formats_for_sqlite(self.table, self, target):
            names = ", ".join(
                _pg_as_sqlite(column, self.quote(column.name)) for column in self.table.columns
            )
        return f"SELECT {names} FROM {self.quote(self.table.name)} WHERE " + where.replace(
            "{p}", self.placeholder
        )

    def upsert_sql(
        self, *, guard_revision: bool = True, update: Sequence[str] | None = None
    ) -> str:
        """Insert or update by primary key (only the `update` columns if given), with
        `guard_revision` never replacing a newer revision."""
        table = self.quote(self.table.name)
        names = ", ".join(self.quote(c) for c in self.columns)
        marks = ", ".join([self.placeholder] * len(self.columns))
        keys = [c.name for c in self.table.primary_key.columns]
        updates = ", ".join(
            f"{self.quote(c)} = excluded.{self.quote(c)}"
            for c in (update or self.columns)
            if c not in keys
        )
        guard = f" WHERE {table}.revision <= excluded.revision" if guard_revision else ""
        return (
            f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT "
            f"({', '.join(self.quote(k) for k in keys)}) DO UPDATE SET {updates}{guard}"
        )

    def insert_sql(self) -> str:
        table = self.quote(self.table.name)
        names = ", ".join(self.quote(c) for c in self.columns)
        marks = ", ".join([self.placeholder] * len(self.columns))
        return f"INSERT INTO {table} ({names}) VALUES ({marks})"

    def insert_ignore_sql(self) -> str:
        table = self.quote(self.table.name)
        names = ", ".join(self.quote(c) for c in self.columns)
        marks = ", ".join([self.placeholder] * len(self.columns))
        keys = ", ".join(self.quote(c.name) for c in self.table.primary_key.columns)
        return f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({keys}) DO NOTHING"


def transcoder(
    table: Table, source: Connection, target: Connection
) -> Callable[[Iterable[Sequence[Any]]], list[tuple[Any, ...]]]:
    """Driver values of `source` -> driver values of `target`, column by column.

    The common column types between PostgreSQL and SQLite have direct conversions
    (several times faster than decoding to Python objects and encoding again);
    any other type goes through SQLAlchemy's processors.
    """
    pair = (source.dialect.name, target.dialect.name)
    if pair[0] == pair[1]:
        return lambda rows: [tuple(row) for row in rows]
    decode, encode = Codec(table, source), Codec(table, target)
    steps: list[tuple[int, Processor]] = []
    for position, column in enumerate(table.columns):
        fast = by_type(column, _FAST[pair]) if pair in _FAST else None
        if fast is not None:
            steps.append((position, fast))
            continue
        reader = dict(decode._readers).get(position)
        writer = dict(encode._writers).get(position)
        if reader and writer:
            steps.append((position, _chain(reader, writer)))
        elif reader or writer:
            steps.append((position, reader or writer))  # type: ignore[arg-type]
    return lambda rows: _apply(rows, steps)


def _pg_formats_for_sqlite(table: Table, codec: Codec, target: Connection) -> bool:
    return codec.placeholder == "%s" and target.dialect.name == "sqlite"


def _pg_as_sqlite(column: Column[Any], name: str) -> str:
    """A PostgreSQL expression giving `column` as SQLAlchemy stores it in SQLite."""
    template = by_type(column, _PG_AS_SQLITE)
    return name if template is None else template.format(name)


# PostgreSQL's rendering, in C, of what SQLAlchemy's SQLite processors would store.
_PG_AS_SQLITE: dict[type[Any], str] = {
    UTCDateTime: "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')",
    Uuid: "replace({}::text, '-', '')",
    Date: "to_char({}, 'YYYY-MM-DD')",
    Time: "to_char({}, 'HH24:MI:SS.US')",
    JSON: "{}::text",
}


def transcoder_for_select(
    table: Table, source: Connection, target: Connection
) -> Callable[[Iterable[Sequence[Any]]], list[tuple[Any, ...]]]:
    """The conversion to apply to rows read with ``select_sql(where, target)``."""
    if source.dialect.name == "postgresql" and target.dialect.name == "sqlite":
        return lambda rows: [tuple(row) for row in rows]
    return transcoder(table, source, target)


def _chain(first: Processor, second: Processor) -> Processor:
    return lambda value: second(first(value))


def _pg_time_to_sqlite(value: Any) -> Any:
    # SQLAlchemy's SQLite DATETIME storage: naive UTC, always with microseconds.
    return None if value is None else value.astimezone(dt.UTC).isoformat(" ", "microseconds")[:26]


def _sqlite_time_to_pg(value: Any) -> Any:
    return None if value is None else dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _same(value: Any) -> Any:
    return value


# (source dialect, target dialect) -> column type -> direct driver-value conversion.
_FAST: dict[tuple[str, str], dict[type[Any], Processor]] = {
    ("postgresql", "sqlite"): {
        UTCDateTime: _pg_time_to_sqlite,
        Uuid: lambda v: None if v is None else v.hex,
        Date: lambda v: None if v is None else v.isoformat(),
        Enum: _same,  # stored as plain strings at both ends
        Boolean: _same,
    },
    ("sqlite", "postgresql"): {
        UTCDateTime: _sqlite_time_to_pg,
        Uuid: lambda v: None if v is None else uuid.UUID(hex=v),
        Enum: _same,
        Boolean: lambda v: None if v is None else bool(v),
    },
}


def fetch(connection: Connection, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """Raw rows of a query, run on the connection's DBAPI cursor (same transaction)."""
    with _cursor(connection, sql, params) as cursor:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())


def execute_many(connection: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    with _cursor(connection, sql, rows[0]) as cursor:
        cursor.executemany(sql, rows)


@contextmanager
def _cursor(connection: Connection, sql: str, params: Any) -> Iterator[Any]:
    """A DBAPI cursor whose driver errors surface as SQLAlchemy's, as on any statement,
    and whose lost connection is dropped from the pool."""
    dbapi_connection = connection.connection
    cursor = dbapi_connection.cursor()
    dialect = connection.dialect
    try:
        yield cursor
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, dbapi_connection, cursor)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            sql,
            params,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
        ) from exc
    finally:
        with suppress(Exception):
            cursor.close()


def upsert(
    connection: Connection,
    table: Table,
    rows: Sequence[Row],
    *,
    guard_revision: bool = True,
    update: Sequence[str] | None = None,
) -> None:
    """Insert or update Python-valued rows by primary key (an existing row: only the
    `update` columns, if given); with `guard_revision`, never over a newer revision."""
    if not rows:
        return
    codec = Codec(table, connection)
    columns = codec.columns
    execute_many(
        connection,
        codec.upsert_sql(guard_revision=guard_revision, update=update),
        codec.encode([[row[c] for c in columns] for row in rows]),
    )


def copy_from_sqlite(
    connection: Connection,
    table: Table,
    rows: Sequence[Sequence[Any]],
    *,
    update: Sequence[str] | None = None,
) -> None:
    """Write SQLite driver rows into PostgreSQL's `table` idempotently by primary key.

    SQLite already holds what COPY's text format wants (UUIDs as hex, JSON as text,
    booleans as 0/1, UTC times without offset, read in UTC for the transaction's
    COPY). Rows that never change (no `update`) are first `COPY`'d straight into the
    table, in a savepoint; if one of them is there already (a batch sent again after
    a lost acknowledgement, or another sync's), that is undone and the batch goes
    through a temporary table, then one ``INSERT ... SELECT ... ON CONFLICT``.
    """
    if not rows:
        return
    with _cursor(connection, f"COPY {table.name}", ()) as cursor, _in_utc(cursor):
        if update is None and _copy_new(cursor, table, rows):
            return
        _copy_through_staging(cursor, table, rows, update)


@contextmanager
def _in_utc(cursor: Any) -> Iterator[None]:
    """The transaction's time zone is UTC meanwhile, then what it was."""
    cursor.execute("SELECT current_setting('TimeZone')")
    (zone,) = cursor.fetchone()
    cursor.execute("SELECT set_config('TimeZone', 'UTC', true)")
    yield
    cursor.execute("SELECT set_config('TimeZone', %s, true)", (zone,))


UNIQUE_VIOLATION = "23505"
# PostgreSQL refuses COPY FROM into a table under row-level security for the role
# (a site's account at central); INSERT ... SELECT applies the policies instead.
FEATURE_NOT_SUPPORTED = "0A000"
_THROUGH_STAGING = frozenset({UNIQUE_VIOLATION, FEATURE_NOT_SUPPORTED})


def _copy_new(cursor: Any, table: Table, rows: Sequence[Sequence[Any]]) -> bool:
    """COPY the rows into `table` itself; False (nothing written) if one was there, or
    if the role may not COPY into it (row-level security)."""
    columns = ", ".join(c.name for c in table.columns)
    cursor.execute("SAVEPOINT copy_new")
    try:
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    except Exception as exc:
        if getattr(exc, "sqlstate", None) not in _THROUGH_STAGING:
            raise
        cursor.execute("ROLLBACK TO SAVEPOINT copy_new")
        return False
    cursor.execute("RELEASE SAVEPOINT copy_new")
    return True


def _copy_through_staging(
    cursor: Any, table: Table, rows: Sequence[Sequence[Any]], update: Sequence[str] | None
) -> None:
    columns = ", ".join(c.name for c in table.columns)
    staging = f"staging_{table.name}"
    keys = ", ".join(c.name for c in table.primary_key.columns)
    if update:
        conflict = "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update)
    else:
        conflict = "DO NOTHING"
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} (LIKE {table.name}) ON COMMIT DELETE ROWS"
    )
    with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {staging} "
        f"ON CONFLICT ({keys}) {conflict}"
    )
    cursor.execute(f"DELETE FROM {staging}")


def _apply(
    rows: Iterable[Sequence[Any]], processors: list[tuple[int, Processor]]
) -> list[tuple[Any, ...]]:
    if not processors:
        return [tuple(row) for row in rows]
    out = []
    for row in rows:
        values = list(row)
        for position, processor in processors:
            values[position] = processor(values[position])
        out.append(tuple(values))
    return out
