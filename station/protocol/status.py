"""An agent's retained status (agent -> sync, kiosk): one schema for both ends.

The agent encodes its status with `encode_status`; sync decodes it with
`AgentStatusMessage.decode`, which checks every known key's type and keeps only
those (an unknown key, from a newer agent say, is dropped, not refused: a status is
information for staff, and refusing it would hide a whole agent). Only ``online``
is required: the last will before a first status has little else.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from station.protocol.errors import ProtocolError
from station.protocol.signing import parse_json
from station.protocol.vocabulary import (
    AgentKind,
    ClockProblem,
    ClockState,
    DoorMode,
    DoorState,
    EventType,
    MachineState,
    ReaderHealth,
    Refusal,
    StatusField,
)

MAX_STATUS_BYTES = 16 * 1024  # a real status is some 400 bytes
MAX_VERSION = 2**53  # beyond, no version sync gave out (and JSON readers lose digits)
MAX_ALARMS = 16

Check = Callable[[Any], object]


def _text(limit: int) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > limit or "\x00" in value:
            raise ValueError(f"expected a string of at most {limit} characters")
        return value

    return check


def _one_of(*words: type[Any]) -> Check:
    allowed = {str(member) for enum in words for member in enum}

    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(f"expected one of {sorted(allowed)}")
        return value

    return check


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < MAX_VERSION:
        raise ValueError(f"expected an integer from 0 to {MAX_VERSION}")
    return value


def _alarms(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_ALARMS:
        raise ValueError(f"expected a list of at most {MAX_ALARMS} alarms")
    check = _one_of(EventType)
    return [str(check(item)) for item in value]


def _time(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("expected an ISO 8601 time")
    at = dt.datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise ValueError("the time needs an offset")
    at.astimezone(dt.UTC)  # year 1 at +05:00 does not convert: OverflowError
    return value


def _optional(check: Check) -> Check:
    return lambda value: None if value is None else check(value)


# Each key's check: what the agent writes (door_agent/status.py and the controllers).
SCHEMA: dict[StatusField, Check] = {
    StatusField.AGENT: _text(64),
    StatusField.ONLINE: _flag,
    StatusField.VERSION: _text(64),
    StatusField.KIND: _one_of(AgentKind),
    StatusField.RESOURCE: _text(64),
    StatusField.MODE: _one_of(DoorMode, MachineState),
    StatusField.RELAY: _flag,
    StatusField.DOOR: _one_of(DoorState),
    StatusField.FREE_ACCESS: _flag,
    StatusField.BUSY: _flag,
    StatusField.SESSION_MEMBER: _optional(_text(64)),
    StatusField.ALARMS: _alarms,
    StatusField.READER: _one_of(ReaderHealth),
    StatusField.CLOCK: _one_of(ClockState),
    StatusField.CLOCK_PROBLEM: _optional(_one_of(ClockProblem)),
    StatusField.GRANTS_VERSION: _count,
    StatusField.GRANTS_DIGEST: _text(64),
    StatusField.OUTBOX_DEPTH: _count,
    StatusField.OUTBOX_ALARM: _flag,
    StatusField.AT: _time,
}
REQUIRED = (StatusField.ONLINE,)


@dataclass(frozen=True)
class AgentStatusMessage:
    """A status as checked: ``fields`` holds the known keys present, each of its type."""

    online: bool
    grants_version: int = 0  # absent: the agent holds none yet (or does not say)
    fields: Mapping[StatusField, object] = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> AgentStatusMessage:
        missing = [str(key) for key in REQUIRED if key not in body]
        if missing:
            raise ProtocolError(Refusal.MALFORMED, f"status without {', '.join(missing)}")
        fields: dict[StatusField, object] = {}
        for key, check in SCHEMA.items():
            if key not in body:
                continue
            try:
                fields[key] = check(body[key])
            except (ValueError, TypeError, OverflowError) as exc:
                raise ProtocolError(Refusal.MALFORMED, f"status {key!s}: {exc}") from None
        version = fields.get(StatusField.GRANTS_VERSION, 0)
        assert isinstance(version, int)  # _count checked it
        return cls(online=bool(fields[StatusField.ONLINE]), grants_version=version, fields=fields)

    @classmethod
    def decode(cls, payload: bytes) -> AgentStatusMessage:
        return cls.from_json(parse_json(payload, max_bytes=MAX_STATUS_BYTES))

    def to_json(self) -> dict[str, object]:
        return {str(key): value for key, value in self.fields.items()}

    def encode(self) -> bytes:
        return encode_status(self.fields)


def encode_status(body: Mapping[StatusField, object]) -> bytes:
    """The wire form of a status, as the agent publishes it (enums as their words)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode()
