"""The agent with the real site side: `sync.service.SyncService` compiles its grants
from the site database, stores its events and sessions, and acknowledges them."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.config import StationConfig
from station.credential import Credential
from station.db import AccessEvent, AgentStatus, MachineSession, make_engine, upgrade
from station.seed import seed_site
from sync.service import SyncService
from tests.support.agents import agent_overrides
from tests.support.config import ANY_HOUR
from tests.support.wait import wait_for

UID = "05A1B2C3"


@pytest.fixture
def site(make_config) -> Iterator[tuple[StationConfig, Engine, SyncService]]:  # type: ignore[no-untyped-def]
    config = make_config(
        {"central": {"poll_interval_s": 60}, **ANY_HOUR, **agent_overrides(**{"printer-3d": {}})}
    )
    upgrade(config.resolve_url(config.central.url))
    upgrade(config.resolve_url(config.database.url))
    engine = make_engine(config.resolve_url(config.database.url))
    with Session(engine) as session, session.begin():
        seed_site(session, config)
        member = registry.add_member(
            session, "Ada", "Lovelace", membership_until=dt.date(2099, 1, 1)
        )
        registry.enroll_badge(session, member, Credential.uid(UID), config.badge_key)
        registry.grant_training(session, member, "printer-3d")
    service = SyncService(config, site_engine=engine, listen=False)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    with service:
        thread.start()
        yield config, engine, service
        stop.set()
        service.wake()
        thread.join(10)
    engine.dispose()


def test_sessions_reach_the_site_database_and_revocation_is_enforced(site, run_agent) -> None:  # type: ignore[no-untyped-def]
    config, engine, _service = site
    agent = run_agent(config, "printer-3d")
    wait_for(
        lambda: agent.call(lambda: agent.agent.store.version) >= 1,
        timeout=30,
        what="grants compiled by sync from the site database",
    )
    agent.tap(UID)
    wait_for(lambda: agent.relay, what="powered for a trained member")
    agent.lift()
    agent.tap(UID)
    wait_for(lambda: not agent.relay, what="second tap ends the session")
    agent.lift()

    def stored() -> list[MachineSession]:
        with Session(engine) as session:
            return list(
                session.scalars(select(MachineSession).where(MachineSession.ended_at.is_not(None)))
            )

    sessions = wait_for(stored, timeout=30, what="the session stored by sync")
    assert sessions[0].end_reason == "badge_tap"
    assert sessions[0].credential_hash == agent.hash(UID)
    wait_for(
        lambda: agent.call(lambda: agent.agent.outbox.depth) == 0,
        timeout=30,
        what="every event acknowledged by sync",
    )

    # Revoked at the site: enforced at the agent within seconds.
    with Session(engine) as session, session.begin():
        registry.revoke_badge(session, registry.find_badge(session, UID, config.badge_key))
    wait_for(
        lambda: agent.call(lambda: agent.agent.store.version) >= 2,
        timeout=30,
        what="new grants after the revocation",
    )
    agent.tap(UID)

    def denial() -> list[AccessEvent]:
        with Session(engine) as session:
            return list(session.scalars(select(AccessEvent).where(AccessEvent.type == "denied")))

    assert wait_for(denial, timeout=30, what="the denial stored")[0].reason == "badge_revoked"
    assert not agent.relay
    with Session(engine) as session:
        status = session.get(AgentStatus, "printer-3d")
        assert status is not None and status.online
