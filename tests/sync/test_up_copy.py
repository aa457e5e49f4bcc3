"""Up through COPY: straight into central's table, through staging when a row is there."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, Table, func, select
from sqlalchemy.orm import Session

from station.db import AccessEvent
from station.ids import new_event_id
from sync.errors import CentralRefused
from sync.rows import Codec, copy_from_sqlite, fetch
from sync.tables import table_of
from sync.up import upload_history
from tests.sync.support import history_ids

SITE = "site-a"
NOW = dt.datetime(2026, 11, 26, 23, 30, 0, 123456, tzinfo=dt.UTC)  # a day later in Auckland
ZONE = "Pacific/Auckland"


def add_events(engine: Engine, count: int, agent: str = "front-door") -> None:
    with Session(engine) as session, session.begin():
        session.add_all(
            AccessEvent(
                id=new_event_id(),
                agent_id=agent,
                resource="front-door",
                type="granted",
                reason="granted",
                at=NOW + dt.timedelta(seconds=n),
                data={"n": n},
                site_id=SITE,
            )
            for n in range(count)
        )


def content(engine: Engine) -> dict[object, tuple[object, ...]]:
    with engine.connect() as connection:
        return {
            r.id: (r.at, r.data["n"], r.agent_id) for r in connection.execute(select(AccessEvent))
        }


def site_rows(site: Engine, table: Table) -> list[tuple[object, ...]]:
    with site.connect() as connection:
        return fetch(connection, Codec(table, connection).select_sql("1 = 1"))


def central_count(central: Engine) -> int:
    with central.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(AccessEvent)).scalar_one())


def test_a_batch_partly_at_central_already_is_written_once(
    site_engine: Engine, central_engine: Engine
) -> None:
    add_events(site_engine, 30)

    def crash_after_first_send(point: str) -> None:
        if point == "up.sent":
            raise RuntimeError("acknowledgement lost")

    with pytest.raises(RuntimeError):
        upload_history(
            site_engine, central_engine, batch_size=10, checkpoint=crash_after_first_send
        )
    assert central_count(central_engine) == 10
    # 10 rows central has and 15 it lacks in one batch: the straight COPY fails on
    # the first, is undone, and the staging table takes the batch.
    assert upload_history(site_engine, central_engine, batch_size=25) == 30
    assert central_count(central_engine) == 30
    assert history_ids(central_engine) == history_ids(site_engine)
    assert content(central_engine) == content(site_engine)


def test_copy_reads_the_sites_times_as_utc_in_any_session_zone(
    site_engine: Engine, central_engine: Engine
) -> None:
    add_events(site_engine, 5)
    table = table_of(AccessEvent)
    rows = site_rows(site_engine, table)
    for attempt in range(2):  # straight into the table, then all of them there already
        with central_engine.begin() as connection:
            connection.exec_driver_sql(f"SET LOCAL TimeZone = '{ZONE}'")
            copy_from_sqlite(connection, table, rows)
            assert connection.exec_driver_sql("SHOW TimeZone").scalar() == ZONE, attempt
        assert central_count(central_engine) == 5
        assert content(central_engine) == content(site_engine)


def test_a_row_central_cannot_store_fails_its_batch_and_writes_nothing(
    site_engine: Engine, central_engine: Engine
) -> None:
    add_events(site_engine, 3)
    add_events(site_engine, 1, agent="x" * 65)  # over central's 64 characters
    with pytest.raises(CentralRefused, match="too long"):
        upload_history(site_engine, central_engine, batch_size=10)
    assert central_count(central_engine) == 0
    with site_engine.connect() as connection:
        pending = connection.execute(
            select(func.count()).select_from(AccessEvent).where(AccessEvent.uploaded_at.is_(None))
        ).scalar_one()
    assert pending == 4
