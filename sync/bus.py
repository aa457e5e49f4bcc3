"""The sync service's MQTT link. Its thread only posts what it hears to the loop's queue.

paho-mqtt 2 (VERSION2 callbacks), a persistent session (MQTT 5 ``clean_start=False``
with a session expiry, or 3.1.1 ``clean_session=False``) so that events agents
publish while sync is away wait at the broker, and paho's reconnect with backoff.
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import MQTTErrorCode

from station.config.connections import MqttConfig
from station.protocol import topics
from station.protocol.client import make_client, session_connect_kwargs
from station.protocol.signing import MAX_MESSAGE_BYTES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connected:
    pass


@dataclass(frozen=True)
class Disconnected:
    reason: str


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes


class SyncBus:
    """Subscribes to every agent's events, status and command results; publishes
    grants, acks and the console's commands."""

    def __init__(
        self,
        config: MqttConfig,
        site: str,
        inbox: queue.Queue[Any],
        *,
        client_id: str | None = None,
    ) -> None:
        self.config = config
        self.site = site
        self._inbox = inbox
        self._client = make_client(config, client_id or f"station-sync-{site}", persistent=True)
        self._client.max_queued_messages_set(0)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe
        self._subscribing: int | None = None  # message id of the on-connect SUBSCRIBE
        self._subscribed = False
        self._started = False
        self._closed = False

    def start(self) -> None:
        """Connect in the background; paho reconnects by itself after a failure."""
        if self._started:
            return
        self._started = True
        self._client.connect_async(
            self.config.host,
            self.config.port,
            keepalive=self.config.keepalive_s,
            **session_connect_kwargs(self.config),
        )
        self._client.loop_start()

    @property
    def connected(self) -> bool:
        return self._client.is_connected()

    @property
    def subscribed(self) -> bool:
        """Connected and the broker has confirmed (SUBACK) the events and status
        subscriptions: from here on, nothing an agent publishes is missed."""
        return self._subscribed and self._client.is_connected()

    def publish(
        self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False
    ) -> paho.MQTTMessageInfo | None:
        """Queue a message for the broker; None when not connected (retry later)."""
        if not self._client.is_connected():
            return None
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        return info if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS else None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._started:
            self._client.disconnect()
            self._client.loop_stop()

    def __enter__(self) -> SyncBus:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- paho's thread: post only -------------------------------------------------------

    def _on_connect(
        self, client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        if reason.is_failure:
            self._inbox.put(Disconnected(f"refused: {reason}"))
            return
        self._subscribed = False
        _result, self._subscribing = client.subscribe(
            [
                (topics.all_agents(self.site, topics.EVENTS), 1),
                (topics.all_agents(self.site, topics.STATUS), 1),
                # What came of the console's commands (sync.commands).
                (topics.all_agents(self.site, topics.COMMAND_RESULTS), 1),
            ]
        )
        self._inbox.put(Connected())

    def _on_subscribe(
        self, _client: paho.Client, _userdata: Any, mid: int, reasons: Any, _properties: Any
    ) -> None:
        # Runs on the same network thread as _on_connect, so `_subscribing` is set.
        if mid != self._subscribing:
            return
        refused = [str(r) for r in reasons if r.is_failure]
        if refused:
            log.warning("broker refused sync's subscriptions: %s", ", ".join(refused))
            return
        self._subscribed = True

    def _on_disconnect(
        self, _client: paho.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        self._subscribed = False
        self._inbox.put(Disconnected(str(reason)))

    def _on_message(self, _client: paho.Client, _userdata: Any, message: paho.MQTTMessage) -> None:
        # Agents send sync nothing over MAX_MESSAGE_BYTES: cut one byte past it, a larger
        # payload is refused (and counted) as too large by the loop, not queued whole.
        self._inbox.put(Message(message.topic, bytes(message.payload[: MAX_MESSAGE_BYTES + 1])))
