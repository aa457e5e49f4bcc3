"""Commands from the site: verified (signature, agent, expiry, single use), then
carried out by the door or machine state machine, never around it.

Every command gets a result on COMMAND_RESULTS, refusals with their reason:
``{"id", "agent", "command", "ok", "reason", "detail", "at"}``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from door_agent.actions import Action
from door_agent.door import Door
from door_agent.errors import CommandRefused
from door_agent.machine import Machine
from station.errors import ProtocolError
from station.protocol.commands import check_command

MAX_HOLD = dt.timedelta(hours=24)
# What checking an inbound payload may raise besides ProtocolError (a ValueError):
# signing.verify() re-serialising a body with NaN (json reads it, canonical JSON
# refuses it) or comparing a non-ASCII signature (TypeError).
INPUT_ERRORS = (ValueError, TypeError, OverflowError)


def as_refusal(exc: Exception) -> ProtocolError:
    """``exc`` from checking a payload, as the refusal to report."""
    if isinstance(exc, ProtocolError):
        return exc
    return ProtocolError("malformed", f"cannot be checked ({type(exc).__name__}: {exc})")


@dataclass
class CommandOutcome:
    command_id: str | None
    command: str | None
    ok: bool
    reason: str
    detail: str = ""
    actions: list[Action] = field(default_factory=list)
    refresh_status: bool = False

    def to_json(self, agent_id: str, at: dt.datetime) -> bytes:
        body = {
            "id": self.command_id,
            "agent": agent_id,
            "command": self.command,
            "ok": self.ok,
            "reason": self.reason,
            "detail": self.detail,
            "at": at.isoformat(),
        }
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def run_command(
    payload: bytes,
    *,
    agent_id: str,
    key: bytes,
    controller: Door | Machine,
    wall: dt.datetime,
    now: float,
    already_seen: Callable[[str], bool],
) -> CommandOutcome:
    """Check and carry out one command; never raises for anything in the payload."""
    try:
        body = check_command(payload, agent_id, key, wall, already_seen)
    except INPUT_ERRORS as exc:
        refusal = as_refusal(exc)
        return CommandOutcome(_peek_id(payload), None, False, refusal.reason, refusal.detail)
    command_id, command = str(body["id"]), str(body["command"])
    try:
        actions, refresh = _dispatch(command, body["args"], controller, wall, now)
    except CommandRefused as exc:
        return CommandOutcome(command_id, command, False, exc.reason, exc.detail)
    return CommandOutcome(
        command_id, command, True, "applied", actions=actions, refresh_status=refresh
    )


def _dispatch(
    command: str, args: dict[str, Any], controller: Door | Machine, wall: dt.datetime, now: float
) -> tuple[list[Action], bool]:
    if command == "refresh_status":
        return [], True
    if isinstance(controller, Door):
        door_commands: dict[str, Callable[[float], list[Action]]] = {
            "unlock_once": controller.unlock_once,
            "lock": controller.lock,
            "lockdown": controller.start_lockdown,
            "release": controller.release,
        }
        if command in door_commands:
            return door_commands[command](now), False
        if command == "hold_open":
            if controller.lockdown:
                raise CommandRefused("lockdown", "the door is in lockdown: release it first")
            return controller.hold_open(now + _hold_seconds(args, wall), now), False
    else:
        machine_commands: dict[str, Callable[[float], list[Action]]] = {
            "end_session": controller.end_session,
            "power_off": controller.power_off,
            "block": controller.block,
            "unblock": controller.unblock,
            "clear_check": controller.clear_check,
        }
        if command in machine_commands:
            return machine_commands[command](now), False
    kind = "door" if isinstance(controller, Door) else "machine"
    raise CommandRefused("not_applicable", f"{command!r} does not apply to a {kind}")


def _hold_seconds(args: dict[str, Any], wall: dt.datetime) -> float:
    """Seconds to hold open, from ``{"until": ISO time}`` or ``{"seconds": n}``."""
    try:
        if "until" in args:
            until = dt.datetime.fromisoformat(str(args["until"]))
            if until.tzinfo is None:
                raise ValueError("'until' needs a UTC offset")
            seconds = (until - wall).total_seconds()
        else:
            seconds = float(args["seconds"])
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise CommandRefused(
            "bad_argument", f"hold_open needs 'until' or 'seconds' ({exc})"
        ) from None
    if not 0 < seconds <= MAX_HOLD.total_seconds():
        raise CommandRefused("bad_argument", "hold_open must end within 24 hours from now")
    return seconds


def _peek_id(payload: bytes) -> str | None:
    """The id of a refused command if one can be read, so the site can match the result."""
    try:
        body = json.loads(payload).get("body", {})
        value = body.get("id") if isinstance(body, dict) else None
    except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
        return None
    return value[:64] if isinstance(value, str) else None
