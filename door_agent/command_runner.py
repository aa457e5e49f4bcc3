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
from typing import Any, Literal, TypedDict

from door_agent.actions import Action
from door_agent.controller import CommandCall, Controller
from door_agent.errors import CommandRefused
from station.protocol.commands import Author, CommandResult, RefusedCommand, check_command
from station.protocol.errors import ProtocolError
from station.protocol.keys import Keyring
from station.protocol.vocabulary import APPLIED, Command, Refusal

# What checking an inbound payload may raise besides ProtocolError (a ValueError):
# signing.verify() re-serialising a body with NaN (json reads it, canonical JSON
# refuses it) or comparing a non-ASCII signature (TypeError).
INPUT_ERRORS = (ValueError, TypeError, OverflowError)


def as_refusal(exc: Exception) -> tuple[Refusal, str]:
    """``exc`` from checking a payload, as the refusal to report: (reason, detail)."""
    if isinstance(exc, ProtocolError):
        return exc.reason, exc.detail
    return Refusal.MALFORMED, f"cannot be checked ({type(exc).__name__}: {exc})"


@dataclass
class CommandOutcome:
    command_id: str | None
    command: Command | None
    refusal: Refusal | None  # None: applied
    detail: str = ""
    actions: list[Action] = field(default_factory=list)
    refresh_status: bool = False
    # None: forged or malformed, so no one can be trusted to have sent it.
    author: Author | None = None
    why: str = ""  # the author's reason, "" when none was given

    @property
    def ok(self) -> bool:
        return self.refusal is None

    @property
    def reason(self) -> Refusal | Literal["applied"]:
        return APPLIED if self.refusal is None else self.refusal

    def result(self, agent_id: str, at: dt.datetime) -> CommandResult:
        """What goes back on ``command_results``."""
        return CommandResult(agent_id, self.reason, self.command, self.command_id, self.detail, at)


def run_command(
    payload: bytes,
    *,
    agent_id: str,
    issuers: Keyring,
    controller: Controller,
    wall: dt.datetime,
    now: float,
    already_seen: Callable[[str], bool],
) -> CommandOutcome:
    """Check and carry out one command; never raises for anything in the payload."""
    try:
        body = check_command(payload, agent_id, issuers, wall, already_seen)
    except RefusedCommand as exc:  # signed, with an author: the refusal names them
        return CommandOutcome(
            _peek_id(payload), _peek_command(payload), exc.reason, exc.detail, **_by(exc)
        )
    except INPUT_ERRORS as exc:
        reason, detail = as_refusal(exc)
        return CommandOutcome(_peek_id(payload), None, reason, detail)
    command_id, command = str(body["id"]), Command(body["command"])
    by = _by(body)
    if command is Command.REFRESH_STATUS:  # the loop's, whatever it drives
        return CommandOutcome(command_id, command, None, refresh_status=True, **by)
    handler = controller.commands().get(command)
    if handler is None:
        return CommandOutcome(
            command_id,
            command,
            Refusal.NOT_APPLICABLE,
            f"{command.value!r} does not apply to a {controller.kind}",
            **by,
        )
    try:
        actions = handler(CommandCall(now, wall, body["args"]))
    except CommandRefused as exc:
        return CommandOutcome(command_id, command, exc.reason, exc.detail, **by)
    return CommandOutcome(command_id, command, None, actions=actions, **by)


class _By(TypedDict):
    author: Author
    why: str


def _by(source: RefusedCommand | dict[str, Any]) -> _By:
    """Author and reason of a command check_command has read (so both are valid)."""
    if isinstance(source, RefusedCommand):
        return {"author": source.author, "why": source.why}
    return {"author": Author.decode(source["issued_by"]), "why": source.get("reason", "")}


def _peek_command(payload: bytes) -> Command | None:
    """The command of a signed one refused (expired, replayed...), if it names one."""
    try:
        return Command(json.loads(payload)["body"]["command"])
    except (ValueError, KeyError, TypeError):
        return None


def _peek_id(payload: bytes) -> str | None:
    """The id of a refused command if one can be read, so the site can match the result."""
    try:
        body = json.loads(payload).get("body", {})
        value = body.get("id") if isinstance(body, dict) else None
    except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
        return None
    return value[:64] if isinstance(value, str) else None
