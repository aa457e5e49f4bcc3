"""Central revocation -> sync -> a running `station agent` with a sim reader denies.

Real processes and services: PostgreSQL central, SQLite site, mosquitto, the sync
service, and the agent started as `station agent --id front-door`.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
import time
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
from station.db import AccessEvent, AgentStatus, Badge, make_engine, upgrade
from station.protocol.grants import read_snapshot
from station.protocol.signing import agent_key
from station.seed import seed_site
from sync import central
from sync.service import SyncService
from tests.support.config import ANY_HOUR
from tests.support.wait import wait_for
from tests.sync.support import unique_site

pytestmark = pytest.mark.mqtt  # sync and the agent talk through the test broker

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
        [
            sys.executable,
            "-m",
            "station.cli.main",
            "--config",
            str(config.source),
            "-v",
            "agent",
            "--id",
            AGENT,
        ],
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


@pytest.mark.timeout(120)
def test_revocation_at_central_is_denied_by_a_running_agent(
    config: StationConfig,
    site: Engine,
    central_engine: Engine,
    agent_process: subprocess.Popen[bytes],
) -> None:
    badge_hash = Credential.uid(UID).keyed_hash(config.site_key)
    with central.session(central_engine) as db:
        member = registry.add_member(
            db, "Eve", membership_until=dt.date(2099, 1, 1), today=dt.date(2020, 1, 1)
        )
        registry.enroll_badge(db, member, Credential.uid(UID), config.site_key)
    service = SyncService(config, site_engine=site, central_engine=central_engine)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    with service:
        thread.start()
        try:
            key = agent_key(config.site_key, AGENT)

            def published_with(revoked: bool) -> int:
                """The version of the published snapshot if it shows the badge so."""
                snapshot = service.compiler.current.get(AGENT)
                if snapshot is None or not service.is_published(AGENT):
                    return 0
                entry = read_snapshot(snapshot.payload, AGENT, key, 0)["grants"].get(badge_hash)
                return snapshot.version if entry and entry["revoked"] is revoked else 0

            version = wait_for(lambda: published_with(False), what="first grants")
            wait_for(lambda: applied_version(site) >= version, what="agent applies grants")
            tap(config)
            wait_for(
                lambda: decisions(site, badge_hash) == [("granted", "granted")],
                what="granted event stored",
            )

            with central.session(central_engine) as db:
                badge = db.scalar(select(Badge).where(Badge.hash == badge_hash))
                assert badge is not None
                registry.revoke_badge(db, badge)
            changed = time.monotonic()
            revoked_version = wait_for(lambda: published_with(True), what="revoked grants")
            published = time.monotonic()
            wait_for(
                lambda: applied_version(site) >= revoked_version, what="agent applies revocation"
            )
            enforced = time.monotonic()
            tap(config)
            wait_for(lambda: len(decisions(site, badge_hash)) == 2, what="second decision")
            assert decisions(site, badge_hash)[1] == ("denied", "badge_revoked")
            print(
                f"\ncentral revocation -> snapshot published {1000 * (published - changed):.0f}"
                f" ms -> applied by the agent {1000 * (enforced - changed):.0f} ms"
            )
            assert enforced - changed < 5.0  # poll interval 60 s: LISTEN did this
        finally:
            stop.set()
            service.wake()
            thread.join(10)
    assert agent_process.poll() is None  # the agent ran throughout
