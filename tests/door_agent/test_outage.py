"""A broker outage during 1,000 taps: decisions go on from the cache, and afterwards
every event reaches the site exactly once (by id), in order, and is acknowledged.

The broker is stopped and started as a production one is (persistence on, as
`station deploy broker` writes it): the site's session survives, so what the agent
resends on reconnecting waits for the site even if the agent is back first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agents import agent_overrides, member_entry
from tests.support.mqtt import Mosquitto
from tests.support.wait import wait_for

TAPS = 1000


@pytest.fixture
def persistent_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "mosquitto", persistence=True) as broker:
        yield broker


@pytest.mark.mqtt
@pytest.mark.parametrize("protocol", [5, 311])
def test_broker_outage_during_1000_taps(
    make_config, run_agent, make_site, persistent_broker, protocol: int
) -> None:
    broker = persistent_broker
    config = make_config(
        {
            "mqtt": {"protocol": protocol},
            **agent_overrides(**{"front-door": {"pins": {"contact": 0}}}),
        },
        broker=broker.address,
    )
    site = make_site(config, "front-door")
    site.client.reconnect_delay_set(0.1, 1)
    agent = run_agent(config, "front-door")
    uids = [f"0A{i:06X}" for i in range(TAPS)]
    allowed = {uid for i, uid in enumerate(uids) if i % 3 != 0}
    site.publish_grants(site.snapshot({agent.hash(u): member_entry() for u in allowed}))
    site.wait_event("grants_applied")

    def tap(indices: range) -> None:
        for i in indices:
            agent.tap(uids[i])
            agent.lift()
        agent.settle()

    tap(range(0, 200))
    broker.stop()
    wait_for(lambda: not agent.agent.link.connected, what="the agent sees the broker gone")
    tap(range(200, 800))
    # Decided and recorded while the broker was away.
    assert agent.call(lambda: agent.agent.outbox.depth) >= 600
    assert not agent.agent.link.connected
    broker.start()
    tap(range(800, TAPS))

    decided = wait_for(
        lambda: (
            len(site.of_type("granted", "denied")) >= TAPS and site.of_type("granted", "denied")
        ),
        timeout=90,
        what="every decision at the site",
    )
    assert len(decided) == TAPS
    index = {agent.hash(u): i for i, u in enumerate(uids)}
    arrived = [index[e.credential_hash or ""] for e in decided]
    assert arrived == list(range(TAPS)), [  # where the order breaks, if it does
        (i, arrived[i - 2 : i + 3]) for i in range(1, TAPS) if arrived[i] != arrived[i - 1] + 1
    ]
    assert [e.type == "granted" for e in decided] == [u in allowed for u in uids]
    assert len({e.id for e in site.events}) == len(site.events)  # once each, by id
    # Every event is acknowledged end to end and leaves the outbox.
    wait_for(
        lambda: agent.call(lambda: agent.agent.outbox.depth) == 0,
        timeout=60,
        what="the outbox drained by the site's acks",
    )
    ids_in_order = [e.id for e in site.events]
    assert ids_in_order == sorted(ids_in_order)  # UUIDv7 of the agent: creation order
