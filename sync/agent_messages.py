"""What agents send the site, a loop turn at a time: their events and statuses are
parsed into one batch, stored in one transaction (`sync.intake`), then acknowledged.

The service composes one `AgentMessages` and calls it from its loop only. Nothing is
acknowledged that the site database does not hold: an agent deletes an event from
its outbox only on the ack, so a failed store just means it sends the event again.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from station.protocol import topics
from station.protocol.errors import ProtocolError
from station.protocol.events import AgentEvent, decode_events, encode_acks
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
                bodies = decode_events(message.payload)
                alone = message.payload if len(bodies) == 1 else None
                self.counters["event_batches"] += alone is None
                nul_free = b"\\u0000" not in message.payload
                for body in bodies:
                    self._event(agent_id, body, alone, batch, nul_free=nul_free)
            elif channel == topics.STATUS:
                batch.statuses[agent_id] = parse_status(message.payload)
            else:
                raise ProtocolError(Refusal.MALFORMED, f"sync reads no {channel!r} channel")
        except ProtocolError as exc:
            self._refused(agent_id, channel, exc, message.payload, batch)

    def _event(
        self,
        agent_id: str,
        body: dict[str, Any],
        payload: bytes | None,
        batch: Batch,
        *,
        nul_free: bool,
    ) -> None:
        """One event of a message into `batch`; a malformed one is refused alone (with
        ``payload``, its message when it came alone), its batch's others are stored."""
        try:
            event = check_event(AgentEvent.from_json(body), nul_free=nul_free)
            batch.events[agent_id].append(event)
        except ProtocolError as exc:
            raw = payload if payload is not None else json.dumps(body).encode()
            self._refused(agent_id, topics.EVENTS, exc, raw, batch)

    def _refused(
        self, agent_id: str, channel: str, exc: ProtocolError, payload: bytes, batch: Batch
    ) -> None:
        # Counted by channel (what the tests and the dashboard read) and by reason.
        self.counters[f"malformed_{channel}"] += 1
        self.counters[f"refused_{channel}_{exc.reason}"] += 1
        log.warning("refused a malformed %s message from %s: %s", channel, agent_id, exc)
        event_id = refusable_id(payload) if channel == topics.EVENTS else None
        if event_id is not None:
            batch.refused[agent_id].append((event_id, str(exc), payload))

    def store(self, batch: Batch) -> None:
        """Store the batch in one transaction, then acknowledge what it holds."""
        events, statuses, refused = batch.events, batch.statuses, batch.refused
        try:
            with self.site_engine.begin() as site:
                _roomy_cache(site)
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
            ids = [str(e.id) for e in batch.events.get(agent_id, ())]
            ids += [str(r[0]) for r in batch.refused.get(agent_id, ())]
            # A turn's ids in as few messages as fit: the agent deletes each message's
            # ids in one transaction of its outbox.
            for ack in encode_acks(ids):
                topic = topics.agent(self.site, agent_id, topics.ACKS)
                info = self.bus.publish(topic, ack, qos=1)
                if info is None:
                    self.counters["ack_unsent"] += 1  # the agent resends; storing is idempotent
                else:
                    self.inflight.append(info)
        self.inflight[:] = [i for i in self.inflight if not i.is_published()]


INTAKE_CACHE_KIB = 64 * 1024


def _roomy_cache(site: Connection) -> None:
    """Events go into six indexes, one keyed by random UUIDs: with SQLite's default
    2 MB page cache a replayed backlog of 100,000 takes twice as long to insert (as a
    first sync does, sync.down). Set on the connection, kept while it is pooled."""
    if site.dialect.name == "sqlite":
        site.exec_driver_sql(f"PRAGMA cache_size = -{INTAKE_CACHE_KIB}")
