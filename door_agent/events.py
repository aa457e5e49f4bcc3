"""What the reader, GPIO, MQTT and signal handlers post to the agent's one queue.

Reader events come as `hardware.readers` makes them (BadgePresented,
BadgeRemoved, ReaderState, BadRead), GPIO events as `hardware.gpio` makes them
(DoorOpened, DoorClosed, ExitPressed, BusyChanged); the ones below complete the set.
"""

from __future__ import annotations

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


LoopEvent = ReaderEvent | IoEvent | MqttConnected | MqttDisconnected | MqttMessage | Stop | Call
