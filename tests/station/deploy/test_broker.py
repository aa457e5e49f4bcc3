"""The real mosquitto running what `station deploy broker` wrote: TLS and passwords
only, and each account confined to its own topics."""

from __future__ import annotations

import queue
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from station.config import StationConfig
from station.deploy.accounts import SYNC, kiosk_user
from station.deploy.broker import deploy_broker
from station.protocol import topics
from tests.station.deploy.conftest import NOW
from tests.station.deploy.running import generated_broker
from tests.support.mqtt import Mosquitto
from tests.support.net import free_port
from tests.support.wait import TIMEOUT

QUIET = 0.5  # how long a message that must not arrive is given to arrive anyway


@dataclass
class Client:
    """A paho client that records its connection result and what it receives."""

    client: paho.Client
    connected: threading.Event = field(default_factory=threading.Event)
    refused: threading.Event = field(default_factory=threading.Event)
    received: queue.Queue[paho.MQTTMessage] = field(default_factory=queue.Queue)
    granted: dict[int, list[int]] = field(default_factory=dict)

    def subscribe(self, topic: str) -> list[int]:
        """Reason codes of the SUBACK (>= 0x80: refused)."""
        done = threading.Event()
        self.client.user_data_set(done)  # before subscribing: the SUBACK may come at once
        _result, mid = self.client.subscribe(topic, qos=1)
        assert mid is not None
        assert done.wait(TIMEOUT)
        return self.granted[mid]

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(TIMEOUT)

    def next(self, timeout: float = TIMEOUT) -> paho.MQTTMessage | None:
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            return None


@dataclass
class Site:
    broker: Mosquitto
    out: Path
    config: StationConfig
    clients: list[Client] = field(default_factory=list)

    @property
    def site(self) -> str:
        return self.config.site.id

    def password(self, user: str) -> str:
        return (self.out / "secrets" / f"{user}.password").read_text().strip()

    def connect(self, user: str | None, password: str | None = None, *, tls: bool = True) -> Client:
        client = paho.Client(CallbackAPIVersion.VERSION2, protocol=paho.MQTTv5)
        wrapper = Client(client)
        if tls:
            client.tls_set(ca_certs=str(self.out / "ca.crt"), cert_reqs=ssl.CERT_REQUIRED)
        if user is not None:
            client.username_pw_set(user, self.password(user) if password is None else password)

        def on_connect(_c: object, _u: object, _f: object, reason: object, _p: object) -> None:
            ok = not getattr(reason, "is_failure", True)
            (wrapper.connected if ok else wrapper.refused).set()

        def on_subscribe(_c: object, done: object, mid: int, reasons: list, _p: object) -> None:
            wrapper.granted[mid] = [int(r.value) for r in reasons]
            if isinstance(done, threading.Event):
                done.set()

        client.on_connect = on_connect
        client.on_subscribe = on_subscribe
        client.on_message = lambda _c, _u, message: wrapper.received.put(message)
        client.on_disconnect = lambda *_args: wrapper.refused.set()
        self.clients.append(wrapper)
        try:
            client.connect(self.broker.host, self.broker.port)
        except (OSError, ssl.SSLError):
            wrapper.refused.set()
            return wrapper
        client.loop_start()
        return wrapper

    def account(self, user: str) -> Client:
        client = self.connect(user)
        assert client.connected.wait(TIMEOUT), f"{user} could not connect"
        return client

    def close(self) -> None:
        for wrapper in self.clients:
            wrapper.client.disconnect()
            wrapper.client.loop_stop()


@pytest.fixture
def site(site_config: StationConfig, tmp_path: Path) -> Iterator[Site]:
    result = deploy_broker(site_config, tmp_path / "out", NOW, port=free_port())
    with generated_broker(result, tmp_path / "broker") as broker:
        running = Site(broker, result.out, site_config)
        try:
            yield running
        finally:
            running.close()


def _agent(site: Site, agent_id: str, channel: str) -> str:
    return topics.agent(site.site, agent_id, channel)


def test_no_anonymous_no_wrong_password_no_plain_tcp(site: Site) -> None:
    assert site.connect(None).refused.wait(TIMEOUT)
    assert site.connect("front-door", "not-its-password").refused.wait(TIMEOUT)
    assert site.connect("nobody", "whatever").refused.wait(TIMEOUT)
    plain = site.connect("front-door", tls=False)
    assert plain.refused.wait(TIMEOUT)
    assert not plain.connected.is_set()
    assert site.account("front-door").connected.is_set()  # the right password over TLS


