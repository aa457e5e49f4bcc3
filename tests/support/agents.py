"""The site side of an agent, played with the real station.protocol functions over a
real mosquitto broker, and agents run in a thread with gpiozero's MockFactory."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from gpiozero.pins.mock import MockFactory
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from door_agent.agent import Agent
from door_agent.inbox import Call, MqttMessage
from station.config import StationConfig
from station.credential import Credential
from station.protocol import topics
from station.protocol.client import tls_context
from station.protocol.commands import Author, make_command
from station.protocol.events import AgentEvent, decode_events, encode_ack
from station.protocol.grants import entry_to_json, make_snapshot
from station.protocol.keys import SigningKey
from station.protocol.vocabulary import Command
from station.rules import CredentialFacts, MembershipSpan, ResourceFacts
from station.schedule import Schedule
from tests.support.keys import site_signer, site_trust
from tests.support.wait import wait_for

TIMEOUT = 15.0
RELAY = 17
SITE_AUTHOR = Author("Test Site", "console")  # who the fake site's commands come from


class FakeClock:
    """An agent's monotonic clock (its ``clock=``), moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def member_entry(
    *,
    staff: bool = False,
    revoked: bool = False,
    trainings: tuple[str, ...] = (),
    member: str | None = None,
    expired_training: bool = False,
    membership: bool = True,
    secure_only: bool = False,
) -> dict[str, Any]:
    far = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    spans = (MembershipSpan(dt.date(2000, 1, 1), None),) if membership else ()
    facts = CredentialFacts(
        revoked=revoked,
        staff=staff,
        memberships=spans,
        trainings={t: past if expired_training else far for t in trainings},
        secure_only=secure_only,
    )
    return entry_to_json(facts, member or str(uuid.uuid4()))


def deliver(agent: Agent, channel: str, payload: bytes) -> None:
    """Hand the agent's loop one message, as if the broker had (no broker, no thread)."""
    agent.loop.handle(MqttMessage(channel, payload))


def laser_snapshot(agent: Agent, version: int, uid: str) -> bytes:
    """The laser cutter's signed grants: ``uid`` a member trained on the laser."""
    entries = {
        Credential.uid(uid).keyed_hash(agent.config.badge_key): member_entry(trainings=("laser",))
    }
    return make_snapshot(
        agent.config.site.id,
        "laser-cutter",
        version,
        ResourceFacts("laser-cutter", ("laser",), Schedule.open_always()),
        entries,
        site_trust(agent.config),
        site_signer(agent.config),
    )


