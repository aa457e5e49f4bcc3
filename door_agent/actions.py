"""What the door and machine state machines ask the loop to do.

The state machines never touch hardware or the network: they return these
plain values, and the loop carries them out in order (relay first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SetRelay:
    on: bool


@dataclass(frozen=True, slots=True)
class Indicate:
    pattern: str  # an indicator pattern of hardware.gpio.outputs: granted, denied, warning...


@dataclass(frozen=True, slots=True)
class Emit:
    """An event for the outbox (type from station.protocol.events.EVENT_TYPES)."""

    type: str
    reason: str | None = None
    credential_hash: str | None = None
    member: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


Action = SetRelay | Indicate | Emit
