"""The demo history's machine sessions: trained members with a badge use the site's
machines during their fablab visits, one session at a time per machine, ended as an
agent would end it (see `station.demo.history`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from station.config import MachineAgentConfig
from station.demo.frame import Frame
from station.demo.rhythms import Person, uuid7_from
from station.protocol.vocabulary import EndReason
from station.schedule import Schedule


class MachineSessions:
    """Draws sessions during visits; `rows` holds them, ready to insert."""

    def __init__(self, frame: Frame, trainings: Sequence[str]) -> None:
        self.frame = frame
        self.rng = frame.rng
        # Machines whose trainings the registry knows (a machine needing none: anyone).
        self.machines = [
            (agent_id, agent, frame.schedule(agent.schedule))
            for agent_id, agent in frame.config.agents.items()
            if isinstance(agent, MachineAgentConfig) and set(agent.trainings) <= set(trainings)
        ]
        self.rows: list[dict[str, Any]] = []
        self._busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}

    def during(self, person: Person, start: dt.datetime, end: dt.datetime) -> None:
        """The sessions of `person`'s visit from `start` to `end`, if any."""
        for agent_id, agent, schedule in self.machines:
            granted = [person.trainings.get(code) for code in agent.trainings]
            if any(at is None or at > start for at in granted):
                continue
            if person.badge is None or self.rng.random() >= (
                0.55 if agent.machine.presence else 0.45
            ):
                continue
            visit_min = (end - start).total_seconds() / 60
            if visit_min < 20:
                continue
            session = self._session(agent, schedule, start, end, visit_min)
            if session is None:
                continue
            begins, ends, reason = session
            if ends <= begins + dt.timedelta(minutes=3) or ends > self.frame.now:
                continue
            if self._taken(agent_id, begins, ends):
                continue
            self.rows.append(self._row(agent_id, agent, person, begins, ends, reason))

    def _session(
        self,
        agent: MachineAgentConfig,
        schedule: Schedule,
        start: dt.datetime,
        end: dt.datetime,
        visit_min: float,
    ) -> tuple[dt.datetime, dt.datetime, EndReason] | None:
        """When a session begins and ends and why; None if the machine is closed then."""
        rng, rules = self.rng, agent.machine
        begins = start + dt.timedelta(minutes=rng.uniform(5, max(6, visit_min * 0.5)))
        length = rng.triangular(8, 80, 25) if rules.presence else rng.triangular(20, 300, 90)
        reason = EndReason.BADGE_REMOVED if rules.presence else EndReason.BADGE_TAP
        if length >= rules.max_session_min:
            length, reason = rules.max_session_min, EndReason.MAX_SESSION
        elif not rules.presence and rng.random() < 0.05:
            reason = EndReason.IDLE_TIMEOUT
        ends = min(begins + dt.timedelta(minutes=length), end - dt.timedelta(minutes=2))
        closing = self.frame.closing(schedule, begins)
        if closing is None:
            return None  # the machine is closed then (no fabmanager on site)
        if ends > closing:
            ends, reason = closing, EndReason.CLOSING_TIME
        return begins, ends, reason

    def _taken(self, agent_id: str, begins: dt.datetime, ends: dt.datetime) -> bool:
        busy = self._busy.setdefault(agent_id, [])
        if any(b < ends and begins < e for b, e in busy):
            return True
        busy.append((begins, ends))
        return False

    def _row(
        self,
        agent_id: str,
        agent: MachineAgentConfig,
        person: Person,
        begins: dt.datetime,
        ends: dt.datetime,
        reason: EndReason,
    ) -> dict[str, Any]:
        return {
            "id": uuid7_from(self.rng, begins),
            "agent_id": agent_id,
            "resource": agent.resource,
            "member_id": person.id,
            "credential_hash": person.badge,
            "started_at": begins,
            "ended_at": ends,
            "end_reason": reason,
            "duration_s": round((ends - begins).total_seconds(), 3),
            "site_id": self.frame.site,
            "uploaded_at": self.frame.uploaded(ends),
        }
