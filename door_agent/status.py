"""The agent's retained status message, republished when something changes.

``{"agent", "online", "version", "kind", "resource", "mode", "relay", "door" |
"busy", "alarms", "reader", "grants_version", "outbox_depth", "outbox_alarm", "at"}``. The
last will carries ``online: false`` with the relay off: if the agent is gone
its relay is (the unit's ExecStopPost and the hardware see to that).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from station.protocol import topics

if TYPE_CHECKING:
    from door_agent.sender import Link

DEPTH_REFRESH_S = 5.0  # the outbox depth alone refreshes the status at most this often


class StatusPublisher:
    def __init__(
        self,
        link: Link | None,
        *,
        agent_id: str,
        kind: str,
        resource: str,
        version: str,
        wall: Callable[[], dt.datetime],
    ) -> None:
        self.link = link
        self.agent_id = agent_id
        self.kind = kind
        self.resource = resource
        self.version = version
        self.wall = wall
        self.current: dict[str, object] = {}
        self._sent: dict[str, object] | None = None
        self._sent_at = float("-inf")
        self.published = 0

    def force(self) -> None:
        """Publish at the next update (a new connection, a refresh_status command)."""
        self._sent = None

    def update(self, fields: dict[str, object], now: float) -> None:
        body: dict[str, object] = {
            "agent": self.agent_id,
            "online": True,
            "version": self.version,
            "kind": self.kind,
            "resource": self.resource,
            **fields,
        }
        self.current = body
        sent = self._sent
        if sent is not None:
            same = {k: v for k, v in sent.items() if k != "outbox_depth"} == {
                k: v for k, v in body.items() if k != "outbox_depth"
            }
            if same and (
                sent.get("outbox_depth") == body.get("outbox_depth")
                or now - self._sent_at < DEPTH_REFRESH_S
            ):
                return
        if self.link is None or not self.link.connected:
            return
        payload = self.encode({**body, "at": self.wall().isoformat()})
        if self.link.publish(self.link.topic(topics.STATUS), payload, retain=True):
            self._sent, self._sent_at = body, now
            self.published += 1

    def offline(self, *, relay: bool = False) -> bytes:
        """The last will and the last word: offline, relay off."""
        body = {
            **self.current,
            "agent": self.agent_id,
            "online": False,
            "version": self.version,
            "kind": self.kind,
            "resource": self.resource,
            "relay": relay,
        }
        return self.encode(body)

    @staticmethod
    def encode(body: dict[str, object]) -> bytes:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode()
