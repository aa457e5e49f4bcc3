"""The machine session in progress, on disk: a crash (SIGKILL, power cut) must not
leave it open at the site for ever.

The loop writes the session down before its ``session_started`` event is
committed, refreshes its last-seen time every `SEEN_EVERY_S` while it runs, and
forgets it once ``session_ended`` is committed. At the next start, a session
still written down was cut by a crash: `recover` gives its ``session_ended``
(reason ``agent_restarted``), ended at the last time the agent was seen running.
Kept in the agent's store, next to the durable mode (`AgentStore.remember`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable

from door_agent.actions import Emit
from door_agent.controller import Use
from door_agent.store import AgentStore
from station.protocol.vocabulary import EndReason, EventType

log = logging.getLogger(__name__)

KEY = "session"
# How stale the end of a crashed session may be, against one small write per period
# (an SD card wears out under a write per second).
SEEN_EVERY_S = 30.0


class SessionJournal:
    def __init__(self, store: AgentStore, wall: Callable[[], dt.datetime]) -> None:
        self.store = store
        self.wall = wall
        self._record: dict[str, object] | None = None
        self._written_at = 0.0  # monotonic time of the last write

    def opened(self, session: Use, at: dt.datetime, now: float) -> None:
        """Write ``session`` down (nothing if it already is); ``at`` is its start."""
        if self._record is not None and self._record["session_id"] == session.id:
            return
        self._record = {
            "session_id": session.id,
            "credential_hash": session.credential_hash,
            "member": session.member,
            "staff": session.staff,
            "started_at": at.isoformat(),
            "seen_at": at.isoformat(),
        }
        self._write(now)

    def seen(self, now: float) -> None:
        """The agent is running: refresh the session's last-seen time now and then."""
        if self._record is not None and now - self._written_at >= SEEN_EVERY_S:
            self._record["seen_at"] = self.wall().isoformat()
            self._write(now)

    def closed(self) -> None:
        """Its end is committed to the outbox: nothing left to recover."""
        if self._record is not None:
            self.forget()

    def forget(self) -> None:
        self._record = None
        self.store.remember(KEY, "")

    def recover(self) -> Emit | None:
        """The end of the session a crash cut, if any (call `forget` once committed)."""
        raw = self.store.recall(KEY)
        if not raw:
            return None
        try:
            record = json.loads(raw)
            started = dt.datetime.fromisoformat(record["started_at"])
            seen = dt.datetime.fromisoformat(record["seen_at"])
            data = {
                "session_id": str(record["session_id"]),
                "duration_s": round(max(0.0, (seen - started).total_seconds()), 3),
                "end_reason": EndReason.AGENT_RESTARTED,
                "staff": bool(record.get("staff")),
                "started_at": started.isoformat(),
                "ended_at": seen.isoformat(),
            }
            hashed, member = record.get("credential_hash"), record.get("member")
        except (ValueError, KeyError, TypeError) as exc:  # damaged: report it, do not crash
            log.error("the open session written down is unreadable (%s): dropped", exc)
            self.forget()
            return None
        log.warning(
            "session %s was cut by a crash: ended as of %s", data["session_id"], data["ended_at"]
        )
        return Emit(
            EventType.SESSION_ENDED,
            EndReason.AGENT_RESTARTED,
            hashed if isinstance(hashed, str) else None,
            member if isinstance(member, str) else None,
            data,
        )

    def _write(self, now: float) -> None:
        self.store.remember(KEY, json.dumps(self._record, separators=(",", ":")))
        self._written_at = now
