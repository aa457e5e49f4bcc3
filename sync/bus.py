"""The sync service's MQTT link. Its thread only posts what it hears to the loop's queue.

paho-mqtt 2 (VERSION2 callbacks), a persistent session (MQTT 5 ``clean_start=False``
with a session expiry, or 3.1.1 ``clean_session=False``) so that events agents
publish while sync is away wait at the broker, and paho's reconnect with backoff.
"""

from __future__ import annotations

import logging
import queue
import ssl
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from station.config.schema import MqttConfig
from station.protocol import topics

log = logging.getLogger(__name__)

RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 30


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
    """Subscribes to every agent's events and status; publishes grants and acks."""

    def __init__(self, config: MqttConfig, site: str, inbox: queue.Queue[Any], *,
                 client_id: str | None = None) -> None:
        self.config = config
        self.site = site
        self._inbox = inbox
        v5 = config.protocol == 5
        self._client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id or f"station-sync-{site}",
            protocol=MQTTProtocolVersion.MQTTv5 if v5 else MQTTProtocolVersion.MQTTv311,
            clean_session=None if v5 else False)
        if config.username:
            self._client.username_pw_set(config.username, config.password or None)
        if config.tls:
            self._client.tls_set(ca_certs=config.ca_file or None,
                                 tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self._client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        self._client.max_queued_messages_set(0)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._started = False
        self._closed = False

    def start(self) -> None:
        """Connect in the background; paho reconnects by itself after a failure."""
        if self._started:
            return
        self._started = True
        kwargs: dict[str, Any] = {}
        if self.config.protocol == 5:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.config.session_expiry_s
            kwargs = {"clean_start": False, "properties": properties}
        self._client.connect_async(self.config.host, self.config.port,
                                   keepalive=self.config.keepalive_s, **kwargs)
        self._client.loop_start()

    @property
    def connected(self) -> bool:
        return self._client.is_connected()

    def publish(self, topic: str, payload: bytes, *, qos: int = 1,
                retain: bool = False) -> paho.MQTTMessageInfo | None:
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

    def _on_connect(self, client: paho.Client, _userdata: Any, _flags: Any,
                    reason: Any, _properties: Any) -> None:
        if reason.is_failure:
            self._inbox.put(Disconnected(f"refused: {reason}"))
            return
        client.subscribe([(topics.all_agents(self.site, topics.EVENTS), 1),
                          (topics.all_agents(self.site, topics.STATUS), 1)])
        self._inbox.put(Connected())

    def _on_disconnect(self, _client: paho.Client, _userdata: Any, _flags: Any,
                       reason: Any, _properties: Any) -> None:
        self._inbox.put(Disconnected(str(reason)))

    def _on_message(self, _client: paho.Client, _userdata: Any,
                    message: paho.MQTTMessage) -> None:
        self._inbox.put(Message(message.topic, bytes(message.payload)))
