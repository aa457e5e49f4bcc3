"""Signed commands from the staff screen to the agents, over MQTT (paho-mqtt 2).

Commands are worth nothing later (they expire in seconds and are single use), so
they are not queued while the broker is away: `send` refuses at once with
`BusUnavailable` and staff sees it. Results come back on each agent's
``command_results`` channel and are handed to ``on_result`` from paho's thread.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from kiosk.errors import BusUnavailable
from station.config import StationConfig
from station.keystore import kiosk_key_file
from station.protocol import topics
from station.protocol.client import make_client
from station.protocol.commands import Author, CommandResult, publish_command
from station.protocol.errors import ProtocolError
from station.protocol.keys import KeyFileError, SigningKey
from station.protocol.vocabulary import Command, Refusal

log = logging.getLogger(__name__)
ResultSink = Callable[[str, CommandResult], None]
StateSink = Callable[[bool], None]


class CommandBus:
    """One MQTT connection of one kiosk; ``start`` connects in the background."""

    def __init__(
        self,
        config: StationConfig,
        kiosk_id: str,
        *,
        on_result: ResultSink | None = None,
        on_state: StateSink | None = None,
    ) -> None:
        self.config = config
        self.site = config.site.id
        self.key_file = kiosk_key_file(config.keys_dir, kiosk_id)
        self._on_result = on_result
        self._on_state = on_state
        self._connected = threading.Event()
        self._closed = False
        self.malformed = 0  # command results refused, all reasons
        self.refused: Counter[str] = Counter()  # the same, by reason
        # No persistent session: commands are worth nothing later (see above).
        self.client = make_client(config.mqtt, f"kiosk-{kiosk_id}")
        self.client.on_connect = self._connect
        self.client.on_disconnect = self._disconnect
        self.client.on_message = self._message

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self) -> None:
        mq = self.config.mqtt
        self.client.connect_async(mq.host, mq.port, keepalive=mq.keepalive_s)
        self.client.loop_start()

    def send(
        self,
        agent_id: str,
        command: Command,
        *,
        author: Author,
        reason: str = "",
        args: dict[str, Any] | None = None,
    ) -> str:
        """Sign and publish a command by `author`; its id. `BusUnavailable` if not connected."""
        if agent_id not in self.config.agents:
            raise ValueError(f"unknown agent {agent_id!r}")
        if not self.connected:
            raise BusUnavailable("the message broker is not connected")
        command_id, sent = publish_command(
            self.client,
            self.site,
            agent_id,
            command,
            self._issuer_key(),
            author=author,
            reason=reason,
            args=args,
        )
        if not sent:
            raise BusUnavailable("the broker did not take the command (disconnected)")
        log.info("sent %s to %s (%s) for %s", command, agent_id, command_id, author)
        return command_id

    def _issuer_key(self) -> SigningKey:
        """This kiosk's own key, read at each command: a rotation (`station keys rotate
        --kiosk`) takes effect without a restart. Without one, no command can be sent."""
        try:
            return SigningKey.load(self.key_file)
        except KeyFileError as exc:
            log.error("no command can be signed: %s", exc)
            raise BusUnavailable(f"this kiosk has no issuer key ({exc})") from None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    def __enter__(self) -> CommandBus:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- paho callbacks (paho's thread) -------------------------------------------------

    def _connect(
        self, client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        if reason.is_failure:
            log.warning("broker refused the kiosk: %s", reason)
            return
        client.subscribe(topics.all_agents(self.site, topics.COMMAND_RESULTS), qos=1)
        self._connected.set()
        if self._on_state:
            self._on_state(True)

    def _disconnect(
        self, _client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _properties: Any
    ) -> None:
        self._connected.clear()
        if self._on_state and not self._closed:
            self._on_state(False)

    def _message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        # Decoded here, at the edge: what does not fit is counted and dropped, never
        # raised into paho's thread (an exception there would end the kiosk's link).
        parsed = topics.parse_agent_topic(message.topic)
        try:
            if parsed is None or parsed[0] != self.site or parsed[2] != topics.COMMAND_RESULTS:
                raise ProtocolError(Refusal.MALFORMED, "not a command_results topic of this site")
            body = CommandResult.decode(bytes(message.payload))
        except ProtocolError as exc:
            self.malformed += 1
            self.refused[exc.reason] += 1
            log.warning("malformed command result on %s: %s", message.topic[:200], exc)
            return
        if self._on_result is not None:
            self._on_result(parsed[1], body)
