"""The real mosquitto running what `station deploy broker` wrote, and clients of it
(test_broker, test_device)."""

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
from station.deploy.broker import deploy_broker
from station.protocol import topics
from tests.station.deploy.running import NOW, generated_broker
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

    def connect(
        self,
        user: str | None,
        password: str | None = None,
        *,
        tls: bool = True,
        client_id: str = "",
    ) -> Client:
        """`client_id`: the one asked for (the broker gives each account its user name)."""
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
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

    def account(self, user: str, *, client_id: str = "") -> Client:
        client = self.connect(user, client_id=client_id)
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


def agent_topic(site: Site, agent_id: str, channel: str) -> str:
    return topics.agent(site.site, agent_id, channel)
