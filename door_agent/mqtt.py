"""The agent's MQTT link: one thread owning the connection, posting what it hears.

- paho-mqtt 2 with VERSION2 callbacks; client id = agent id; MQTT 5 with
  ``clean_start=False`` and a session expiry, or 3.1.1 with ``clean_session=False``:
  the broker keeps our subscriptions and queues acks and commands while we are away.
- A last will publishes the retained "offline" status if the link dies.
- Each connection gets a new paho client, run by paho's own thread (its only
  socket writer): paho would otherwise resend its own in-flight messages first
  after a reconnect, before the older ones the outbox resends, and the site would
  see events out of order. The outbox is the only memory of what is unacknowledged.
- Reconnects with exponential backoff (0.5 s to 30 s, with jitter).
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode

from door_agent.inbox import LoopEvent, MqttConnected, MqttDisconnected, MqttMessage
from station.config.connections import MqttConfig
from station.protocol import topics
from station.protocol.client import make_client, session_connect_kwargs
from station.protocol.signing import MAX_MESSAGE_BYTES, MAX_SNAPSHOT_BYTES

log = logging.getLogger(__name__)

BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 30.0
INBOUND = (topics.GRANTS, topics.GRANTS_DELTA, topics.ACKS, topics.COMMANDS, topics.TIME)
MAX_INFLIGHT = 100
CONNACK_TIMEOUT_S = 30.0


class MqttLink:
    def __init__(
        self,
        config: MqttConfig,
        site: str,
        agent_id: str,
        post: Callable[[LoopEvent], None],
        *,
        will: Callable[[], bytes],
    ) -> None:
        self.config = config
        self.site = site
        self.agent_id = agent_id
        self._post = post
        self._will = will  # the offline status as of each new connection
        self._lock = threading.Lock()
        self._client: paho.Client | None = None  # the connected client, else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._generation = 0
        self.connects = 0

    def topic(self, channel: str) -> str:
        return topics.agent(self.site, self.agent_id, channel)

    @property
    def connected(self) -> bool:
        return self._client is not None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"mqtt {self.agent_id}", daemon=True
            )
            self._thread.start()

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        generation: int | None = None,
    ) -> bool:
        """Hand a message to the current connection; False when there is none, or when
        it is not connection number ``generation`` (the one the caller has seen begin:
        the outbox must not go on from its old position on a connection that has not
        yet been announced to the loop).

        Once paho has taken a QoS 1 message it keeps it, and sends it when the socket
        allows, whatever ``rc`` says (MQTT_ERR_AGAIN on a full socket buffer): handing
        it over again would send it twice and out of order. If the connection is lost
        instead, the next one starts from the outbox anyway.
        """
        with self._lock:
            client = self._client
            if generation is not None and generation != self._generation:
                return False
        if client is None:
            return False
        info = client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_AGAIN):
            log.debug("mqtt: publish on %s returned %s", topic, info.rc)
        return info.rc != MQTTErrorCode.MQTT_ERR_QUEUE_SIZE

    def close(self, last_status: bytes | None = None, timeout: float = 3.0) -> None:
        """Publish ``last_status`` (retained) if connected, disconnect cleanly; safe twice."""
        if self._stop.is_set():
            return
        with self._lock:
            client = self._client
        if client is not None and last_status is not None:
            with contextlib.suppress(Exception):  # best effort: the will covers the rest
                info = client.publish(self.topic(topics.STATUS), last_status, qos=1, retain=True)
                info.wait_for_publish(timeout)
        self._stop.set()
        if client is not None:
            with contextlib.suppress(Exception):
                client.disconnect()
                client.loop_stop()
        if self._thread is not None:
            self._thread.join(timeout + 2)

    # -- the connection thread ---------------------------------------------------------

    def _run(self) -> None:
        backoff = BACKOFF_MIN_S
        while not self._stop.is_set():
            client = self._new_client()
            try:
                self._connect(client)
            except (OSError, ValueError) as exc:  # refused, unreachable, TLS (SSLError)
                log.info(
                    "mqtt: cannot connect to %s:%s (%s); retry in %.1f s",
                    self.config.host,
                    self.config.port,
                    exc,
                    backoff,
                )
                self._stop.wait(backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, BACKOFF_MAX_S)
                continue
            # paho's own thread runs this connection and is its only writer: publishing
            # from the loop thread then only queues (two writers would interleave
            # packets, and events would leave out of order). It ends with the
            # connection (reconnect_on_failure=False): reconnecting is ours to do.
            dropped = threading.Event()
            client.on_disconnect = _setter(dropped)
            client.loop_start()
            give_up = time.monotonic() + CONNACK_TIMEOUT_S
            while not self._stop.is_set() and not dropped.wait(0.2):
                if self._client is client:
                    backoff, give_up = BACKOFF_MIN_S, float("inf")
                elif time.monotonic() > give_up:  # no CONNACK: try afresh
                    break
            with self._lock:
                was_connected, self._client = self._client is client, None
            if not self._stop.is_set():
                with contextlib.suppress(Exception):
                    client.disconnect()
                client.loop_stop()
            if was_connected:
                self._post(MqttDisconnected("connection lost"))
            if not self._stop.is_set():
                self._stop.wait(backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, BACKOFF_MAX_S)

    def _new_client(self) -> paho.Client:
        client = make_client(self.config, self.agent_id, persistent=True, reconnect=False)
        client.max_inflight_messages_set(MAX_INFLIGHT)
        client.will_set(self.topic(topics.STATUS), self._will(), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        return client

    def _connect(self, client: paho.Client) -> None:
        cfg = self.config
        client.connect(cfg.host, cfg.port, cfg.keepalive_s, **session_connect_kwargs(cfg))

    def _on_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.warning("mqtt: broker refused the connection: %s", reason)
            return
        client.subscribe([(self.topic(channel), 1) for channel in INBOUND])
        with self._lock:
            self._generation += 1
            self._client = client
            generation = self._generation
        self.connects += 1
        log.info(
            "mqtt: connected to %s:%s (session present: %s)",
            self.config.host,
            self.config.port,
            getattr(flags, "session_present", "?"),
        )
        self._post(MqttConnected(generation))

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        parsed = topics.parse_agent_topic(message.topic)
        # Another site's topic too: acks or grants meant for a namesake elsewhere.
        if parsed is None or parsed[:2] != (self.site, self.agent_id) or parsed[2] not in INBOUND:
            log.warning("mqtt: message on unexpected topic %r ignored", message.topic[:200])
            return
        channel = parsed[2]
        # No more than the decoder reads: a larger payload is cut one byte past its limit,
        # so the loop refuses (and counts) it as too large without holding all of it.
        grants = channel in (topics.GRANTS, topics.GRANTS_DELTA)
        limit = MAX_SNAPSHOT_BYTES if grants else MAX_MESSAGE_BYTES
        payload = bytes(message.payload[: limit + 1])
        self._post(MqttMessage(channel, payload, bool(message.retain)))


def _setter(event: threading.Event) -> Callable[..., None]:
    """A paho callback that sets ``event`` (on_disconnect: this connection is over)."""

    def callback(*args: Any) -> None:
        event.set()

    return callback
