"""Agents' event batches at the sync service (real broker, PostgreSQL central): stored
in one transaction a turn, idempotent by id, acknowledged only once committed, in ack
messages that each fit the protocol's limit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db import AccessEvent, SyncRejection
from station.ids import new_event_id
from station.protocol import topics
from station.protocol.events import MAX_ACK_IDS, decode_ack, encode_batch
from station.protocol.signing import MAX_MESSAGE_BYTES
from sync.service import SyncService
from tests.support.wait import wait_for
from tests.sync.running_service import config, count, event, probe, running, seeded_site

pytestmark = pytest.mark.mqtt

__all__ = ["config", "running", "seeded_site"]  # fixtures, used by name

AGENT = "laser-cutter"


def stored_ids(engine: Engine) -> set[str]:
    with Session(engine) as db:
        return {str(i) for i in db.scalars(select(AccessEvent.id))}


def batch_messages(payloads: list[bytes], per_message: int) -> list[bytes]:
    return [
        encode_batch(payloads[i : i + per_message]) for i in range(0, len(payloads), per_message)
    ]


def test_a_batch_is_stored_once_and_acknowledged_in_few_messages(
    running: SyncService, config: StationConfig
) -> None:
    site = config.site.id
    agent = probe(config, topics.agent(site, AGENT, topics.ACKS))
    events = [event() for _ in range(3000)]
    messages = batch_messages([e.encode() for e in events], 150)
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        for payload in messages + messages[:3]:  # three batches again, as after a lost ack
            assert len(payload) <= MAX_MESSAGE_BYTES
            agent.publish(topics.agent(site, AGENT, topics.EVENTS), payload)
        acked: list[str] = []
        while len(set(acked)) < len(events):
            _topic, payload, _ = agent.wait_for(lambda t, p: True)
            ids = decode_ack(payload)
            assert len(payload) <= MAX_MESSAGE_BYTES and len(ids) <= MAX_ACK_IDS
            # Acknowledged means committed: every id of an ack is in the site database
            # when the ack reaches the agent.
            assert set(ids) <= stored_ids(running.site_engine)
            acked += ids
        assert set(acked) == {str(e.id) for e in events}
        assert count(running.site_engine, AccessEvent) == len(events)  # once each
    finally:
        agent.close()


def test_nothing_is_acknowledged_that_the_site_database_refused(
    running: SyncService, config: StationConfig
) -> None:
    site = config.site.id
    topic = topics.agent(site, AGENT, topics.EVENTS)
    agent = probe(config, topics.agent(site, AGENT, topics.ACKS))
    refused = [event() for _ in range(150)]  # one message (MAX_MESSAGE_BYTES)
    sentinel = event()
    with running.site_engine.begin() as db:
        db.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON access_events"
                " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
        )
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        agent.publish(topic, encode_batch([e.encode() for e in refused]))
        wait_for(lambda: running.counters["store_failed"] >= 1, what="the store refused")
        with running.site_engine.begin() as db:
            db.execute(text("DROP TRIGGER refuse"))
        agent.publish(topic, sentinel.encode())
        # Acks leave in the order of sync's turns: the batch's would come before this.
        _topic, payload, _ = agent.wait_for(lambda t, p: True)
        assert decode_ack(payload) == [str(sentinel.id)]
        assert stored_ids(running.site_engine) == {str(sentinel.id)}
        agent.publish(topic, encode_batch([e.encode() for e in refused]))  # the agent resends
        _topic, payload, _ = agent.wait_for(lambda t, p: True)
        assert decode_ack(payload) == [str(e.id) for e in refused]  # one ack, in order
        assert stored_ids(running.site_engine) == {str(e.id) for e in [sentinel, *refused]}
    finally:
        agent.close()


def test_a_malformed_event_in_a_batch_is_refused_alone(
    running: SyncService, config: StationConfig
) -> None:
    site = config.site.id
    agent = probe(config, topics.agent(site, AGENT, topics.ACKS))
    good = [event() for _ in range(5)]
    newer = {**json.loads(good[0].encode()), "id": str(new_event_id()), "type": "teleported"}
    payloads = [e.encode() for e in good[:2]] + [json.dumps(newer).encode()]
    payloads += [e.encode() for e in good[2:]]
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        agent.publish(topics.agent(site, AGENT, topics.EVENTS), encode_batch(payloads))
        _topic, payload, _ = agent.wait_for(lambda t, p: True)
        assert set(decode_ack(payload)) == {str(e.id) for e in good} | {newer["id"]}
        assert stored_ids(running.site_engine) == {str(e.id) for e in good}
        with Session(running.site_engine) as db:
            rejection = db.scalars(select(SyncRejection)).one()
        assert str(rejection.id) == newer["id"] and "teleported" in rejection.reason
        assert running.counters["malformed_events"] == 1
    finally:
        agent.close()


@pytest.mark.parametrize(
    "payload",
    [
        b'{"events": []}',
        b'{"events": {"id": 1}}',
        b'{"events": [1, 2]}',
        b'{"events": [{}], "x": 1}',
    ],
)
def test_a_malformed_batch_is_refused_and_sync_goes_on(
    running: SyncService, config: StationConfig, payload: bytes
) -> None:
    site = config.site.id
    agent = probe(config, topics.agent(site, AGENT, topics.ACKS))
    good = event()
    try:
        wait_for(lambda: running.bus is not None and running.bus.subscribed)
        agent.publish(topics.agent(site, AGENT, topics.EVENTS), payload)
        agent.publish(topics.agent(site, AGENT, topics.EVENTS), good.encode())
        _topic, ack, _ = agent.wait_for(lambda t, p: True)
        assert decode_ack(ack) == [str(good.id)]
        assert running.counters["malformed_events"] == 1
    finally:
        agent.close()
