"""The agent's retained status message, republished when something changes.

Its keys are `StatusField`: ``{"agent", "online", "version", "kind", "resource",
"mode", "relay", "door" | "busy", "alarms", "reader", "grants_version",
"outbox_depth", "outbox_alarm", "at", ...}``, the schema of
`station.protocol.status.AgentStatusMessage`. The last will carries ``online: false``
with the relay off: if the agent is gone its relay is (the unit's ExecStopPost and
the hardware see to that).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from door_agent.sender import Link
from station.protocol import topics
from station.protocol.status import encode_status
from station.protocol.vocabulary import AgentKind, StatusField

DEPTH_REFRESH_S = 5.0  # the outbox depth alone refreshes the status at most this often


class StatusPublisher:
    def __init__(
        self,
        link: Link | None,
        *,
        agent_id: str,
        kind: AgentKind,
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
        self.current: dict[StatusField, object] = {}
        self._sent: dict[StatusField, object] | None = None
        self._sent_at = float("-inf")
        self.published = 0

    def force(self) -> None:
        """Publish at the next update (a new connection, a refresh_status command)."""
        self._sent = None

    def update(self, fields: dict[StatusField, object], now: float) -> None:
        body: dict[StatusField, object] = {
            StatusField.AGENT: self.agent_id,
            StatusField.ONLINE: True,
            StatusField.VERSION: self.version,
            StatusField.KIND: self.kind,
            StatusField.RESOURCE: self.resource,
            **fields,
        }
        self.current = body
        sent = self._sent
        if sent is not None:
            depth = StatusField.OUTBOX_DEPTH
            same = {k: v for k, v in sent.items() if k != depth} == {
                k: v for k, v in body.items() if k != depth
            }
            if same and (
                sent.get(depth) == body.get(depth) or now - self._sent_at < DEPTH_REFRESH_S
            ):
                return
        if self.link is None or not self.link.connected:
            return
        payload = self.encode({**body, StatusField.AT: self.wall().isoformat()})
        if self.link.publish(self.link.topic(topics.STATUS), payload, retain=True):
            self._sent, self._sent_at = body, now
            self.published += 1

    def offline(self, *, relay: bool = False) -> bytes:
        """The last will and the last word: offline, relay off."""
        body: dict[StatusField, object] = {
            **self.current,
            StatusField.AGENT: self.agent_id,
            StatusField.ONLINE: False,
            StatusField.VERSION: self.version,
            StatusField.KIND: self.kind,
            StatusField.RESOURCE: self.resource,
            StatusField.RELAY: relay,
        }
        return self.encode(body)

    @staticmethod
    def encode(body: dict[StatusField, object]) -> bytes:
        # The protocol's own encoder: what sync decodes with `AgentStatusMessage`.
        return encode_status(body)
