"""The floors of the sync benchmarks: the same work done by minimal scripts, same run.

First sync: every row the site takes from central, read from PostgreSQL with the
SELECT the product sends (PostgreSQL formats each value as SQLite stores it) and
written into an empty site database of the same schema and pragmas with one
`executemany` per table, in one transaction. Upload: every access event of the
site's SQLite file read with one SELECT and `COPY`'d into central's table (same
schema, indexes included) in one transaction. Neither batches, keeps cursors,
checks, refuses, nor marks anything: what the product costs beyond that is its own.
"""

from __future__ import annotations

import sqlite3
import time

import psycopg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from station.db import AccessEvent
from sync.rows import Codec
from sync.tables import DOWN_TABLES, SITE_SCOPED, table_of

SITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA cache_size=-65536",
)


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as psycopg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def sqlite_path(url: str) -> str:
    path = make_url(url).database
    assert path, url
    return path


def first_sync_floor(central: Engine, site: Engine, site_id: str) -> tuple[float, int]:
    """(seconds, rows) to copy central's down tables into the empty `site` database."""
    with central.connect() as pg, site.connect() as lite:
        queries = []
        for table in DOWN_TABLES:
            scoped = table.name in SITE_SCOPED
            select = Codec(table, pg).select_sql("site_id = {p}" if scoped else "TRUE", lite)
            marks = ", ".join("?" * len(table.columns))
            names = ", ".join(c.name for c in table.columns)
            insert = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
            queries.append((select, (site_id,) if scoped else (), insert))
    target = sqlite3.connect(sqlite_path(str(site.url)), isolation_level=None)
    rows = 0
    try:
        for pragma in SITE_PRAGMAS:
            target.execute(pragma)
        with psycopg.connect(libpq_url(central.url.render_as_string(False))) as source:
            started = time.perf_counter()
            target.execute("BEGIN")
            for select, params, insert in queries:
                found = source.execute(select, params).fetchall()
                target.executemany(insert, found)
                rows += len(found)
            target.execute("COMMIT")
            elapsed = time.perf_counter() - started
    finally:
        target.close()
    return elapsed, rows


def upload_floor(site: Engine, central: Engine) -> tuple[float, int]:
    """(seconds, events) to COPY the site's access events into an empty central table."""
    table = table_of(AccessEvent)
    names = ", ".join(c.name for c in table.columns)
    source = sqlite3.connect(sqlite_path(str(site.url)))
    try:
        with psycopg.connect(libpq_url(central.url.render_as_string(False))) as target:
            target.execute("SET TimeZone = 'UTC'")  # SQLite's times are UTC, without offset
            target.commit()
            started = time.perf_counter()
            rows = source.execute(f"SELECT {names} FROM {table.name}").fetchall()
            copy_sql = f"COPY {table.name} ({names}) FROM STDIN"
            with target.cursor() as cursor, cursor.copy(copy_sql) as copy:
                for row in rows:
                    copy.write_row(row)
            target.commit()
            elapsed = time.perf_counter() - started
    finally:
        source.close()
    return elapsed, len(rows)
