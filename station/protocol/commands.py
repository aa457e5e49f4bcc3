"""Commands from the site to an agent: signed, time-limited, single use, and each
with its author (who, from which device) and an optional reason.

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
from station.protocol.keys import Keyring, SigningKey, open_envelope, sign_envelope
from station.protocol.signing import parse_json
from station.protocol.trust import may_issue
from station.protocol.vocabulary import APPLIED, Command, Refusal

DEFAULT_TTL = dt.timedelta(seconds=30)
CLOCK_SKEW = dt.timedelta(seconds=30)
MAX_REASON = 200  # a command's reason: a sentence, not a document
MAX_NAME = 100
DEVICE_KINDS = ("kiosk:", "cli:")  # and "console", which names no host
_DEVICE_CONSOLE = "console"


@dataclass(frozen=True)
class Author:
    """Who issued a command: a staff member (``member``, None when none is known, as
    from a console) by ``name``, from ``device`` (``kiosk:<id>``, ``cli:<host>`` or
    ``console``). On the wire: ``issued_by`` ``{"member", "name", "device"}``."""

    name: str
    device: str
    member: str | None = None

    def __post_init__(self) -> None:
        _check_author(self.name, self.device, self.member)

    @classmethod
    def kiosk(cls, kiosk_id: str, name: str, member: str | None) -> Author:
        return cls(name, f"kiosk:{kiosk_id}", member)

    def encode(self) -> dict[str, Any]:
        return {"member": self.member, "name": self.name, "device": self.device}

    @classmethod
    def decode(cls, value: object) -> Author:
        """The author of an ``issued_by`` object, or `ValueError` saying what does not fit."""
        if not isinstance(value, dict) or set(value) != {"member", "name", "device"}:
            raise ValueError("issued_by must be an object {member, name, device}")
        return cls(value["name"], value["device"], value["member"])

    def __str__(self) -> str:
        return f"{self.name} ({self.device})"


def _check_author(name: object, device: object, member: object) -> None:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME:
        raise ValueError(f"an author's name is a string of 1 to {MAX_NAME} characters")
    if member is not None and (not isinstance(member, str) or not 0 < len(member) <= 64):
        raise ValueError("an author's member is null or an id of up to 64 characters")
    if not isinstance(device, str) or len(device) > MAX_NAME:
        raise ValueError("an author's device is a short string")
    kind_and_id = device != _DEVICE_CONSOLE and any(
        device.startswith(kind) and len(device) > len(kind) for kind in DEVICE_KINDS
    )
    if device != _DEVICE_CONSOLE and not kind_and_id:
        raise ValueError(f"device {device!r:.40} is not kiosk:<id>, cli:<host> or console")


def _check_reason(reason: object) -> str:
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise ValueError(f"a command's reason is a string of at most {MAX_REASON} characters")
    return reason


class RefusedCommand(ProtocolError):
    """A command whose signature and author hold but that may not run (wrong agent,
    expired, replayed...): who sent it is known, so the refusal can name them."""

    def __init__(self, reason: Refusal, detail: str, author: Author, why: str) -> None:
        super().__init__(reason, detail)
        self.author, self.why = author, why


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
    key: SigningKey,
    *,
    author: Author,
    reason: str = "",
    args: dict[str, Any] | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
    now: dt.datetime | None = None,
) -> tuple[str, bool]:
    """Sign `command` for `agent_id` with the issuer's `key` and publish it (QoS 1,
    never retained: a command is for now); (its id, whether the broker took it). The
    caller says what a refusal means to it (the kiosk: its bus is down)."""
    command_id, payload = make_command(
        command,
        agent_id,
        key,
        author=author,
        reason=reason,
        args=args,
        now=now,
        ttl=ttl,
    )
    info = client.publish(
        topics.agent(site, agent_id, topics.COMMANDS), payload, qos=1, retain=False
    )
    return command_id, info is not None and getattr(info, "rc", 0) == 0


def make_command(
    command: Command,
    agent_id: str,
    key: SigningKey,
    *,
    author: Author,
    reason: str = "",
    args: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
) -> tuple[str, bytes]:
    """(command id, signed payload) for `agent_id`, issued by `author` for `reason`."""
    try:  # a plain string from an untyped caller is checked all the same
        command = Command(command)
    except ValueError:
        expected = sorted(member.value for member in Command)
        raise ValueError(f"unknown command {command!r}; expected one of {expected}") from None
    if not isinstance(author, Author):  # an untyped caller's string: every command has an author
        raise TypeError(f"a command's author is an Author, not {author!r:.40}")
    _check_reason(reason)
    issued = now or dt.datetime.now(dt.UTC)
    command_id = str(new_event_id())
    body = {
        "id": command_id,
        "agent": agent_id,
        "command": command.value,
        "args": args or {},
        "issued_at": issued.isoformat(),
        "expires_at": (issued + ttl).isoformat(),
        "issued_by": author.encode(),
        "reason": reason,
    }
    return command_id, sign_envelope(body, key)


def check_command(
    payload: bytes,
    agent_id: str,
    issuers: Keyring,
    now: dt.datetime,
    already_seen: Callable[[str], bool],
) -> dict[str, Any]:
    """The command body if it may run now, else `ProtocolError` with the reason
    (`RefusedCommand`, naming the author, once signature and author hold).

    `issuers` are the keys the agent's snapshot lists; the author's device must be the
    holder of the key that signed (`trust.may_issue`). `already_seen(id)` must remember
    the id durably (the agent's SQLite) and say whether it was seen before: that is
    what makes a command single use.
    """
    body, signer = open_envelope(payload, issuers)
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
    author, why = command_author(body)

    def refuse(reason: Refusal, detail: str) -> RefusedCommand:
        return RefusedCommand(reason, detail, author, why)

    if not may_issue(signer.holder, author.device):
        raise refuse(
            Refusal.WRONG_ISSUER,
            f"key {signer.key_id} of {signer.holder} signed for {author.device}",
        )
    try:
        signer.check_valid_at(now)
    except ProtocolError as exc:
        raise refuse(exc.reason, exc.detail) from None
    if body.get("agent") != agent_id:
        raise refuse(Refusal.WRONG_AGENT, f"meant for {body.get('agent')!r}")
    if not _is_command(command):
        raise refuse(Refusal.UNKNOWN_COMMAND, str(command))
    if expires <= now or expires - issued > dt.timedelta(hours=24):
        raise refuse(Refusal.EXPIRED, f"expired at {expires.isoformat()}")
    if issued > now + CLOCK_SKEW:
        raise refuse(Refusal.NOT_YET_VALID, f"issued in the future ({issued.isoformat()})")
    if already_seen(command_id):
        raise refuse(Refusal.REPLAYED, f"command {command_id} was already received")
    return body


def command_author(body: dict[str, Any]) -> tuple[Author, str]:
    """(author, reason) of a verified command body, or `ProtocolError` (malformed):
    a command without an author is refused, whatever it asks."""
    issued_by = body.get("issued_by")
    if issued_by is None or issued_by == "":
        raise ProtocolError(Refusal.MALFORMED, "no author")
    try:
        author = Author.decode(issued_by)
    except ValueError as exc:
        raise ProtocolError(Refusal.MALFORMED, f"bad author ({exc})") from None
    try:
        return author, _check_reason(body.get("reason", ""))
    except ValueError as exc:
        raise ProtocolError(Refusal.MALFORMED, f"bad reason ({exc})") from None


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
