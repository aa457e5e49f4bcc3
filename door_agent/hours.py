"""What the hours change on their own: a door's free access, the clock's trust.

The loop calls `follow` at every turn (at least once a second); it reads the trusted
clock (`door_agent.clock`), reports when the clock stops or starts being trusted,
and opens or re-locks a door whose free-access schedule starts or ends. An untrusted
clock never unlocks a door by schedule (fail-secure), unless its schedule is `always`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from typing import Any

from door_agent.actions import Action, Emit
from door_agent.clock import AgentClock, Reading
from door_agent.controller import Controller
from door_agent.store import AgentStore
from station.protocol.beacon import read_beacon
from station.protocol.errors import ProtocolError
from station.protocol.keys import Keyring
from station.protocol.vocabulary import ClockProblem, ClockState, EventType, Refusal, StatusField

log = logging.getLogger(__name__)

_FIRST = object()  # no reading yet: an untrusted clock at start is reported once


class HoursFollower:
    def __init__(
        self,
        clock: AgentClock,
        store: AgentStore,
        controller: Controller,
        counters: Counter[str],
    ) -> None:
        self.clock = clock
        self.store = store
        self.controller = controller
        self.counters = counters  # the loop's: refusals are counted in one place
        self._problem: ClockProblem | object | None = _FIRST
        self._last: Reading | None = None

    def follow(self, now: float) -> list[Action]:
        reading = self._last = self.clock.read()
        actions = self._clock_state(reading)
        actions += self.controller.set_free_access(self._free_access(reading), now)
        return actions

    def closes_in_s(self, reading: Reading) -> float | None:
        """Seconds before the resource's schedule closes (None: always open, unknown)."""
        resource = self.store.resource
        if resource is None or reading.hours_unknown:
            return None
        closing = resource.schedule.next_close(reading.at)
        return None if closing is None else max(0.0, (closing - reading.at).total_seconds())

    def snapshot_issued(self, body: dict[str, Any]) -> None:
        try:
            issued = dt.datetime.fromisoformat(str(body.get("issued_at")))
        except ValueError:
            return
        if issued.tzinfo is not None:
            self.clock.signed_time(issued)

    def beacon(self, payload: bytes, agent_id: str, site_keys: Keyring) -> bool:
        """The site's signed time; anything else is logged, counted and ignored (False)."""
        try:
            at = read_beacon(payload, agent_id, site_keys)
        except (ProtocolError, ValueError, TypeError, OverflowError) as exc:
            reason = exc.reason if isinstance(exc, ProtocolError) else Refusal.MALFORMED
            self.counters["beacons_refused"] += 1
            self.counters[f"beacons_refused_{reason}"] += 1
            log.warning("time beacon refused (%s): %s", reason, exc)
            return False
        if not self.clock.beacon(at):
            self.counters["beacons_stale"] += 1
            return False
        return True

    def status(self) -> dict[StatusField, object]:
        reading = self._last or self.clock.read()
        # No skew here: it moves by milliseconds, and every change republishes the status.
        return {
            StatusField.CLOCK: ClockState.SYNCED if reading.trusted else ClockState.UNSYNCED,
            StatusField.CLOCK_PROBLEM: reading.problem,
        }

    def _clock_state(self, reading: Reading) -> list[Action]:
        was, self._problem = self._problem, reading.problem
        if was == reading.problem or (was is _FIRST and reading.problem is None):
            return []
        skew = None if reading.skew_s is None else round(reading.skew_s, 1)
        if reading.problem is None:
            log.info("clock trusted again")
            return [Emit(EventType.CLOCK_SYNCED, data={"skew_s": skew})]
        log.warning(
            "clock not trusted (%s): deciding on %s",
            reading.problem.value,
            "no hours" if reading.hours_unknown else reading.at.isoformat(),
        )
        return [
            Emit(
                EventType.CLOCK_UNSYNCED,
                reading.problem,
                data={
                    "skew_s": skew,
                    "deciding_at": reading.at.isoformat(),
                    "hours_unknown": reading.hours_unknown,
                },
            )
        ]

    def _free_access(self, reading: Reading) -> bool:
        resource = self.store.resource
        if resource is None or resource.free_access is None or not resource.enabled:
            return False
        window = resource.free_access
        if window.always:
            return True
        return not reading.hours_unknown and window.is_open(reading.at)
