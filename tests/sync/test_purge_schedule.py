"""Sync purges once a day, by the site's local day on its own clock: at the site, and at
central when this sync owns central's writes; a restart does not purge twice in a day, a
failure is said and tried again at the next round, never stopping the loop."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.config import StationConfig, load_config
from station.db import Member, MemberKind, Visit, make_engine
from sync import central, purge_schedule, rights
from sync.cursors import read_cursor
from sync.purge_schedule import CENTRAL_CURSOR, SITE_CURSOR
from sync.service import SyncService
from tests.support.wait import wait_for
from tests.sync.support import unique_site

# 23:30 in Paris: the site's day ends half an hour later.
EVENING = dt.datetime(2026, 11, 26, 22, 30, tzinfo=dt.UTC)
LONG_AGO = dt.datetime(2020, 1, 6, 10, tzinfo=dt.UTC)


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> StationConfig:
    return load_config(config_factory({"site": {"id": unique_site()}}))


@pytest.fixture
def clock() -> Clock:
    return Clock(EVENING)


@pytest.fixture
def make_service(
    config: StationConfig, site_engine: Engine, central_engine: Engine, clock: Clock
) -> Iterator[Callable[..., SyncService]]:
    made: list[SyncService] = []

    def make(central_as: Engine | None = None) -> SyncService:
        service = SyncService(
            config,
            site_engine=site_engine,
            central_engine=central_as or central_engine,
            mqtt=False,
            listen=False,
            wall=clock,
        )
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def old_visit(site_engine: Engine, site_id: str, clock: Clock) -> None:
    """A member's uploaded visit 120 days before the clock: past movement_days (90)."""
    at = clock.now - dt.timedelta(days=120)
    with Session(site_engine) as db, db.begin():
        member = registry.add_member(db, "Camille")
        db.add(
            Visit(
                site_id=site_id,
                member_id=member.id,
                kiosk_id="entrance",
                purpose="fablab",
                space="fablab",
                checked_in_at=at,
                uploaded_at=at,
            )
        )


def linked_visits(site_engine: Engine) -> int:
    with Session(site_engine) as db:
        return len(db.scalars(select(Visit.id).where(Visit.member_id.is_not(None))).all())


def stale_visitor_at_central(central_engine: Engine) -> None:
    with central.session(central_engine) as db:
        leo = registry.add_member(db, "Léo", kind=MemberKind.VISITOR)
        leo.created_at = LONG_AGO


def cursor(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        return read_cursor(connection, name)


def test_purges_site_and_central_once_a_local_day(
    make_service: Callable[..., SyncService],
    config: StationConfig,
    site_engine: Engine,
    central_engine: Engine,
    clock: Clock,
) -> None:
    old_visit(site_engine, config.site.id, clock)
    stale_visitor_at_central(central_engine)
    service = make_service()

    service.purge_if_due()

    assert linked_visits(site_engine) == 0
    with Session(central_engine) as db:
        leo = db.scalars(select(Member)).one()
        assert leo.deleted_at is not None and leo.revision > 1  # a tombstone sites get
    assert service.daily_purge.results["central"].visitors_forgotten == 1
    assert cursor(site_engine, SITE_CURSOR) == cursor(central_engine, CENTRAL_CURSOR) == 20261126
    assert service.states["purge site"] == "done today"

    old_visit(site_engine, config.site.id, clock)
    clock.now += dt.timedelta(minutes=20)  # 23:50 in Paris: the same day
    service.purge_if_due()
    assert linked_visits(site_engine) == 1
    make_service().purge_if_due()  # restarted: the day's purge is in the database
    assert linked_visits(site_engine) == 1

    clock.now += dt.timedelta(minutes=20)  # 00:10 in Paris: the next day
    service.purge_if_due()
    assert linked_visits(site_engine) == 0
    assert cursor(site_engine, SITE_CURSOR) == 20261127


def test_a_failed_purge_is_said_and_tried_again_next_round(
    make_service: Callable[..., SyncService],
    config: StationConfig,
    site_engine: Engine,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_visit(site_engine, config.site.id, clock)
    service = make_service()
    real = purge_schedule.purge

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("disk full")

    monkeypatch.setattr(purge_schedule, "purge", broken)
    service.purge_if_due()  # does not raise
    assert "failed" in service.states["purge site"]
    assert "disk full" in service.states["purge site"]
    assert cursor(site_engine, SITE_CURSOR) == 0 and linked_visits(site_engine) == 1

    monkeypatch.setattr(purge_schedule, "purge", real)
    service.purge_if_due()
    assert service.states["purge site"] == "done today"
    assert linked_visits(site_engine) == 0


def test_the_loop_purges_after_its_round(
    make_service: Callable[..., SyncService],
    config: StationConfig,
    site_engine: Engine,
    clock: Clock,
) -> None:
    old_visit(site_engine, config.site.id, clock)
    service = make_service()
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_for(lambda: cursor(site_engine, SITE_CURSOR) == 20261126, what="the daily purge")
    finally:
        stop.set()
        service.wake()
        thread.join(10)
    assert not thread.is_alive()
    assert linked_visits(site_engine) == 0


def test_a_site_account_leaves_centrals_purge_to_central(
    make_service: Callable[..., SyncService],
    config: StationConfig,
    site_engine: Engine,
    central_engine: Engine,
    clock: Clock,
) -> None:
    rights.setup_row_security(central_engine)
    role = rights.create_site_account(central_engine, config.site.id, "secret")
    account = make_engine(
        central_engine.url.set(username=role, password="secret").render_as_string(
            hide_password=False
        )
    )
    stale_visitor_at_central(central_engine)
    old_visit(site_engine, config.site.id, clock)
    try:
        service = make_service(central_as=account)
        service.purge_if_due()
        service.purge_if_due()
    finally:
        account.dispose()
    assert linked_visits(site_engine) == 0
    assert [t.name for t in service.daily_purge.targets] == ["site"]
    assert "purge central" not in service.states
    with Session(central_engine) as db:
        assert db.scalars(select(Member.deleted_at)).one() is None
