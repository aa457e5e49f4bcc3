"""Commands from the site to an agent: signed, time-limited, single use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from station.errors import ProtocolError
from station.ids import new_event_id
from station.protocol.signing import sign, verify

COMMANDS = frozenset(
    {
        "unlock_once",
        "lock",
        "hold_open",
        "lockdown",
        "release",
        "end_session",
        "power_off",
        "refresh_status",
        "block",
        "unblock",
        "clear_check",
    }
)
DEFAULT_TTL = dt.timedelta(seconds=30)
CLOCK_SKEW = dt.timedelta(seconds=30)


def make_command(
    command: str,
    agent_id: str,
    key: bytes,
    *,
    args: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
    issued_by: str = "",
) -> tuple[str, bytes]:
    """(command id, signed payload) for `agent_id`."""
    if command not in COMMANDS:
        raise ValueError(f"unknown command {command!r}; expected one of {sorted(COMMANDS)}")
    issued = now or dt.datetime.now(dt.UTC)
    command_id = str(new_event_id())
    body = {
        "id": command_id,
        "agent": agent_id,
        "command": command,
        "args": args or {},
        "issued_at": issued.isoformat(),
        "expires_at": (issued + ttl).isoformat(),
        "issued_by": issued_by,
    }
    return command_id, sign(body, key)


def check_command(
    payload: bytes, agent_id: str, key: bytes, now: dt.datetime, already_seen: Callable[[str], bool]
) -> dict[str, Any]:
    """The command body if it may run now, else `ProtocolError` with the reason.

    `already_seen(id)` must remember the id durably (the agent's SQLite) and say
    whether it was seen before: that is what makes a command single use.
    """
    body = verify(payload, key)
    try:
        command_id = str(body["id"])
        command = body["command"]
        issued = dt.datetime.fromisoformat(body["issued_at"])
        expires = dt.datetime.fromisoformat(body["expires_at"])
        args = body.get("args", {})
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError("malformed", f"missing or invalid field ({exc})") from None
    if issued.tzinfo is None or expires.tzinfo is None or not isinstance(args, dict):
        raise ProtocolError("malformed", "times must carry an offset, args be an object")
    try:  # times near year 1 or 9999 cannot be compared once shifted to UTC
        issued, expires = issued.astimezone(dt.UTC), expires.astimezone(dt.UTC)
    except OverflowError:
        raise ProtocolError("malformed", "times out of range") from None
    if body.get("agent") != agent_id:
        raise ProtocolError("wrong_agent", f"meant for {body.get('agent')!r}")
    if command not in COMMANDS:
        raise ProtocolError("unknown_command", str(command))
    if expires <= now or expires - issued > dt.timedelta(hours=24):
        raise ProtocolError("expired", f"expired at {expires.isoformat()}")
    if issued > now + CLOCK_SKEW:
        raise ProtocolError("not_yet_valid", f"issued in the future ({issued.isoformat()})")
    if already_seen(command_id):
        raise ProtocolError("replayed", f"command {command_id} was already received")
    return body
