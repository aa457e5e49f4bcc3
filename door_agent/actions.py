"""What the door and machine state machines ask the loop to do.

The state machines never touch hardware or the network: they return these
plain values, and the loop carries them out in order (relay first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from hardware.gpio.outputs import Pattern
from station.protocol.vocabulary import (
    AgentDenial,
    AgentStop,
    ClockProblem,
    EndReason,
    EventType,
    MachineStateChange,
    Refusal,
)
from station.rules import Reason

# What an event's reason may be: each family is an enum of the protocol (an event whose
# reason is its own type, `door_forced`, names it with its `EventType`).
EventReason = (
    Reason
    | AgentDenial
    | Refusal
    | EndReason
    | MachineStateChange
    | AgentStop
    | ClockProblem
    | EventType
    | Literal["applied"]
)


@dataclass(frozen=True, slots=True)
class SetRelay:
    on: bool  # energise the relay: a door released, a machine powered


@dataclass(frozen=True, slots=True)
class Indicate:
    pattern: Pattern


@dataclass(frozen=True, slots=True)
class Emit:
    """An event for the outbox."""

    type: EventType
    reason: EventReason | None = None
    credential_hash: str | None = None
    member: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


Action = SetRelay | Indicate | Emit
