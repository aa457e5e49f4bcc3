"""The door state machine: strike pulses, exit button, forced and held-open alarms,
lockdown and hold-open modes, free access (unlocked by a schedule; lockdown wins).

Plain code with no threads and no clock of its own: every method takes ``now``
(monotonic seconds) and returns `actions` for the loop; the loop calls `tick`
when `deadline` has passed. Decisions are made by the grant cache; the door
only carries them out.
"""

from __future__ import annotations

import enum

from door_agent.actions import Action, Emit, Indicate, SetRelay
from station.config.schema import DoorConfig
from station.rules import Decision


class DoorMode(enum.StrEnum):
    NORMAL = "normal"
    LOCKDOWN = "lockdown"  # only staff pass; the strike stays locked
    HOLD_OPEN = "hold_open"  # event mode: the strike stays released until a time


class Door:
    def __init__(self, config: DoorConfig, *, has_contact: bool) -> None:
        self.config = config
        self.has_contact = has_contact
        self.mode = DoorMode.NORMAL
        self.relay = False
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

    def badge(
        self, decision: Decision, credential_hash: str, member: str | None, now: float
    ) -> list[Action]:
        """A badge was presented and the cache decided."""
        if not decision.granted:
            data = {"detail": decision.detail} if decision.detail else {}
            return [
                Indicate("denied"),
                Emit("denied", decision.reason.value, credential_hash, member, data),
            ]
        actions: list[Action] = self._unlock(now)
        actions += [
            Indicate("granted"),
            Emit("granted", decision.reason.value, credential_hash, member),
        ]
        return actions

    def exit_pressed(self, now: float) -> list[Action]:
        # Egress is never refused, not even in lockdown: people must be able to get out.
        actions: list[Action] = self._unlock(now)
        actions.append(Emit("exit_request"))
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
                actions += [Indicate("warning"), Emit("door_forced", "door_forced")]
            else:
                actions.append(Emit("door_opened"))
        else:
            self.opened_at = None
            if not first_reading:
                actions.append(Emit("door_closed"))
            if self.held_open_sent or self.pre_alarm_sent or self.forced:
                actions.append(Indicate("off"))
            self.pre_alarm_sent = self.held_open_sent = self.forced = False
            if self.unlock_until is not None:  # relock as soon as the person is through
                self.unlock_until = None
                actions += self._apply(now)
        return actions

    # -- commands (already verified by the loop) -------------------------------------

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
        actions.append(Emit("hold_open", data={"seconds": round(until - now, 1)}))
        return actions

    def start_lockdown(self, now: float) -> list[Action]:
        self.mode, self.hold_until, self.unlock_until = DoorMode.LOCKDOWN, None, None
        actions = self._apply(now)
        actions.append(Emit("lockdown"))
        return actions

    def release(self, now: float) -> list[Action]:
        """Back to normal from lockdown or hold-open."""
        self.mode, self.hold_until = DoorMode.NORMAL, None
        if self.is_open:
            self.opened_at = now  # the held-open timer starts again now
        actions = self._apply(now)
        actions.append(Emit("released"))
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
                "free_access_started" if wanted else "free_access_ended",
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
        return DoorMode.LOCKDOWN.value if self.lockdown else DoorMode.NORMAL.value

    def restore(self, mode: str) -> None:
        if mode == DoorMode.LOCKDOWN.value:
            self.mode = DoorMode.LOCKDOWN

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
                actions += [Indicate("warning"), Emit("door_pre_alarm")]
            if not self.held_open_sent and now >= self.opened_at + self.config.held_open_s:
                self.held_open_sent = self.pre_alarm_sent = True
                actions += [Indicate("warning"), Emit("door_held_open", "door_held_open")]
        return self._apply(now) + actions

    def status(self) -> dict[str, object]:
        door = "unknown" if self.is_open is None else "open" if self.is_open else "closed"
        alarms = [
            name
            for name, active in (
                ("door_forced", self.forced),
                ("door_held_open", self.held_open_sent),
                ("door_pre_alarm", self.pre_alarm_sent and not self.held_open_sent),
            )
            if active
        ]
        return {
            "mode": self.mode.value,
            "door": door,
            "alarms": alarms,
            "free_access": self.free_access and not self.lockdown,
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
