"""Signed commands to an agent, sent over the real broker through sync's bus
(`station.protocol.commands.publish_command`, as the kiosk's bus sends them too)."""

from __future__ import annotations

import datetime as dt
import queue
from collections.abc import Callable
from pathlib import Path

import pytest

from station.config import load_config
from station.protocol import topics
from station.protocol.commands import Author, check_command, publish_command
from station.protocol.errors import ProtocolError
from station.protocol.vocabulary import Command
from sync.bus import SyncBus
from tests.support.keys import issuers, site_signer
from tests.support.wait import wait_for
from tests.sync.support import Probe, unique_site

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)  # when the command is issued
ALICE = Author("alice", "console")


@pytest.mark.mqtt  # its configuration must name the test broker
def test_a_sent_command_verifies_at_its_agent_only(config_factory: Callable[..., Path]) -> None:
    config = load_config(config_factory({"site": {"id": unique_site()}}))
    site = config.site.id
    agent = Probe(
        config.mqtt.host, config.mqtt.port, topics.agent(site, "front-door", topics.COMMANDS)
    )
    bus = SyncBus(config.mqtt, site, queue.Queue(), client_id=f"{site}-staff")
    try:
        bus.start()
        wait_for(lambda: bus.subscribed, what="the sync bus")
        command_id, sent = publish_command(
            bus,
            site,
            "front-door",
            Command.UNLOCK_ONCE,
            site_signer(config),
            author=ALICE,
            reason="locksmith visit",
            now=NOW,
        )
        assert sent
        _topic, payload, retained = agent.wait_for(lambda t, p: True)
        assert not retained
        seen: set[str] = set()

        def once(identifier: str) -> bool:
            known = identifier in seen
            seen.add(identifier)
            return known

        now = NOW + dt.timedelta(seconds=1)
        body = check_command(payload, "front-door", issuers(config), now, once)
        assert (body["id"], body["command"], body["issued_by"], body["reason"]) == (
            command_id,
            "unlock_once",
            {"member": None, "name": "alice", "device": "console"},
            "locksmith visit",
        )
        with pytest.raises(ProtocolError, match="replayed"):
            check_command(payload, "front-door", issuers(config), now, once)
        with pytest.raises(ProtocolError, match="wrong_agent"):
            check_command(payload, "laser-cutter", issuers(config), now, once)
    finally:
        agent.close()
        bus.close()


def test_sending_without_a_broker_says_so(config_factory: Callable[..., Path]) -> None:
    config = load_config(config_factory())
    bus = SyncBus(config.mqtt, config.site.id, queue.Queue())  # never started
    _id, sent = publish_command(
        bus, config.site.id, "front-door", Command.LOCK, site_signer(config), author=ALICE
    )
    assert not sent
