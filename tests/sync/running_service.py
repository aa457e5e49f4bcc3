"""A sync service running against the test broker and a PostgreSQL central, and what
its tests send it (test_service, test_status_intake)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from station.config import StationConfig, load_config
from station.ids import new_event_id
from station.protocol.events import AgentEvent
from station.protocol.vocabulary import EventType
from station.seed import seed_site
from sync.service import SyncService
from tests.sync.support import Probe, unique_site

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> StationConfig:
    return load_config(
        config_factory({"central": {"poll_interval_s": 60}, "site": {"id": unique_site()}})
    )


@pytest.fixture
def seeded_site(site_engine: Engine, config: StationConfig) -> Engine:
    with Session(site_engine) as session, session.begin():
        seed_site(session, config)
    return site_engine


@pytest.fixture
def running(
    config: StationConfig, seeded_site: Engine, central_engine: Engine
) -> Iterator[SyncService]:
    service = SyncService(config, site_engine=seeded_site, central_engine=central_engine)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    with service:
        thread.start()
        yield service
        stop.set()
        service.wake()
        thread.join(10)
    assert not thread.is_alive()


def probe(config: StationConfig, *subscriptions: str) -> Probe:
    return Probe(config.mqtt.host, config.mqtt.port, *subscriptions)


def event(kind: EventType = EventType.GRANTED, **data: object) -> AgentEvent:
    return AgentEvent(
        id=new_event_id(),
        agent="laser-cutter",
        resource="laser-cutter",
        type=kind,
        at=NOW,
        credential_hash="ab" * 32,
        data=dict(data),
    )


def count(engine: Engine, model: type) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(model)).scalar() or 0)
