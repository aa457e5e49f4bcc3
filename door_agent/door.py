"""The door state machine: strike pulses, exit button, forced and held-open alarms,
lockdown and hold-open modes, free access (unlocked by a schedule; lockdown wins).

Plain code with no threads and no clock of its own: every method takes ``now``
(monotonic seconds) and returns `actions` for the loop; the loop calls `tick`
when `deadline` has passed. Decisions are made by the grant cache; the door
only carries them out.

Energising the relay releases the door, whatever the lock: a fail-safe lock (a
maglock) is wired through the relay's NC contact (docs/hardware.md), so that an
agent that stops or fails leaves every door locked, and only a power cut (or the
fire alarm, in hardware) releases a fail-safe one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from door_agent.actions import Action, Emit, Indicate, SetRelay
from door_agent.controller import ClosingTime, CommandCall, CommandHandler, never_closes
from door_agent.errors import CommandRefused
from door_agent.store import Lookup
from hardware.gpio import DoorClosed, DoorOpened, ExitPressed, IoEvent
from hardware.gpio.outputs import Pattern
from station.config.agents import DoorConfig
from station.protocol.vocabulary import (
    AgentKind,
    Command,
    DoorMode,
    DoorState,
    EventType,
    Refusal,
    StatusField,
)

MAX_HOLD = dt.timedelta(hours=24)


class Door:
    kind = AgentKind.DOOR
    follows_presence = False  # a tap opens the door: nothing to follow
    session = None  # a door has no session

    def __init__(self, config: DoorConfig, *, has_contact: bool) -> None:
        self.config = config
        self.has_contact = has_contact
        self.mode = DoorMode.NORMAL
        self.relay = False  # energised: the door is released
        self.unlock_until: float | None = None  # end of the current strike pulse
        self.hold_until: float | None = None
        self.is_open: bool | None = None  # None: not read yet, or no contact wired
        self.opened_at: float | None = None
        self.pre_alarm_sent = False
        self.held_open_sent = False
        self.forced = False  # opened by force, until it closes again
        self.free_access = False  # within its free-access schedule (a lockdown overrides)

    # -- inputs ---------------------------------------------------------------------

    @property
    def lockdown(self) -> bool:
        return self.mode is DoorMode.LOCKDOWN

    def start(self, now: float) -> list[Action]:
        """The relay as the state wants it once the inputs are read (a lockdown restored
        keeps it off)."""
        return self._apply(now)

    def badge(
        self,
        lookup: Lookup,
        credential_hash: str,
        now: float,
        *,
        closes_in: ClosingTime = never_closes,
    ) -> list[Action]:
        """A badge was presented and the store decided (a door has no closing time)."""
        decision, member = lookup.decision, lookup.member
        if not decision.granted:
            data = {"detail": decision.detail} if decision.detail else {}
            return [
                Indicate(Pattern.DENIED),
                Emit(EventType.DENIED, decision.reason, credential_hash, member, data),
            ]
        actions: list[Action] = self._unlock(now)
        actions += [
            Indicate(Pattern.GRANTED),
            Emit(EventType.GRANTED, decision.reason, credential_hash, member),
        ]
        return actions

    def badge_removed(self, credential_hash: str, now: float) -> list[Action]:
        return []

    def input(self, event: IoEvent, now: float) -> list[Action]:
        if isinstance(event, DoorOpened | DoorClosed):
            return self.contact(isinstance(event, DoorClosed), now)
        if isinstance(event, ExitPressed):
            return self.exit_pressed(now)
        return []  # a busy input means nothing to a door

    def exit_pressed(self, now: float) -> list[Action]:
        # Egress is never refused, not even in lockdown: people must be able to get out.
        actions: list[Action] = self._unlock(now)
        actions.append(Emit(EventType.EXIT_REQUEST))
        return actions

    def contact(self, closed: bool, now: float) -> list[Action]:
        if self.is_open is not None and self.is_open == (not closed):
            return []  # no change (an initial reading, a bounce)
        first_reading = self.is_open is None
        self.is_open = not closed
        actions: list[Action] = []
        if self.is_open:
            self.opened_at = now
            self.pre_alarm_sent = self.held_open_sent = False
            if first_reading:
                pass  # found open at start: the held-open timer runs, no forced alarm
            elif not self._released(now):
                self.forced = True
                actions += [
                    Indicate(Pattern.WARNING),
                    Emit(EventType.DOOR_FORCED, EventType.DOOR_FORCED),
                ]
            else:
                actions.append(Emit(EventType.DOOR_OPENED))
        else:
            self.opened_at = None
            if not first_reading:
                actions.append(Emit(EventType.DOOR_CLOSED))
            if self.held_open_sent or self.pre_alarm_sent or self.forced:
                actions.append(Indicate(Pattern.OFF))
            self.pre_alarm_sent = self.held_open_sent = self.forced = False
            if self.unlock_until is not None:  # relock as soon as the person is through
                self.unlock_until = None
                actions += self._apply(now)
        return actions

    # -- commands (already verified by the command runner) ----------------------------

    def commands(self) -> Mapping[Command, CommandHandler]:
        return {
            Command.UNLOCK_ONCE: lambda call: self.unlock_once(call.now),
            Command.LOCK: lambda call: self.lock(call.now),
            Command.HOLD_OPEN: self._hold_open_command,
            Command.LOCKDOWN: lambda call: self.start_lockdown(call.now),
            Command.RELEASE: lambda call: self.release(call.now),
        }

    def _hold_open_command(self, call: CommandCall) -> list[Action]:
        if self.lockdown:
            raise CommandRefused(Refusal.LOCKDOWN, "the door is in lockdown: release it first")
        return self.hold_open(call.now + hold_seconds(call.args, call.wall), call.now)

    def unlock_once(self, now: float) -> list[Action]:
        return self._unlock(now)

    def lock(self, now: float) -> list[Action]:
        self.unlock_until = None
        if self.mode is DoorMode.HOLD_OPEN:
            self.mode, self.hold_until = DoorMode.NORMAL, None
        return self._apply(now)

    def hold_open(self, until: float, now: float) -> list[Action]:
        self.mode, self.hold_until = DoorMode.HOLD_OPEN, until
        actions = self._apply(now)
        actions.append(Emit(EventType.HOLD_OPEN, data={"seconds": round(until - now, 1)}))
        return actions

    def start_lockdown(self, now: float) -> list[Action]:
        self.mode, self.hold_until, self.unlock_until = DoorMode.LOCKDOWN, None, None
        actions = self._apply(now)
        actions.append(Emit(EventType.LOCKDOWN))
        return actions

    def release(self, now: float) -> list[Action]:
        """Back to normal from lockdown or hold-open."""
        self.mode, self.hold_until = DoorMode.NORMAL, None
        if self.is_open:
            self.opened_at = now  # the held-open timer starts again now
        actions = self._apply(now)
        actions.append(Emit(EventType.RELEASED))
        return actions

    def set_free_access(self, wanted: bool, now: float) -> list[Action]:
        """Enter or leave the free-access window; leaving re-locks, and both are events."""
        if wanted == self.free_access:
            return []
        self.free_access = wanted
        if not wanted and self.is_open:
            self.opened_at = now  # the held-open timer starts when free access ends
        actions = self._apply(now)
        actions.append(
            Emit(
                EventType.FREE_ACCESS_STARTED if wanted else EventType.FREE_ACCESS_ENDED,
                data={"lockdown": self.lockdown},
            )
        )
        return actions

    @property
    def _held(self) -> bool:
        """Unlocked by a mode rather than a pulse: no held-open alarm then."""
        return self.mode is DoorMode.HOLD_OPEN or (self.free_access and not self.lockdown)

    # -- across restarts ------------------------------------------------------------

    def durable_mode(self) -> str:
        """What must survive a restart: a lockdown (hold-open does not: after a restart
        the door is locked until staff says otherwise, the fail-secure choice)."""
        return DoorMode.LOCKDOWN if self.lockdown else DoorMode.NORMAL

    def restore(self, mode: str) -> None:
        if mode == DoorMode.LOCKDOWN:
            self.mode = DoorMode.LOCKDOWN

    def shutdown(self, now: float) -> list[Action]:
        return []  # nothing to close: the loop drops the relay

    def session_lost(self) -> list[Action]:
        return []

    # -- time ------------------------------------------------------------------------

    def deadline(self) -> float | None:
        times = [t for t in (self.unlock_until, self.hold_until) if t is not None]
        if self.opened_at is not None and not self._held:
            if not self.pre_alarm_sent and self._pre_alarm_at() is not None:
                times.append(self._pre_alarm_at() or 0.0)
            if not self.held_open_sent:
                times.append(self.opened_at + self.config.held_open_s)
        return min(times) if times else None

    def tick(self, now: float) -> list[Action]:
        actions: list[Action] = []
        if self.unlock_until is not None and now >= self.unlock_until:
            self.unlock_until = None
        if self.hold_until is not None and now >= self.hold_until:
            actions += self.release(now)
        if self.opened_at is not None and not self._held:
            pre = self._pre_alarm_at()
            if not self.pre_alarm_sent and pre is not None and now >= pre:
                self.pre_alarm_sent = True
                actions += [Indicate(Pattern.WARNING), Emit(EventType.DOOR_PRE_ALARM)]
            if not self.held_open_sent and now >= self.opened_at + self.config.held_open_s:
                self.held_open_sent = self.pre_alarm_sent = True
                actions += [
                    Indicate(Pattern.WARNING),
                    Emit(EventType.DOOR_HELD_OPEN, EventType.DOOR_HELD_OPEN),
                ]
        return self._apply(now) + actions

    def status(self) -> dict[StatusField, object]:
        door = (
            DoorState.UNKNOWN
            if self.is_open is None
            else DoorState.OPEN
            if self.is_open
            else DoorState.CLOSED
        )
        alarms = [
            name
            for name, active in (
                (EventType.DOOR_FORCED, self.forced),
                (EventType.DOOR_HELD_OPEN, self.held_open_sent),
                (EventType.DOOR_PRE_ALARM, self.pre_alarm_sent and not self.held_open_sent),
            )
            if active
        ]
        return {
            StatusField.MODE: self.mode,
            StatusField.DOOR: door,
            StatusField.ALARMS: alarms,
            StatusField.FREE_ACCESS: self.free_access and not self.lockdown,
        }

    # -- internals -------------------------------------------------------------------

    def _pre_alarm_at(self) -> float | None:
        if self.opened_at is None or not 0 < self.config.pre_alarm_s < self.config.held_open_s:
            return None
        return self.opened_at + self.config.held_open_s - self.config.pre_alarm_s

    def _released(self, now: float) -> bool:
        return self.relay or (self.unlock_until is not None and now < self.unlock_until)

    def _unlock(self, now: float) -> list[Action]:
        self.unlock_until = now + self.config.unlock_s
        return self._apply(now)

    def _apply(self, now: float) -> list[Action]:
        """The relay action needed to match the state, if any."""
        wanted = self._held or (self.unlock_until is not None and now < self.unlock_until)
        if wanted == self.relay:
            return []
        self.relay = wanted
        return [SetRelay(wanted)]


def hold_seconds(args: dict[str, Any], wall: dt.datetime) -> float:
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
            Refusal.BAD_ARGUMENT, f"hold_open needs 'until' or 'seconds' ({exc})"
        ) from None
    if not 0 < seconds <= MAX_HOLD.total_seconds():
        raise CommandRefused(Refusal.BAD_ARGUMENT, "hold_open must end within 24 hours from now")
    return seconds
