"""The machine state machine: sessions, presence, time limits, Blocked and ToCheck.

States: Free (relay off, waiting for a badge), InUse (a session, relay on),
Blocked (out of order, set by staff: relay off whatever happens), ToCheck
(after a session where configured: staff must clear it). A session ends by a
second tap, by taking the badge off (presence mode), by the maximum length, by
the idle timeout, by staff; the time limits warn first, and if the machine is
still busy when the session ends its power is kept for ``coast_s`` at most
(e.g. a laser's exhaust) before it is cut.

Plain code, no threads, no clock: methods take ``now`` (monotonic seconds) and
return `actions`; the loop calls `tick` once `deadline` has passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from door_agent.actions import Action, Emit, Indicate, SetRelay
from door_agent.controller import ClosingTime, CommandHandler, never_closes
from door_agent.store import Lookup
from hardware.gpio import BusyChanged, IoEvent
from hardware.gpio.outputs import Pattern
from station.config.agents import MachineConfig
from station.ids import new_event_id
from station.protocol.vocabulary import (
    AgentDenial,
    AgentKind,
    Command,
    EndReason,
    EventType,
    MachineState,
    MachineStateChange,
    StatusField,
)
from station.rules import Decision, Reason


@dataclass
class MachineUse:
    """One use of the machine, from the badge that starts it to its end (the site
    records it as a `MachineSession`)."""

    credential_hash: str
    member: str | None
    staff: bool
    started: float
    idle_since: float  # == started until the busy input says otherwise
    warned: bool = False
    closes_at: float | None = None  # the machine's closing time; None for staff, 24/7
    id: str = field(default_factory=lambda: str(new_event_id()))  # names it at the site


class Machine:
    kind = AgentKind.MACHINE
    lockdown = False  # staff block a machine instead

    @property
    def follows_presence(self) -> bool:
        return self.config.presence

    def __init__(self, config: MachineConfig, *, has_busy_input: bool) -> None:
        self.config = config
        self.has_busy_input = has_busy_input
        self.state = MachineState.FREE
        self.session: MachineUse | None = None
        self.busy = False
        self.relay = False
        self.coast_until: float | None = None  # power kept after the end while busy

    # -- inputs ---------------------------------------------------------------------

    def start(self, now: float) -> list[Action]:
        return []  # Free or Blocked or ToCheck: the relay stays off

    def badge(
        self,
        lookup: Lookup,
        credential_hash: str,
        now: float,
        *,
        closes_in: ClosingTime = never_closes,
    ) -> list[Action]:
        """`closes_in()`: time left before the machine's schedule closes; a session
        still running then is warned and ended (`closing_time`); staff are not bound."""
        decision, member, staff = lookup.decision, lookup.member, lookup.staff
        session = self.session
        if self.state is MachineState.IN_USE and session is not None:
            if credential_hash == session.credential_hash:
                return self._end(now, EndReason.BADGE_TAP)
            if decision.granted and staff:  # staff takeover: close the session, open theirs
                return self._end(now, EndReason.STAFF_TAKEOVER, takeover=True) + self._start(
                    decision, credential_hash, member, staff, now, None
                )
            return self._deny(
                decision if not decision.granted else None,
                credential_hash,
                member,
                AgentDenial.MACHINE_IN_USE,
            )
        if self.state is MachineState.BLOCKED:
            return self._deny(None, credential_hash, member, Reason.RESOURCE_OUT_OF_ORDER)
        if self.state is MachineState.TO_CHECK:
            if decision.granted and staff:  # staff looked at it: a tap clears the check
                return [
                    *self._set_state(MachineState.FREE, MachineStateChange.CHECKED_BY_STAFF),
                    Indicate(Pattern.GRANTED),
                    Emit(
                        EventType.GRANTED,
                        decision.reason,
                        credential_hash,
                        member,
                        {"cleared": True},
                    ),
                ]
            return self._deny(
                decision if not decision.granted else None,
                credential_hash,
                member,
                Reason.RESOURCE_OUT_OF_ORDER,
                MachineState.TO_CHECK,
            )
        if not decision.granted:
            return self._deny(decision, credential_hash, member, decision.reason)
        return self._start(
            decision,
            credential_hash,
            member,
            staff,
            now,
            None if staff else _after(now, closes_in()),
        )

    def badge_removed(self, credential_hash: str, now: float) -> list[Action]:
        session = self.session
        if (
            self.config.presence
            and session is not None
            and session.credential_hash == credential_hash
        ):
            return self._end(now, EndReason.BADGE_REMOVED)
        return []

    def input(self, event: IoEvent, now: float) -> list[Action]:
        if isinstance(event, BusyChanged):
            return self.busy_changed(event.busy, now)
        return []  # a door contact or an exit button means nothing to a machine

    def set_free_access(self, wanted: bool, now: float) -> list[Action]:
        return []  # only a door is in free access (the configuration refuses it here)

    def busy_changed(self, busy: bool, now: float) -> list[Action]:
        session = self.session
        idle_warned = (
            session is not None and session.warned and self._limit()[1] is EndReason.IDLE_TIMEOUT
        )
        self.busy = busy
        actions: list[Action] = []
        if session is not None:
            if busy and idle_warned:
                session.warned = False  # activity cancels an idle warning
                actions.append(Indicate(Pattern.IN_USE))
            elif not busy:
                session.idle_since = now
        if not busy and self.coast_until is not None:
            self.coast_until = None  # it stopped on its own: cut now
            actions += self._apply()
        return actions

    # -- staff commands ----------------------------------------------------------------

    def commands(self) -> Mapping[Command, CommandHandler]:
        return {
            Command.END_SESSION: lambda call: self.end_session(call.now),
            Command.POWER_OFF: lambda call: self.power_off(call.now),
            Command.BLOCK: lambda call: self.block(call.now),
            Command.UNBLOCK: lambda call: self.unblock(call.now),
            Command.CLEAR_CHECK: lambda call: self.clear_check(call.now),
        }

    def end_session(self, now: float) -> list[Action]:
        return self._end(now, EndReason.STAFF) if self.session is not None else []

    def power_off(self, now: float) -> list[Action]:
        """End any session and cut power now, without coasting."""
        actions = self._end(now, EndReason.POWER_OFF) if self.session is not None else []
        self.coast_until = None
        return actions + self._apply()

    def block(self, now: float) -> list[Action]:
        actions = self.power_off(now)
        return actions + self._set_state(MachineState.BLOCKED, MachineStateChange.BLOCKED_BY_STAFF)

    def unblock(self, now: float) -> list[Action]:
        if self.state is not MachineState.BLOCKED:
            return []
        return self._set_state(MachineState.FREE, MachineStateChange.UNBLOCKED_BY_STAFF)

    def clear_check(self, now: float) -> list[Action]:
        if self.state is not MachineState.TO_CHECK:
            return []
        return self._set_state(MachineState.FREE, MachineStateChange.CHECKED_BY_STAFF)

    def shutdown(self, now: float) -> list[Action]:
        """The agent is stopping: the power goes with it (no coast), and the session
        ends here, or the site would keep it open and never count its time."""
        actions = self._end(now, EndReason.AGENT_STOPPED) if self.session is not None else []
        self.coast_until = None
        return actions + self._apply()

    def session_lost(self) -> list[Action]:
        """A session a crash cut was ended at the restart: it was a use all the same, so
        a machine checked after use needs its check."""
        if self.config.check_after_use and self.state is MachineState.FREE:
            return self._set_state(MachineState.TO_CHECK, MachineStateChange.AGENT_RESTARTED)
        return []

    # -- across restarts ------------------------------------------------------------

    def durable_mode(self) -> str:
        """What must survive a restart: Blocked and ToCheck (a session does not: the
        machine comes back unpowered, Free)."""
        if self.state in (MachineState.BLOCKED, MachineState.TO_CHECK):
            return self.state
        return MachineState.FREE

    def restore(self, mode: str) -> None:
        if mode in (MachineState.BLOCKED, MachineState.TO_CHECK):
            self.state = MachineState(mode)

    # -- time ------------------------------------------------------------------------

    def deadline(self) -> float | None:
        times: list[float] = []
        if self.coast_until is not None:
            times.append(self.coast_until)
        if self.session is not None:
            end, _ = self._limit()
            times.append(end if self.session.warned else end - self.config.warning_s)
        return min(times) if times else None

    def tick(self, now: float) -> list[Action]:
        actions: list[Action] = []
        if self.coast_until is not None and now >= self.coast_until:
            self.coast_until = None
            actions += self._apply()
        session = self.session
        if session is not None:
            end, why = self._limit()
            if now >= end:
                actions += self._end(now, why)
            elif not session.warned and now >= end - self.config.warning_s:
                session.warned = True
                actions += [
                    Indicate(Pattern.WARNING),
                    Emit(
                        EventType.SESSION_WARNING,
                        why,
                        session.credential_hash,
                        session.member,
                        {"seconds_left": round(end - now, 1)},
                    ),
                ]
        return actions

    def status(self) -> dict[StatusField, object]:
        return {
            StatusField.MODE: self.state,
            StatusField.BUSY: self.busy,
            StatusField.ALARMS: [],
            StatusField.SESSION_MEMBER: self.session.member if self.session else None,
        }

    # -- internals -------------------------------------------------------------------

    def _limit(self) -> tuple[float, EndReason]:
        """When the session must end and why: the earliest of max length, idleness and
        the machine's closing time."""
        assert self.session is not None
        max_end = self.session.started + self.config.max_session_min * 60
        # Without a busy input, idleness cannot be seen: count from the start.
        idle_from = self.session.idle_since
        idle_end = float("inf") if self.busy else idle_from + self.config.idle_timeout_min * 60
        closing = self.session.closes_at if self.session.closes_at is not None else float("inf")
        return min(
            (max_end, EndReason.MAX_SESSION),
            (idle_end, EndReason.IDLE_TIMEOUT),
            (closing, EndReason.CLOSING_TIME),
            key=lambda limit: limit[0],
        )

    def _start(
        self,
        decision: Decision,
        credential_hash: str,
        member: str | None,
        staff: bool,
        now: float,
        closes_at: float | None,
    ) -> list[Action]:
        session = self.session = MachineUse(
            credential_hash, member, staff, now, now, closes_at=closes_at
        )
        self.coast_until = None
        actions: list[Action] = [Emit(EventType.GRANTED, decision.reason, credential_hash, member)]
        actions += self._set_state(MachineState.IN_USE, MachineStateChange.SESSION)
        actions += self._apply()
        actions += [
            Indicate(Pattern.IN_USE),
            Emit(
                EventType.SESSION_STARTED,
                None,
                credential_hash,
                member,
                {"session_id": session.id, "staff": staff},
            ),
        ]
        return actions

    def _end(self, now: float, why: EndReason, *, takeover: bool = False) -> list[Action]:
        """Close the session; a takeover keeps the power on for the next one."""
        session, self.session = self.session, None
        if session is None:
            return []
        # Coast while the machine is still busy (never for a power-off or a block).
        if (
            self.busy
            and self.config.coast_s > 0
            and why is not EndReason.POWER_OFF
            and not takeover
        ):
            self.coast_until = now + self.config.coast_s
        after = (
            MachineState.IN_USE
            if takeover
            else MachineState.TO_CHECK
            if self.config.check_after_use
            else MachineState.FREE
        )
        actions: list[Action] = [
            Emit(
                EventType.SESSION_ENDED,
                why,
                session.credential_hash,
                session.member,
                {
                    "session_id": session.id,
                    "duration_s": round(now - session.started, 3),
                    "end_reason": why,
                    "staff": session.staff,
                },
            ),
            Indicate(Pattern.OFF),
        ]
        actions += self._set_state(after, why)
        return actions if takeover else actions + self._apply()

    def _deny(
        self,
        decision: Decision | None,
        credential_hash: str,
        member: str | None,
        reason: Reason | AgentDenial,
        detail: str = "",
    ) -> list[Action]:
        if decision is not None:
            reason, detail = decision.reason, decision.detail
        data = {"detail": detail} if detail else {}
        return [
            Indicate(Pattern.DENIED),
            Emit(EventType.DENIED, reason, credential_hash, member, data),
        ]

    def _set_state(self, state: MachineState, why: MachineStateChange | EndReason) -> list[Action]:
        if state is self.state:
            return []
        self.state = state
        if state is MachineState.BLOCKED:
            self.coast_until = None
        return [Emit(EventType.MACHINE_STATE, why, data={"state": state})]

    def _apply(self) -> list[Action]:
        # The one place deciding the relay: on in a session or while coasting, never
        # when Blocked.
        wanted = self.state is not MachineState.BLOCKED and (
            self.session is not None or self.coast_until is not None
        )
        if wanted == self.relay:
            return []
        self.relay = wanted
        return [SetRelay(wanted)]


def _after(now: float, seconds: float | None) -> float | None:
    return None if seconds is None else now + seconds