class Site:
    """What sync does for one agent: grants, acks, commands; records what the agent says."""

    def __init__(
        self,
        config: StationConfig,
        agent_id: str,
        *,
        auto_ack: bool = True,
        username: str = "",
        password: str = "",
    ) -> None:
        self.config = config
        self.agent_id = agent_id
        self.key = site_signer(config)  # what sync signs with (commands as the console)
        self.trust = site_trust(config)
        self.auto_ack = auto_ack
        self.lock = threading.Lock()
        self.events: list[AgentEvent] = []  # first arrivals, in order
        self.seen: set[str] = set()
        self.duplicates = 0
        self.messages = 0  # event messages received (a batch is one)
        self.statuses: list[dict[str, Any]] = []
        self.results: list[dict[str, Any]] = []
        self.version = 0
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"site-{uuid.uuid4().hex[:8]}",
            protocol=paho.MQTTv5,
        )
        client.on_message = self._on_message
        client.on_connect = self._on_connect
        if username:
            client.username_pw_set(username, password)
        if config.mqtt.tls:
            client.tls_set_context(tls_context(config.mqtt))
        # A persistent session, as sync has: what agents publish while we reconnect waits.
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600
        client.connect(config.mqtt.host, config.mqtt.port, clean_start=False, properties=properties)
        self.client = client
        self.subscribed = threading.Event()
        client.loop_start()
        if not self.subscribed.wait(TIMEOUT):
            raise AssertionError("site client did not connect")

    def topic(self, channel: str) -> str:
        return topics.agent(self.config.site.id, self.agent_id, channel)

    def _on_connect(self, client: paho.Client, *args: Any) -> None:
        client.subscribe(
            [(self.topic(c), 1) for c in (topics.EVENTS, topics.STATUS, topics.COMMAND_RESULTS)]
        )
        self.subscribed.set()

    def _on_message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        channel = topics.parse_agent_topic(msg.topic)[2]  # type: ignore[index]
        if channel == topics.EVENTS:  # one event, or a batch of them (docs/protocol.md)
            events = [AgentEvent.from_json(e) for e in decode_events(bytes(msg.payload))]
            with self.lock:
                for event in events:
                    if str(event.id) in self.seen:
                        self.duplicates += 1
                    else:
                        self.seen.add(str(event.id))
                        self.events.append(event)
                self.messages += 1
            if self.auto_ack:
                ids = [str(event.id) for event in events]
                client.publish(self.topic(topics.ACKS), encode_ack(ids), qos=1)
        elif channel == topics.STATUS and msg.payload:
            self.statuses.append(json.loads(msg.payload))
        elif channel == topics.COMMAND_RESULTS:
            self.results.append(json.loads(msg.payload))

    def ack_all(self) -> None:
        with self.lock:
            ids = [str(e.id) for e in self.events]
        for start in range(0, len(ids), 500):
            self.client.publish(
                self.topic(topics.ACKS), encode_ack(ids[start : start + 500]), qos=1
            )

    # -- what the site sends --------------------------------------------------------

    def snapshot(
        self,
        entries: dict[str, dict[str, Any]],
        *,
        version: int | None = None,
        resource: ResourceFacts | None = None,
        key: SigningKey | None = None,
        issued_at: dt.datetime | None = None,
    ) -> bytes:
        if version is None:
            self.version += 1
            version = self.version
        code = self.config.agents[self.agent_id].resource
        resource = resource or ResourceFacts(
            code, tuple(self.config.agents[self.agent_id].trainings), Schedule.open_always()
        )
        return make_snapshot(
            self.config.site.id,
            self.agent_id,
            version,
            resource,
            entries,
            self.trust,
            key or self.key,
            issued_at,
        )

    def publish_grants(self, payload: bytes) -> None:
        self.client.publish(self.topic(topics.GRANTS), payload, qos=1, retain=True)

    def command(self, name: Command, **kwargs: Any) -> str:
        kwargs.setdefault("author", SITE_AUTHOR)
        command_id, payload = make_command(name, self.agent_id, self.key, **kwargs)
        self.send_raw_command(payload)
        return command_id

    def send_raw_command(self, payload: bytes) -> None:
        self.client.publish(self.topic(topics.COMMANDS), payload, qos=1)

    # -- what the agent said ------------------------------------------------------------

    def of_type(self, *types: str) -> list[AgentEvent]:
        with self.lock:
            return [e for e in self.events if e.type in types]

    def wait_event(self, type_: str, count: int = 1, timeout: float = TIMEOUT) -> list[AgentEvent]:
        return wait_for(
            lambda: len(self.of_type(type_)) >= count and self.of_type(type_),
            timeout,
            what=f"{count} {type_} event(s)",
        )

    def wait_result(self, command_id: str) -> dict[str, Any]:
        found: dict[str, Any] = wait_for(
            lambda: next((r for r in self.results if r["id"] == command_id), None),
            what=f"result of command {command_id}",
        )
        return found

    def close(self) -> None:
        self.client.publish(self.topic(topics.GRANTS), b"", qos=1, retain=True)  # clear
        self.client.loop_stop()
        self.client.disconnect()


class RunningAgent:
    """An Agent running its loop in a thread, with its mock pins at hand."""

    def __init__(self, agent: Agent, factory: MockFactory) -> None:
        self.agent = agent
        self.factory = factory
        self.result: str | BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = self.agent.run()
        except BaseException as exc:  # recorded for the test to assert on
            self.result = exc

    def pin(self, number: int) -> Any:
        return self.factory.pin(number)

    @property
    def relay(self) -> bool:
        return bool(self.pin(RELAY).state)

    def pattern(self) -> str:
        """The indicator pattern showing now."""
        indicator = self.agent.io.indicator
        assert indicator is not None
        return str(self.call(lambda: indicator.pattern))

    def hash(self, uid: str) -> str:
        return Credential.uid(uid).keyed_hash(self.agent.config.badge_key)

    def tap(self, uid: str) -> None:
        self.agent.reader.present(uid)  # type: ignore[attr-defined]

    def lift(self) -> None:
        self.agent.reader.remove()  # type: ignore[attr-defined]

    def call(self, function: Callable[[], Any]) -> Any:
        """Run ``function`` in the loop and return its result (state stays single-threaded)."""
        done = threading.Event()
        box: list[Any] = []

        def wrapped() -> None:
            box.append(function())
            done.set()

        self.agent.events.put(Call(wrapped))
        assert done.wait(TIMEOUT), "the loop did not run the call"
        return box[0]

    def settle(self) -> None:
        """Wait until the loop has handled everything posted so far."""
        self.call(lambda: None)

    def stop(self) -> None:
        self.agent.stop("test")
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive()


def agent_overrides(**agents: dict[str, Any]) -> dict[str, Any]:
    """Config overrides: debounce off for the given agents (tests tap fast)."""
    result: dict[str, Any] = {}
    for agent_id, extra in agents.items():
        merged = {"reader": {"debounce_s": 0}}
        merged.update(extra)
        result[agent_id] = merged
    return {"agents": result}
