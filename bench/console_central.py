"""The database bench_console.py measures: its own copy (`console_<scale>_<people>`)
of the tallies bench's five years of the sample site on the kept PostgreSQL (that one is
generated first if missing, and kept), cut at the console's clock and purged as a
central that purges daily holds it, then topped up (bench/console_people.py).
"""

from __future__ import annotations

import time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from bench.console_people import NOW, READY, top_up
from bench.tallies_history import central_database, generate
from station.config import StationConfig
from station.db import upgrade
from station.retention import purge
from sync import central


def console_database(
    server: str, engine_of: Any, config: StationConfig, scale: float, people: int, fresh: bool
) -> str:
    """The URL of this scale's console database, built if needed (or `fresh`): a copy of
    the tallies bench's history of the same scale (generated first if missing: that one
    outlives a fresh console database), then the top-up."""
    name = f"console_{str(scale).replace('.', '_')}_{people}"
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    if not fresh and _has_table(server, name, READY):
        upgrade(url)  # migrations added since it was built
        return url
    history_url, needed = central_database(server, scale, fresh=False)
    if needed:
        history = engine_of(history_url)
        try:
            print(f"generating five years at scale {scale}...")
            generate(history, config, scale)
        finally:
            history.dispose()
    started = time.perf_counter()
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            template = make_url(history_url).database
            connection.execute(
                text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')
            )
    finally:
        admin.dispose()
    print(f"  history copied from {template} in {time.perf_counter() - started:.0f} s")
    upgrade(url)
    engine: Engine = engine_of(url)
    try:
        cut_and_purge(engine, config)
        top_up(engine, config, people)
    finally:
        engine.dispose()
    return url


def _has_table(server: str, database: str, table: str) -> bool:
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}
            ).scalar()
    finally:
        admin.dispose()
    if not exists:
        return False
    url = make_url(server).set(database=database).render_as_string(hide_password=False)
    probe = create_engine(url, poolclass=NullPool)
    try:
        with probe.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM pg_tables WHERE tablename = :t"), {"t": table}
            ).scalar()
    finally:
        probe.dispose()
    return bool(found)


def cut_and_purge(engine: Engine, config: StationConfig) -> None:
    """The history as a central that purges daily holds it at NOW: the rows after NOW
    gone (the visits under way open again), then `station purge --central`'s purge (the
    periods' people frozen, raw rows past the retention deleted, stale visitors
    forgotten), so that reports read the frozen figures, not five years of visits."""
    started = time.perf_counter()
    with engine.begin() as connection:
        _cut_at_now(connection)
    retention = config.retention
    with central.sessions(engine)() as db, db.begin():
        done = purge(
            db,
            None,
            retention.movement_days,
            retention.visitor_days,
            zone=ZoneInfo(config.site.timezone),
            now=NOW,
            uploaded_only=False,
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    spent = time.perf_counter() - started
    print(f"  purged as of {NOW:%Y-%m-%d %H:%M} UTC in {spent:.0f} s: {done}")


def _cut_at_now(connection: Connection) -> None:
    """The history ends at NOW: later rows go, the visits under way are open again."""
    at = {"now": NOW}
    connection.execute(text("DELETE FROM visits WHERE checked_in_at > :now"), at)
    connection.execute(
        text(
            "UPDATE visits SET checked_out_at = NULL, checkout_reason = NULL "
            "WHERE checked_out_at > :now"
        ),
        at,
    )
    connection.execute(text("DELETE FROM access_events WHERE at > :now"), at)
    connection.execute(text("DELETE FROM machine_sessions WHERE started_at > :now"), at)
