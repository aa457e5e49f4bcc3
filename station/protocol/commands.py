"""Commands from the site to an agent: signed, time-limited, single use.

`publish_command` is how every sender (the kiosk's staff mode, a console) signs and
publishes one; `check_command` is how the agent verifies it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from station.ids import new_event_id
from station.protocol import topics
from station.protocol.errors import ProtocolError
from station.protocol.signing import agent_key, parse_json, sign, verify
from station.protocol.vocabulary import APPLIED, Command, Refusal

DEFAULT_TTL = dt.timedelta(seconds=30)
CLOCK_SKEW = dt.timedelta(seconds=30)


class Publisher(Protocol):
    """A paho ``Client`` or a bus of a part: anything with this publish.

    `qos` and `retain` are keyword-only; paho's positional-or-keyword parameters
    accept keywords too, so both fit. What it returns is falsy, or has a non-zero
    ``rc``, when the message was not queued for the broker.
    """

    def publish(self, topic: str, payload: bytes, *, qos: int = ..., retain: bool = ...) -> Any: ...


def publish_command(
    client: Publisher,
    site: str,
    agent_id: str,
    command: Command,
    site_key: bytes,
    *,
    args: dict[str, Any] | None = None,
    issued_by: str = "",
    ttl: dt.timedelta = DEFAULT_TTL,
    now: dt.datetime | None = None,
) -> tuple[str, bool]:
    """Sign `command` for `agent_id` and publish it (QoS 1, never retained: a command
    is for now); (its id, whether the broker took it). The caller says what a refusal
    means to it (the kiosk: its bus is down)."""
    command_id, payload = make_command(
        command,
        agent_id,
        agent_key(site_key, agent_id),
        args=args,
        now=now,
        ttl=ttl,
        issued_by=issued_by,
    )
    info = client.publish(
        topics.agent(site, agent_id, topics.COMMANDS), payload, qos=1, retain=False
    )
    return command_id, info is not None and getattr(info, "rc", 0) == 0


def make_command(
    command: Command,
    agent_id: str,
    key: bytes,
    *,
    args: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
    issued_by: str = "",
) -> tuple[str, bytes]:
    """(command id, signed payload) for `agent_id`."""
    try:  # a plain string from an untyped caller is checked all the same
        command = Command(command)
    except ValueError:
        expected = sorted(member.value for member in Command)
        raise ValueError(f"unknown command {command!r}; expected one of {expected}") from None
    issued = now or dt.datetime.now(dt.UTC)
    command_id = str(new_event_id())
    body = {
        "id": command_id,
        "agent": agent_id,
        "command": command.value,
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
        raise ProtocolError(Refusal.MALFORMED, f"missing or invalid field ({exc})") from None
    if issued.tzinfo is None or expires.tzinfo is None or not isinstance(args, dict):
        raise ProtocolError(Refusal.MALFORMED, "times must carry an offset, args be an object")
    try:  # times near year 1 or 9999 cannot be compared once shifted to UTC
        issued, expires = issued.astimezone(dt.UTC), expires.astimezone(dt.UTC)
    except OverflowError:
        raise ProtocolError(Refusal.MALFORMED, "times out of range") from None
    if body.get("agent") != agent_id:
        raise ProtocolError(Refusal.WRONG_AGENT, f"meant for {body.get('agent')!r}")
    if not _is_command(command):
        raise ProtocolError(Refusal.UNKNOWN_COMMAND, str(command))
    if expires <= now or expires - issued > dt.timedelta(hours=24):
        raise ProtocolError(Refusal.EXPIRED, f"expired at {expires.isoformat()}")
    if issued > now + CLOCK_SKEW:
        raise ProtocolError(Refusal.NOT_YET_VALID, f"issued in the future ({issued.isoformat()})")
    if already_seen(command_id):
        raise ProtocolError(Refusal.REPLAYED, f"command {command_id} was already received")
    return body


def _is_command(value: Any) -> bool:
    try:
        Command(value)
    except (ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class CommandResult:
    """An agent's answer to a command, on its ``command_results`` topic:
    ``{"id", "agent", "command", "ok", "reason", "detail", "at"}``; ``reason`` is
    ``applied`` or the `Refusal`."""

    agent: str
    reason: Refusal | Literal["applied"]
    command: Command | None = None  # None: refused before it could be read
    id: str | None = None
    detail: str = ""
    at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.reason == APPLIED

    def encode(self) -> bytes:
        body = {
            "id": self.id,
            "agent": self.agent,
            "command": self.command,
            "ok": self.ok,
            "reason": self.reason,
            "detail": self.detail,
            "at": None if self.at is None else self.at.isoformat(),
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def decode(cls, payload: bytes) -> CommandResult:
        """The result, or `ProtocolError` (malformed) saying what does not fit."""
        body = parse_json(payload)
        try:
            agent, ok, reason = body["agent"], body["ok"], body["reason"]
            if not isinstance(agent, str) or not isinstance(ok, bool):
                raise ValueError("'agent' must be a string and 'ok' a boolean")
            parsed: Refusal | Literal["applied"] = APPLIED if reason == APPLIED else Refusal(reason)
            if ok != (parsed == APPLIED):
                raise ValueError(f"'ok' is {ok} with the reason {reason!r}")
            command = body.get("command")
            at = body.get("at")
            return cls(
                agent=agent,
                reason=parsed,
                command=None if command is None else Command(command),
                id=_optional_str(body.get("id")),
                detail=_optional_str(body.get("detail")) or "",
                at=None if at is None else dt.datetime.fromisoformat(str(at)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProtocolError(Refusal.MALFORMED, f"bad command result ({exc})") from None


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected a string, got {value!r:.40}")
