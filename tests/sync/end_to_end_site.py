"""A site with central, sync's database and a running `station agent` with a sim
reader, for the end-to-end tests (test_end_to_end, test_malformed_corpus)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hardware.exc import ReaderUnavailable
from hardware.readers.sim import send_command
from station import registry
from station.config import StationConfig, load_config
from station.credential import Credential
from station.db import AccessEvent, AgentStatus, make_engine, upgrade
from station.seed import seed_site
from sync import central
from tests.support.cli import station_argv
from tests.support.config import ANY_HOUR
from tests.support.wait import wait_for
from tests.sync.support import unique_site

AGENT = "front-door"


UID = "04E2E001"


@pytest.fixture
def config(config_factory: Callable[..., Path], central_url: str) -> StationConfig:
    return load_config(
        config_factory(
            {
                "site": {"id": unique_site()},
                "central": {"url": central_url, "poll_interval_s": 60},
                **ANY_HOUR,
                "agents": {
                    AGENT: {
                        "schedule": "always",
                        "pins": {"contact": 0},
                        "reader": {"path": f"sim:{AGENT}", "debounce_s": 0},
                    }
                },
            }
        )
    )


@pytest.fixture
def site(config: StationConfig, central_engine: Engine) -> Iterator[Engine]:
    url = config.resolve_url(config.database.url)
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        seed_site(session, config)
    with central.session(central_engine) as db:
        seed_site(db, config)
    yield engine
    engine.dispose()


@pytest.fixture
def agent_process(config: StationConfig) -> Iterator[subprocess.Popen[bytes]]:
    log = (config.source.parent / "agent.log").open("ab")
    process = subprocess.Popen(
        station_argv(config.source, "-v", "agent", "--id", AGENT),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )
    yield process
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def tap(config: StationConfig) -> None:
    def ready() -> bool:
        try:
            return send_command(config.sim_socket(AGENT), f"tap {UID}") == "ok"
        except (ReaderUnavailable, OSError):
            return False

    wait_for(ready, what="the agent's sim reader")


def decisions(engine: Engine, badge_hash: str) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        return [
            (e.type, e.reason)
            for e in session.scalars(
                select(AccessEvent)
                .where(
                    AccessEvent.credential_hash == badge_hash,
                    AccessEvent.type.in_(("granted", "denied")),
                )
                .order_by(AccessEvent.at)
            )
        ]


def applied_version(engine: Engine) -> int:
    with Session(engine) as session:
        row = session.get(AgentStatus, AGENT)
        return row.grants_version if row is not None else 0


def enrol_member(config: StationConfig, central_engine: Engine) -> str:
    """Eve, a member with the badge `UID`, written at central; her badge's hash."""
    with central.session(central_engine) as db:
        member = registry.add_member(
            db, "Eve", membership_until=dt.date(2099, 1, 1), today=dt.date(2020, 1, 1)
        )
        registry.enroll_badge(db, member, Credential.uid(UID), config.badge_key)
    return Credential.uid(UID).keyed_hash(config.badge_key)
