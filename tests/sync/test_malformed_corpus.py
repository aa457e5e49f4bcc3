"""Malformed payloads, retained and not, on every topic each process reads (issue 11).

Real processes: the sync service (its loop in a thread), `station agent --id
front-door` as a subprocess, the kiosk's command bus, mosquitto and PostgreSQL.
Afterwards every process still runs, a badge tapped is granted by the agent and its
event stored by sync, and the kiosk still hears a real command result.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from kiosk.bus import CommandBus
from station.config import StationConfig
from station.db import AccessEvent
from station.protocol import topics
from station.protocol.commands import Author, CommandResult, make_command
from station.protocol.keys import SigningKey, sign_envelope
from station.protocol.vocabulary import APPLIED, Command, EventType
from sync.service import SyncService
from tests.support.keys import site_signer
from tests.support.wait import wait_for
from tests.sync.end_to_end_site import (
    AGENT,
    agent_process,
    applied_version,
    config,
    decisions,
    enrol_member,
    site,
    tap,
)
from tests.sync.support import Probe

pytestmark = pytest.mark.mqtt

__all__ = ["agent_process", "config", "site"]

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
WRONG_TYPES: list[Any] = [None, True, -1, 10**30, 1.5, "x" * 300, [], {}, ["a", 1]]


def noise() -> list[bytes]:
    """What fits no message: the same for every topic."""
    return [
        b"",
        b"\xff\xfe",
        b"{not json",
        b"[1, 2, 3]",
        b'"a string"',
        b"42",
        b"null",
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b'{"n": 1e999}',
        b'{"n": ' + str(10**400).encode() + b"}",
        b'{"n": -Infinity}',
        random.Random(11).randbytes(2 * 1024 * 1024),
        b'{"x": "' + b"a" * (2 * 1024 * 1024) + b'"}',
    ]


def variants(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """`body` with each key missing, each key of every wrong type, and an extra key."""
    for key in body:
        yield {k: v for k, v in body.items() if k != key}
        for wrong in WRONG_TYPES:
            yield {**body, key: wrong}
    yield {**body, "extra": {"nested": [1, 2]}}


def unsigned(body: dict[str, Any]) -> list[bytes]:
    return [json.dumps(v).encode() for v in variants(body)]


def signed(body: dict[str, Any], key: SigningKey) -> list[bytes]:
    """Envelopes broken key by key, and the body's variants signed with the right key
    (a body the site could never send, but whose signature is good)."""
    envelope = json.loads(sign_envelope(body, SigningKey.generate()))
    return [json.dumps(v).encode() for v in variants(envelope)] + [
        sign_envelope(v, key) for v in variants(body)
    ]


def corpus(config: StationConfig, snapshot: bytes) -> dict[str, list[bytes]]:
    """Per topic (sync's, the agent's, the kiosk's): what to publish on it."""
    key = site_signer(config)
    author = Author("Corpus", "console")
    _id, command = make_command(Command.REFRESH_STATUS, AGENT, key, author=author)
    command_body = json.loads(command)["body"]
    event: dict[str, Any] = {
        "id": "0b7c6f7e-3c1e-4c55-8a40-5e0c0d1f2a3b",
        "agent": AGENT,
        "resource": AGENT,
        "type": "granted",
        "at": NOW.isoformat(),
        "reason": "granted",
        "credential_hash": "ab" * 32,
        "member": None,
        "data": {},
    }
    status = {"agent": AGENT, "online": True, "grants_version": 1, "outbox_depth": 0}
    result = CommandResult(AGENT, APPLIED, Command.REFRESH_STATUS, "c1", "", NOW)
    topic = lambda channel: topics.agent(config.site.id, AGENT, channel)  # noqa: E731
    return {
        topic(topics.EVENTS): noise() + unsigned(event),
        topic(topics.STATUS): noise() + unsigned(status),
        topic(topics.COMMAND_RESULTS): noise() + unsigned(json.loads(result.encode())),
        topic(topics.ACKS): noise() + unsigned({"ids": [event["id"]]}),
        topic(topics.GRANTS): noise() + signed(json.loads(snapshot)["body"], key)[:200],
        topic(topics.COMMANDS): noise() + signed(command_body, key),
        # Beacons signed with the right key would set the agent's clock: envelopes only.
        topic(topics.TIME): noise()
        + signed({"agent": AGENT, "time": NOW.isoformat()}, SigningKey.generate()),
    }


def stored(engine: Engine, kind: EventType) -> int:
    with Session(engine) as session:
        query = select(func.count()).select_from(AccessEvent).where(AccessEvent.type == kind)
        return int(session.scalar(query) or 0)


@pytest.mark.timeout(300)
def test_no_payload_stops_sync_the_agent_or_the_kiosk(
    config: StationConfig,
    site: Engine,
    central_engine: Engine,
    agent_process: subprocess.Popen[bytes],
) -> None:
    badge_hash = enrol_member(config, central_engine)
    service = SyncService(config, site_engine=site, central_engine=central_engine)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    results: list[CommandResult] = []
    kiosk = CommandBus(config, "entrance", on_result=lambda _agent, r: results.append(r))
    attacker = Probe(config.mqtt.host, config.mqtt.port)
    by_topic: dict[str, list[bytes]] = {}
    with service, kiosk:
        thread.start()
        try:
            wait_for(lambda: service.is_published(AGENT), what="first grants")
            version = service.compiler.current[AGENT].version
            wait_for(lambda: applied_version(site) >= version, what="agent applies grants")
            wait_for(lambda: kiosk.connected, what="the kiosk's bus")
            by_topic = corpus(config, service.compiler.current[AGENT].whole)
            for topic, payloads in by_topic.items():
                for payload in payloads:
                    attacker.publish(topic, payload)
                    attacker.publish(topic, payload, retain=True)

            tap(config)
            wait_for(
                lambda: decisions(site, badge_hash) == [("granted", "granted")],
                timeout=60,
                what="a badge granted and stored after the corpus",
            )
            wait_for(lambda: service.counters["malformed_status"] > 0, what="statuses refused")
            assert service.counters["malformed_events"] > 0
            assert stored(site, EventType.GRANTS_REFUSED) > 0  # the agent counted them too
            assert stored(site, EventType.COMMAND_REFUSED) > 0
            assert kiosk.malformed > 0
            sent = sum(map(len, by_topic.values()))
            print(
                f"\n{2 * sent} payloads: sync refused {service.counters['malformed_events']}"
                f" events, {service.counters['malformed_status']} statuses; the agent"
                f" {stored(site, EventType.GRANTS_REFUSED)} snapshots,"
                f" {stored(site, EventType.COMMAND_REFUSED)} commands; the kiosk"
                f" {kiosk.malformed} results ({dict(kiosk.refused)})"
            )

            results.clear()
            kiosk.send(AGENT, Command.REFRESH_STATUS, author=Author("Staff", "kiosk:entrance"))
            wait_for(lambda: any(r.ok for r in results), what="a real command result")
            assert thread.is_alive() and agent_process.poll() is None
        finally:
            for topic in by_topic:
                attacker.publish(topic, b"", retain=True)  # no junk left for later tests
            attacker.close()
            stop.set()
            service.wake()
            thread.join(10)
    assert agent_process.poll() is None
