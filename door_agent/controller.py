"""What the loop needs of the thing an agent drives: a door or a machine.

`Door` and `Machine` implement `Controller`, so the loop and the command runner
never ask which one they hold. A method that means nothing for one of them is a
no-op there (a door has no session, a machine no lockdown). Every method takes
``now`` (monotonic seconds) and returns the actions to carry out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from door_agent.actions import Action
from door_agent.store import Lookup
from hardware.gpio import IoEvent
from station.protocol.vocabulary import AgentKind, Command, StatusField


@dataclass(frozen=True, slots=True)
class CommandCall:
    """A verified command, as its handler sees it."""

    now: float  # monotonic
    wall: dt.datetime  # the trusted clock's time, for arguments given as times
    args: dict[str, Any] = field(default_factory=dict)


CommandHandler = Callable[[CommandCall], list[Action]]
ClosingTime = Callable[[], float | None]


def never_closes() -> float | None:
    return None


class Use(Protocol):
    """The session in progress, as the journal writes it down."""

    @property
    def id(self) -> str: ...
    @property
    def credential_hash(self) -> str: ...
    @property
    def member(self) -> str | None: ...
    @property
    def staff(self) -> bool: ...


class Controller(Protocol):
    @property
    def kind(self) -> AgentKind: ...

    @property
    def relay(self) -> bool:
        """Whether the relay's coil should be energised now."""
        ...

    @property
    def lockdown(self) -> bool: ...

    @property
    def follows_presence(self) -> bool:
        """Whether a session ends when the badge leaves the reader: a card whose secure
        read failed is never reported removed, so it must not start one (loop.py)."""
        ...

    @property
    def session(self) -> Use | None: ...

    def start(self, now: float) -> list[Action]:
        """The outputs as the state wants them once the inputs are read."""
        ...

    def badge(
        self, lookup: Lookup, credential_hash: str, now: float, *, closes_in: ClosingTime = ...
    ) -> list[Action]:
        """A badge was presented and the store decided; `closes_in()` is the time left
        before the resource's schedule closes (None: unknown or never), asked only by a
        controller that needs it (a machine starting a session), not on every tap."""
        ...

    def badge_removed(self, credential_hash: str, now: float) -> list[Action]: ...

    def input(self, event: IoEvent, now: float) -> list[Action]:
        """A wired input changed (or was read at start)."""
        ...

    def set_free_access(self, wanted: bool, now: float) -> list[Action]: ...

    def commands(self) -> Mapping[Command, CommandHandler]:
        """The commands this controller carries out; any other is not applicable."""
        ...

    def durable_mode(self) -> str:
        """What must survive a restart (`restore` takes it back)."""
        ...

    def restore(self, mode: str) -> None: ...

    def deadline(self) -> float | None: ...

    def tick(self, now: float) -> list[Action]: ...

    def status(self) -> dict[StatusField, object]: ...

    def shutdown(self, now: float) -> list[Action]:
        """The agent is stopping (the loop drops the relay itself, after)."""
        ...

    def session_lost(self) -> list[Action]:
        """A session a crash cut was ended at this start."""
        ...
