"""The exception tree of `door_agent`, each class also subclassing a built-in."""

from __future__ import annotations

from station.errors import StationError
from station.protocol.vocabulary import Refusal


class AgentError(StationError):
    """Base of every error raised on purpose by the agent."""


class StoreError(AgentError, RuntimeError):
    """The agent's store (grant cache, durable mode, open session) cannot be read or
    written (the agent then denies)."""


class OutboxError(AgentError, RuntimeError):
    """The event outbox cannot be written."""


class CommandRefused(AgentError, ValueError):
    """A valid command that cannot run here (wrong kind of agent, bad argument)."""

    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
