"""Publishing the outbox to the site: in order, at most `WINDOW` events awaiting their
ack, from the start again on each new connection and when acks stop coming.

Owned by the loop (single-threaded). The outbox is the only memory of what is
unacknowledged: publishing never deletes, only sync's ack does (`acked`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Protocol

from door_agent.outbox import Outbox
from station.protocol import topics

log = logging.getLogger(__name__)

WINDOW = 500  # events published and not yet acknowledged, at most
# No ack for this long: publish the unacknowledged events again, waiting twice as long
# each time nothing comes back (sync down for hours must not fill the broker's queue
# with copies), back to RESEND_S as soon as acks flow.
RESEND_S = 30.0
RESEND_MAX_S = 3600.0


class Link(Protocol):
    """What the loop needs of the MQTT link (door_agent.mqtt.MqttLink)."""

    @property
    def connected(self) -> bool: ...

    def topic(self, channel: str) -> str: ...

    def publish(
        self,
        topic: str,
        payload: bytes,
        *,
        qos: int = 1,
        retain: bool = False,
        generation: int | None = None,
    ) -> bool: ...


class OutboxSender:
    def __init__(self, outbox: Outbox, link: Link | None, clock: Callable[[], float]) -> None:
        self.outbox = outbox
        self.link = link
        self.clock = clock
        self._cursor = 0  # last outbox seq published on this connection
        self._generation: int | None = None  # the connection the loop has seen begin
        self._inflight: set[str] = set()
        self._last_progress = 0.0
        self._resend_after = RESEND_S

    def connected(self, generation: int, now: float) -> None:
        """A new connection: every unacknowledged event goes again, oldest first."""
        self._generation = generation
        self._cursor, self._inflight = 0, set()
        self._last_progress = now
        self.pump()

    def disconnected(self) -> None:
        self._generation = None

    def acked(self, ids: Iterable[str], now: float) -> None:
        """The site holds these events: delete them, and send more."""
        wanted = list(ids)
        self.outbox.ack(wanted)
        self._inflight.difference_update(wanted)
        self._last_progress = now
        self._resend_after = RESEND_S
        self.pump()

    def pump(self) -> None:
        """Publish waiting events in order, at most WINDOW unacknowledged at a time."""
        link = self.link
        if link is None or self._generation is None:
            return
        topic = link.topic(topics.EVENTS)
        while len(self._inflight) < WINDOW:
            rows = self.outbox.after(self._cursor, WINDOW - len(self._inflight))
            if not rows:
                return
            if not self._inflight:
                self._last_progress = self.clock()
            for seq, event_id, payload in rows:
                if not link.publish(topic, payload, generation=self._generation):
                    return  # the link is down: the next connection resends from the start
                self._cursor = seq
                self._inflight.add(event_id)

    def resend_if_stalled(self, now: float) -> None:
        if self._inflight and now - self._last_progress > self._resend_after:
            log.info(
                "no ack for %.0f s: publishing %d events again",
                self._resend_after,
                len(self._inflight),
            )
            self._cursor, self._inflight = 0, set()
            self._last_progress = now
            self._resend_after = min(self._resend_after * 2, RESEND_MAX_S)
            self.pump()