def test_an_agent_cannot_read_another_agents_grants_or_commands(site: Site) -> None:
    sync = site.account(SYNC)
    thief = site.account("front-door")
    # mosquitto 2.0 grants such subscriptions and checks the ACL at delivery (the
    # 2.0.11 shipped here does): what counts is that nothing arrives.
    for channel in (topics.GRANTS, topics.COMMANDS, topics.ACKS, topics.TIME):
        thief.subscribe(_agent(site, "laser-cutter", channel))
    thief.subscribe(topics.all_agents(site.site, topics.GRANTS))  # a wildcard, maybe granted
    thief.subscribe(_agent(site, "front-door", topics.GRANTS))
    sync.publish(_agent(site, "laser-cutter", topics.GRANTS), b"laser", retain=True)
    sync.publish(_agent(site, "laser-cutter", topics.COMMANDS), b"unlock laser")
    sync.publish(_agent(site, "front-door", topics.GRANTS), b"own", retain=True)
    received = [thief.next()]
    while (message := thief.next(QUIET)) is not None:
        received.append(message)
    # Once per matching subscription (the wildcard and its own): only its own grants.
    assert {m.payload for m in received if m is not None} == {b"own"}


def test_an_agent_cannot_publish_another_agents_events_or_status(site: Site) -> None:
    sync = site.account(SYNC)
    for channel in (topics.EVENTS, topics.STATUS, topics.COMMAND_RESULTS):
        sync.subscribe(topics.all_agents(site.site, channel))
    thief = site.account("front-door")
    laser = site.account("laser-cutter")
    thief.publish(_agent(site, "laser-cutter", topics.EVENTS), b"forged event")
    thief.publish(_agent(site, "laser-cutter", topics.STATUS), b"forged status", retain=True)
    thief.publish(_agent(site, "laser-cutter", topics.COMMAND_RESULTS), b"forged result")
    thief.publish(_agent(site, "front-door", topics.GRANTS), b"own grants, forged")
    laser.publish(_agent(site, "laser-cutter", topics.EVENTS), b"real event")
    first = sync.next()
    assert first is not None and first.payload == b"real event"
    assert sync.next(QUIET) is None
    # Nor does a forged status wait, retained, for the next subscriber.
    late = site.account(kiosk_user("entrance"))
    late.subscribe(topics.all_agents(site.site, topics.STATUS))
    assert late.next(QUIET) is None


def test_sync_does_what_it_must(site: Site) -> None:
    sync = site.account(SYNC)
    door = site.account("front-door")
    for channel in (topics.EVENTS, topics.STATUS, topics.COMMAND_RESULTS):
        assert sync.subscribe(topics.all_agents(site.site, channel)) == [1]
    for channel in (topics.GRANTS, topics.ACKS, topics.COMMANDS, topics.TIME):
        assert door.subscribe(_agent(site, "front-door", channel)) == [1]
    for channel in (topics.EVENTS, topics.STATUS, topics.COMMAND_RESULTS):
        door.publish(_agent(site, "front-door", channel), channel.encode())
        message = sync.next()
        assert message is not None and message.topic == _agent(site, "front-door", channel)
    for channel in (topics.GRANTS, topics.ACKS, topics.COMMANDS, topics.TIME):
        sync.publish(_agent(site, "front-door", channel), channel.encode())
        message = door.next()
        assert message is not None and message.payload == channel.encode()
    # Sync speaks for no agent: an event it publishes reaches nobody.
    sync.publish(_agent(site, "front-door", topics.EVENTS), b"forged by sync")
    assert sync.next(QUIET) is None


def test_a_kiosk_commands_and_reads_results_and_statuses_only(site: Site) -> None:
    kiosk = site.account(kiosk_user("entrance"))
    door = site.account("front-door")
    sync = site.account(SYNC)
    assert sync.subscribe(topics.all_agents(site.site, topics.EVENTS)) == [1]
    assert door.subscribe(_agent(site, "front-door", topics.COMMANDS)) == [1]
    assert door.subscribe(_agent(site, "front-door", topics.GRANTS)) == [1]
    for channel in (topics.COMMAND_RESULTS, topics.STATUS):
        assert kiosk.subscribe(topics.all_agents(site.site, channel)) == [1]
    kiosk.subscribe(topics.all_agents(site.site, topics.EVENTS))  # delivers nothing

    kiosk.publish(_agent(site, "front-door", topics.COMMANDS), b"unlock")
    command = door.next()
    assert command is not None and command.payload == b"unlock"
    door.publish(_agent(site, "front-door", topics.EVENTS), b"an event, for sync only")
    door.publish(_agent(site, "front-door", topics.COMMAND_RESULTS), b"applied")
    door.publish(_agent(site, "front-door", topics.STATUS), b"online", retain=True)
    seen = {(m.topic, m.payload) for m in (kiosk.next(), kiosk.next()) if m is not None}
    assert seen == {
        (_agent(site, "front-door", topics.COMMAND_RESULTS), b"applied"),
        (_agent(site, "front-door", topics.STATUS), b"online"),
    }
    # No more: a kiosk forges neither grants for an agent nor an agent's events.
    kiosk.publish(_agent(site, "front-door", topics.GRANTS), b"forged grants")
    kiosk.publish(_agent(site, "front-door", topics.EVENTS), b"forged event")
    assert door.next(QUIET) is None
    first = sync.next()
    assert first is not None and first.payload == b"an event, for sync only"
    assert sync.next(QUIET) is None
    assert kiosk.next(QUIET) is None
