"""What the reader, GPIO, MQTT and signal handlers post to the agent's one queue
(`LoopEvent`); the wire's events are `station.protocol.events`.

Reader events come as `hardware.readers` makes them, GPIO events as `hardware.gpio`
makes them; the ones below are the agent's own: the MQTT link's, `Stop` (a signal,
`Agent.stop`) and `Call` (tests and benchmarks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hardware.gpio import IoEvent
from hardware.readers import ReaderEvent


@dataclass(frozen=True, slots=True)
class MqttConnected:
    generation: int  # a new number per connection: a reconnect resends the backlog


@dataclass(frozen=True, slots=True)
class MqttDisconnected:
    detail: str


@dataclass(frozen=True, slots=True)
class MqttMessage:
    channel: str  # a station.protocol.topics channel (grants, acks, commands, time)
    payload: bytes
    retained: bool = False


@dataclass(frozen=True, slots=True)
class Stop:
    reason: str  # "signal SIGTERM", "requested"...


@dataclass(frozen=True, slots=True)
class Call:
    """Run a function inside the loop (tests, benchmarks): keeps state single-threaded."""

    function: Callable[[], object]


LoopEvent = ReaderEvent | IoEvent | MqttConnected | MqttDisconnected | MqttMessage | Stop | Call
