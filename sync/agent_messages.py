"""What agents send the site, a loop turn at a time: their events and statuses are
parsed into one batch, stored in one transaction (`sync.intake`), then acknowledged.

The service composes one `AgentMessages` and calls it from its loop only. Nothing is
acknowledged that the site database does not hold: an agent deletes an event from
its outbox only on the ack, so a failed store just means it sends the event again.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from station.protocol import topics
from station.protocol.errors import ProtocolError
from station.protocol.events import AgentEvent, encode_ack
from station.protocol.status import AgentStatusMessage
from station.protocol.vocabulary import Refusal
from sync.bus import Message, SyncBus
from sync.compiler import GrantCompiler
from sync.intake import (
    check_event,
    parse_status,
    refusable_id,
    store_events,
    store_refusals,
    store_status,
)

# The service's logger: what it logs of agents' messages reads as it did before they
# had a module of their own.
log = logging.getLogger("sync.service")


@dataclass
class Batch:
    """What one turn received, by agent: events, the last status, events refused for
    good (id, why, payload: recorded, then acknowledged)."""

    events: dict[str, list[AgentEvent]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, AgentStatusMessage] = field(default_factory=dict)
    refused: dict[str, list[tuple[uuid.UUID, str, bytes]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def __bool__(self) -> bool:
        return bool(self.events or self.statuses or self.refused)


class AgentMessages:
    def __init__(
        self,
        *,
        site_id: str,
        site_engine: Engine,
        compiler: GrantCompiler,
        bus: SyncBus | None,
        counters: Counter[str],
        inflight: list[Any],
    ) -> None:
        self.site = site_id
        self.site_engine = site_engine
        self.compiler = compiler
        self.bus = bus
        self.counters = counters
        self.inflight = inflight  # the service's: QoS 1 messages the broker has not confirmed
        self.zone = ZoneInfo(compiler.config.site.timezone)  # the days of the tallies

    def add(self, message: Message, batch: Batch) -> None:
        """Parse one message into `batch`; a malformed event is refused, not lost."""
        parsed = topics.parse_agent_topic(message.topic)
        if parsed is None or parsed[0] != self.site:
            self.counters["foreign_topic"] += 1
            return
        _site, agent_id, channel = parsed
        if channel == topics.STATUS and not message.payload:
            self.counters["status_cleared"] += 1  # a retained status removed: nothing to say
            return
        try:
            if channel == topics.EVENTS:
                batch.events[agent_id].append(check_event(AgentEvent.decode(message.payload)))
            elif channel == topics.STATUS:
                batch.statuses[agent_id] = parse_status(message.payload)
            else:
                raise ProtocolError(Refusal.MALFORMED, f"sync reads no {channel!r} channel")
        except ProtocolError as exc:
            # Counted by channel (what the tests and the dashboard read) and by reason.
            self.counters[f"malformed_{channel}"] += 1
            self.counters[f"refused_{channel}_{exc.reason}"] += 1
            log.warning("refused a malformed %s message from %s: %s", channel, agent_id, exc)
            event_id = refusable_id(message.payload) if channel == topics.EVENTS else None
            if event_id is not None:
                batch.refused[agent_id].append((event_id, str(exc), message.payload))

    def store(self, batch: Batch) -> None:
        """Store the batch in one transaction, then acknowledge what it holds."""
        events, statuses, refused = batch.events, batch.statuses, batch.refused
        try:
            with self.site_engine.begin() as site:
                for agent_id, received in events.items():
                    store_events(site, self.site, received, agent_id, zone=self.zone)
                for agent_id, refusals in refused.items():
                    store_refusals(site, agent_id, refusals)
                for agent_id, status in statuses.items():
                    store_status(site, agent_id, status)
        except (SQLAlchemyError, ValueError, OverflowError) as exc:
            # Not acknowledged: the agents keep the events and send them again.
            self.counters["store_failed"] += 1
            log.error(
                "site database refused %d events: %s",
                sum(map(len, events.values())),
                str(exc).splitlines()[0],
            )
            return
        self.counters["events_stored"] += sum(map(len, events.values()))
        self._raise_floors(statuses)
        self._acknowledge(batch)

    def _raise_floors(self, statuses: dict[str, AgentStatusMessage]) -> None:
        """An agent holding a newer version than sync's (the site database restored, say):
        the next snapshot goes past it."""
        for agent_id, status in statuses.items():
            current = self.compiler.current.get(agent_id)
            held = status.grants_version
            if current is not None and held > current.version:
                self.compiler.raise_floor(agent_id, held)

    def _acknowledge(self, batch: Batch) -> None:
        if self.bus is None:
            return
        for agent_id in {*batch.events, *batch.refused}:
            ack = encode_ack(
                [str(e.id) for e in batch.events.get(agent_id, ())]
                + [str(r[0]) for r in batch.refused.get(agent_id, ())]
            )
            info = self.bus.publish(topics.agent(self.site, agent_id, topics.ACKS), ack, qos=1)
            if info is None:
                self.counters["ack_unsent"] += 1  # the agent resends; storing is idempotent
            else:
                self.inflight.append(info)
        self.inflight[:] = [i for i in self.inflight if not i.is_published()]
