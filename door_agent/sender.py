"""Publishing the outbox to the site: in order, in batches of events per message, from
the start again on each new connection and when acks stop coming.

How much may await its ack (the window) opens like a TCP slow start: `PROBE_WINDOW`
events on a new connection and after a stall, since nobody may be there to take them
(sync down for a day: each resend lands in sync's queue at the broker), then
`DRAIN_WINDOW` once an ack shows the site storing them, so that a backlog goes at the
speed of the wire. Events travel `encode_batch`'ed, up to `BATCH_BYTES` a message.

Owned by the loop (single-threaded). The outbox is the only memory of what is
unacknowledged: publishing never deletes, only sync's ack does (`acked`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Protocol

from door_agent.outbox import Outbox
from station.protocol import topics
from station.protocol.events import BATCH_OVERHEAD, encode_batch
from station.protocol.signing import MAX_MESSAGE_BYTES

log = logging.getLogger(__name__)

PROBE_WINDOW = 500  # events awaiting their ack before the site has answered
DRAIN_WINDOW = 20_000  # ... once it has: some 100 messages, paho's in-flight limit
BATCH_BYTES = MAX_MESSAGE_BYTES - 1024  # what sync reads of a message, with room to spare
BATCH_EVENTS = 1000
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


def batches(rows: list[tuple[int, str, bytes]]) -> list[list[tuple[int, str, bytes]]]:
    """Consecutive outbox rows cut into messages of at most BATCH_BYTES / BATCH_EVENTS."""
    cut: list[list[tuple[int, str, bytes]]] = []
    size = 0
    for row in rows:
        cost = len(row[2]) + 1  # its comma
        if not cut or size + cost > BATCH_BYTES or len(cut[-1]) >= BATCH_EVENTS:
            cut.append([])
            size = BATCH_OVERHEAD
        cut[-1].append(row)
        size += cost
    return cut


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
        self.window = PROBE_WINDOW
        self.resends = 0  # times unacknowledged events were published again (stalls, site back)

    @property
    def in_flight(self) -> int:
        """Events published on this connection and not yet acknowledged."""
        return len(self._inflight)

    def connected(self, generation: int, now: float) -> None:
        """A new connection: every unacknowledged event goes again, oldest first."""
        self._generation = generation
        self._restart(now)

    def disconnected(self) -> None:
        self._generation = None

    def acked(self, ids: Iterable[str], now: float) -> None:
        """The site holds these events: delete them, and send more."""
        wanted = list(ids)
        if not self.outbox.ack(wanted):
            return  # acknowledged before, or none of ours: no sign that anyone is storing
        self._inflight.difference_update(wanted)
        self._last_progress = now
        self._resend_after = RESEND_S
        self.window = DRAIN_WINDOW
        self.pump()

    def pump(self) -> None:
        """Publish waiting events in order, at most `window` unacknowledged at a time."""
        link = self.link
        if link is None or self._generation is None:
            return
        topic = link.topic(topics.EVENTS)
        while len(self._inflight) < self.window:
            rows = self.outbox.after(self._cursor, self.window - len(self._inflight))
            if not rows:
                return
            if not self._inflight:
                self._last_progress = self.clock()
            for batch in batches(rows):
                payload = encode_batch([row[2] for row in batch])
                if not link.publish(topic, payload, generation=self._generation):
                    return  # the link is down: the next connection resends from the start
                self._cursor = batch[-1][0]
                self._inflight.update(row[1] for row in batch)

    def site_heard(self, now: float) -> None:
        """The site's signed time came: sync runs. Events overdue for their ack go again
        now, the backoff back to RESEND_S: a sync away for a day may have lost what the
        broker held for it (its session expired), and the next resend would otherwise be
        up to RESEND_MAX_S away. A sync that is there takes the copies, so the backoff's
        reason, a broker queue filling for nobody, does not hold."""
        if self._inflight and now - self._last_progress > RESEND_S:
            log.info("the site is back: publishing %d events again", len(self._inflight))
            self._resend_after = RESEND_S
            self._restart(now)

    def resend_if_stalled(self, now: float) -> None:
        if self._inflight and now - self._last_progress > self._resend_after:
            log.info(
                "no ack for %.0f s: publishing %d events again",
                self._resend_after,
                len(self._inflight),
            )
            self._resend_after = min(self._resend_after * 2, RESEND_MAX_S)
            self._restart(now)

    def _restart(self, now: float) -> None:
        """From the oldest unacknowledged event again, as a probe."""
        if self._inflight:
            self.resends += 1
        self._cursor, self._inflight = 0, set()
        self._last_progress = now
        self.window = PROBE_WINDOW
        self.pump()
