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

import enum
from dataclasses import dataclass, field

from door_agent.actions import Action, Emit, Indicate, SetRelay
from station.config.schema import MachineConfig
from station.ids import new_event_id
from station.rules import Decision, Reason

IN_USE_REASON = "machine_in_use"  # agent-side denial reason (not a rules.Reason)
TO_CHECK_DETAIL = "to_check"


class MachineState(enum.StrEnum):
    FREE = "free"
    IN_USE = "in_use"
    BLOCKED = "blocked"
    TO_CHECK = "to_check"


@dataclass
class Session:
    credential_hash: str
    member: str | None
    staff: bool
    started: float
    idle_since: float  # == started until the busy input says otherwise
    warned: bool = False
    closes_at: float | None = None  # the machine's closing time; None for staff, 24/7
    id: str = field(default_factory=lambda: str(new_event_id()))  # names it at the site


class Machine:
    def __init__(self, config: MachineConfig, *, has_busy_input: bool) -> None:
        self.config = config
        self.has_busy_input = has_busy_input
        self.state = MachineState.FREE
        self.session: Session | None = None
        self.busy = False
        self.relay = False
        self.coast_until: float | None = None  # power kept after the end while busy

    # -- inputs ---------------------------------------------------------------------

    def badge(
        self,
        decision: Decision,
        credential_hash: str,
        member: str | None,
        staff: bool,
        now: float,
        *,
        closes_in_s: float | None = None,
    ) -> list[Action]:
        """`closes_in_s`: time left before the machine's schedule closes; a session
        still running then is warned and ended (`closing_time`); staff are not bound."""
        session = self.session
        if self.state is MachineState.IN_USE and session is not None:
            if credential_hash == session.credential_hash:
                return self._end(now, "badge_tap")
            if decision.granted and staff:  # staff takeover: close the session, open theirs
                return self._end(now, "staff_takeover", takeover=True) + self._start(
                    decision, credential_hash, member, staff, now, None
                )
            return self._deny(
                decision if not decision.granted else None, credential_hash, member, IN_USE_REASON
            )
        if self.state is MachineState.BLOCKED:
            return self._deny(None, credential_hash, member, Reason.RESOURCE_OUT_OF_ORDER.value)
        if self.state is MachineState.TO_CHECK:
            if decision.granted and staff:  # staff looked at it: a tap clears the check
                return [
                    *self._set_state(MachineState.FREE, "checked_by_staff"),
                    Indicate("granted"),
                    Emit(
                        "granted", decision.reason.value, credential_hash, member, {"cleared": True}
                    ),
                ]
            return self._deny(
                decision if not decision.granted else None,
                credential_hash,
                member,
                Reason.RESOURCE_OUT_OF_ORDER.value,
                TO_CHECK_DETAIL,
            )
        if not decision.granted:
            return self._deny(decision, credential_hash, member, "")
        return self._start(
            decision,
            credential_hash,
            member,
            staff,
            now,
            None if staff or closes_in_s is None else now + closes_in_s,
        )

    def badge_removed(self, credential_hash: str, now: float) -> list[Action]:
        session = self.session
        if (
            self.config.presence
            and session is not None
            and session.credential_hash == credential_hash
        ):
            return self._end(now, "badge_removed")
        return []

    def busy_changed(self, busy: bool, now: float) -> list[Action]:
        session = self.session
        idle_warned = session is not None and session.warned and self._limit()[1] == "idle_timeout"
        self.busy = busy
        actions: list[Action] = []
        if session is not None:
            if busy and idle_warned:
                session.warned = False  # activity cancels an idle warning
                actions.append(Indicate("in_use"))
            elif not busy:
                session.idle_since = now
        if not busy and self.coast_until is not None:
            self.coast_until = None  # it stopped on its own: cut now
            actions += self._apply()
        return actions

    # -- staff commands ----------------------------------------------------------------

    def end_session(self, now: float) -> list[Action]:
        return self._end(now, "staff") if self.session is not None else []

    def power_off(self, now: float) -> list[Action]:
        """End any session and cut power now, without coasting."""
        actions = self._end(now, "power_off") if self.session is not None else []
        self.coast_until = None
        return actions + self._apply()

    def block(self, now: float) -> list[Action]:
        actions = self.power_off(now)
        return actions + self._set_state(MachineState.BLOCKED, "blocked_by_staff")

    def unblock(self, now: float) -> list[Action]:
        if self.state is not MachineState.BLOCKED:
            return []
        return self._set_state(MachineState.FREE, "unblocked_by_staff")

    def clear_check(self, now: float) -> list[Action]:
        if self.state is not MachineState.TO_CHECK:
            return []
        return self._set_state(MachineState.FREE, "checked_by_staff")

    def shutdown(self, now: float) -> list[Action]:
        """The agent is stopping: the power goes with it (no coast), and the session
        ends here, or the site would keep it open and never count its time."""
        actions = self._end(now, "agent_stopped") if self.session is not None else []
        self.coast_until = None
        return actions + self._apply()

    def session_lost(self) -> list[Action]:
        """A session a crash cut was ended at the restart: it was a use all the same, so
        a machine checked after use needs its check."""
        if self.config.check_after_use and self.state is MachineState.FREE:
            return self._set_state(MachineState.TO_CHECK, "agent_restarted")
        return []

    # -- across restarts ------------------------------------------------------------

    def durable_mode(self) -> str:
        """What must survive a restart: Blocked and ToCheck (a session does not: the
        machine comes back unpowered, Free)."""
        if self.state in (MachineState.BLOCKED, MachineState.TO_CHECK):
            return self.state.value
        return MachineState.FREE.value

    def restore(self, mode: str) -> None:
        if mode in (MachineState.BLOCKED.value, MachineState.TO_CHECK.value):
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
                    Indicate("warning"),
                    Emit(
                        "session_warning",
                        why,
                        session.credential_hash,
                        session.member,
                        {"seconds_left": round(end - now, 1)},
                    ),
                ]
        return actions

    def status(self) -> dict[str, object]:
        return {
            "mode": self.state.value,
            "busy": self.busy,
            "alarms": [],
            "session_member": self.session.member if self.session else None,
        }

    # -- internals -------------------------------------------------------------------

    def _limit(self) -> tuple[float, str]:
        """When the session must end and why: the earliest of max length, idleness and
        the machine's closing time."""
        assert self.session is not None
        max_end = self.session.started + self.config.max_session_min * 60
        # Without a busy input, idleness cannot be seen: count from the start.
        idle_from = self.session.idle_since
        idle_end = float("inf") if self.busy else idle_from + self.config.idle_timeout_min * 60
        closing = self.session.closes_at if self.session.closes_at is not None else float("inf")
        return min(
            (max_end, "max_session"),
            (idle_end, "idle_timeout"),
            (closing, "closing_time"),
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
        session = self.session = Session(
            credential_hash, member, staff, now, now, closes_at=closes_at
        )
        self.coast_until = None
        actions: list[Action] = [Emit("granted", decision.reason.value, credential_hash, member)]
        actions += self._set_state(MachineState.IN_USE, "session")
        actions += self._apply()
        actions += [
            Indicate("in_use"),
            Emit(
                "session_started",
                None,
                credential_hash,
                member,
                {"session_id": session.id, "staff": staff},
            ),
        ]
        return actions

    def _end(self, now: float, why: str, *, takeover: bool = False) -> list[Action]:
        """Close the session; a takeover keeps the power on for the next one."""
        session, self.session = self.session, None
        if session is None:
            return []
        # Coast while the machine is still busy (never for a power-off or a block).
        if self.busy and self.config.coast_s > 0 and why != "power_off" and not takeover:
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
                "session_ended",
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
            Indicate("off"),
        ]
        actions += self._set_state(after, why)
        return actions if takeover else actions + self._apply()

    def _deny(
        self,
        decision: Decision | None,
        credential_hash: str,
        member: str | None,
        reason: str,
        detail: str = "",
    ) -> list[Action]:
        if decision is not None:
            reason, detail = decision.reason.value, decision.detail
        data = {"detail": detail} if detail else {}
        return [Indicate("denied"), Emit("denied", reason, credential_hash, member, data)]

    def _set_state(self, state: MachineState, why: str) -> list[Action]:
        if state is self.state:
            return []
        self.state = state
        if state is MachineState.BLOCKED:
            self.coast_until = None
        return [Emit("machine_state", why, data={"state": state.value})]

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
