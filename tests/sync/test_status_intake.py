"""An agent's status without grants_version (its own last will before a first status,
or anything its account publishes) must not stop sync (issue 11)."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db import AgentStatus
from station.protocol import topics
from station.protocol.events import decode_ack
from sync.service import SyncService
from tests.support.wait import wait_for
from tests.sync.running_service import config, event, probe, running, seeded_site

pytestmark = pytest.mark.mqtt

__all__ = ["config", "running", "seeded_site"]


def test_a_status_without_grants_version_is_stored_and_sync_goes_on(
    running: SyncService, config: StationConfig
) -> None:
    site = config.site.id
    agent = probe(config, topics.agent(site, "laser-cutter", topics.ACKS))
    status_topic = topics.agent(site, "front-door", topics.STATUS)
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        agent.publish(status_topic, json.dumps({"online": False}).encode(), retain=True)
        time.sleep(0.5)  # a turn of the loop: the status alone in its batch
        good = event()
        agent.publish(topics.agent(site, "laser-cutter", topics.EVENTS), good.encode())
        agent.wait_for(lambda t, p: str(good.id) in decode_ack(p))
        with Session(running.site_engine) as db:
            row = db.get(AgentStatus, "front-door")
            assert row is not None and not row.online and row.grants_version == 0
    finally:
        agent.publish(status_topic, b"", retain=True)
        agent.close()
