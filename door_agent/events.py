"""What the reader, GPIO, MQTT and signal handlers post to the agent's one queue.

Reader events are posted as they come from `hardware.readers` (BadgePresented,
BadgeRemoved, ReaderState, BadRead); the ones below complete the set.
"""

from __future__ import annotations

from dataclasses import dataclass

from hardware.readers import ReaderEvent


@dataclass(frozen=True, slots=True)
class ContactChanged:
    closed: bool  # door contact: True = door shut


@dataclass(frozen=True, slots=True)
class ExitPressed:
    pass


@dataclass(frozen=True, slots=True)
class BusyChanged:
    busy: bool  # machine current sensor


@dataclass(frozen=True, slots=True)
class MqttConnected:
    generation: int  # a new number per connection: a reconnect resends the backlog


@dataclass(frozen=True, slots=True)
class MqttDisconnected:
    detail: str


@dataclass(frozen=True, slots=True)
class MqttMessage:
    channel: str  # station.protocol.topics channel (grants, acks, commands)
    payload: bytes
    retained: bool = False


@dataclass(frozen=True, slots=True)
class Stop:
    reason: str  # "signal SIGTERM", "requested"...


@dataclass(frozen=True, slots=True)
class Call:
    """Run a function inside the loop (tests, benchmarks): keeps state single-threaded."""

    function: object  # Callable[[], None]; kept loose so the dataclass stays hashable


LoopEvent = (ReaderEvent | ContactChanged | ExitPressed | BusyChanged | MqttConnected
             | MqttDisconnected | MqttMessage | Stop | Call)
