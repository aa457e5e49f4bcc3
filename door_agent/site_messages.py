"""What the site sends an agent: grant snapshots, acks of its events, commands and
time beacons.

The loop composes one `SiteMessages` and calls it from its own thread only: the
state stays the loop's (one loop owns the state), this object only reads a message,
changes the store or the controller it was given, and hands the actions back to the
loop's `execute`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from door_agent.actions import Action, Emit
from door_agent.command_runner import INPUT_ERRORS, as_refusal, run_command
from door_agent.controller import Controller
from door_agent.errors import StoreError
from door_agent.hours import HoursFollower
from door_agent.inbox import MqttMessage
from door_agent.outbox import Outbox
from door_agent.sender import Link, OutboxSender
from door_agent.status import StatusPublisher
from door_agent.store import AgentStore
from door_agent.trust import AgentTrust
from door_agent.watchdog import Watchdog
from station.protocol import topics
from station.protocol.errors import ProtocolError
from station.protocol.events import decode_ack
from station.protocol.grant_deltas import read_delta
from station.protocol.grants import announced_version, read_snapshot
from station.protocol.vocabulary import EventType, Refusal

# The loop's logger: what the agent logs about site messages reads as it did when the
# loop handled them (operators' filters name it, and so do the tests).
log = logging.getLogger("door_agent.loop")


class SiteMessages:
    def __init__(
        self,
        *,
        site_id: str,
        agent_id: str,
        trust: AgentTrust,
        controller: Controller,
        store: AgentStore,
        outbox: Outbox,
        sender: OutboxSender,
        link: Link | None,
        hours: HoursFollower,
        status: StatusPublisher,
        watchdog: Watchdog,
        counters: Counter[str],
        clock: Callable[[], float],
        wall: Callable[[], dt.datetime],
        execute: Callable[[list[Action]], None],
    ) -> None:
        self.site_id = site_id
        self.agent_id = agent_id
        self.trust = trust  # the keys that may sign what the site sends
        self.controller = controller
        self.store = store
        self.outbox = outbox
        self.sender = sender
        self.link = link
        self.hours = hours
        self.status = status
        self.watchdog = watchdog
        self.counters = counters
        self.clock = clock
        self.wall = wall
        self.execute = execute

    def handle(self, message: MqttMessage) -> None:
        if message.channel == topics.GRANTS:
            self._grants(message.payload)
        elif message.channel == topics.GRANTS_DELTA:
            self._delta(message.payload)
        elif message.channel == topics.ACKS:
            self._ack(message.payload)
        elif message.channel == topics.COMMANDS:
            self._command(message.payload)
        elif message.channel == topics.TIME:
            self._beacon(message.payload)

    # -- grant snapshots ----------------------------------------------------------------

    def _grants(self, payload: bytes) -> None:
        if not payload or self.store.is_current(payload):
            return  # a retained message cleared, or the same snapshot after a reconnect
        if announced_version(payload) == self.store.version:
            # The version the deltas brought, now whole for agents that start: nothing
            # to apply, and checking it all would keep every tap waiting meanwhile.
            log.debug("grant snapshot version %d is the one in force", self.store.version)
            return
        try:
            body = self._newer_snapshot(payload)
            if body is None:
                return
            self.watchdog.kick(self.clock(), force=True)
            count = self.store.apply(body, payload)
        except (*INPUT_ERRORS, StoreError) as exc:
            self._grants_refused(exc)
            return
        self.hours.snapshot_issued(body)
        log.info("grants version %d applied (%d entries)", self.store.version, count)
        self.execute(
            [
                Emit(
                    EventType.GRANTS_APPLIED,
                    data={"version": self.store.version, "entries": count},
                )
            ]
        )

    def _delta(self, payload: bytes) -> None:
        """A change since the version in force, applied in one transaction. Refused
        (`gap`, `digest_mismatch`, a bad signature...), nothing changes and the next
        snapshot, published retained with every change, brings the agent in step."""
        try:
            now = self.wall()
            body = read_delta(
                payload,
                self.agent_id,
                self.trust.site_keys(now),
                now,
                self.store.version,
                site_id=self.site_id,
            )
            count = self.store.apply_delta(body)
        except ProtocolError as exc:
            if exc.reason is Refusal.REPLAYED:  # the snapshot of that version came first
                log.debug("grants delta already in force: %s", exc)
                return
            self._grants_refused(exc)
            return
        except (*INPUT_ERRORS, StoreError) as exc:
            self._grants_refused(exc)
            return
        self.hours.snapshot_issued(body)
        log.info("grants version %d applied from a delta (%d changes)", self.store.version, count)
        self.execute(
            [
                Emit(
                    EventType.GRANTS_APPLIED,
                    data={"version": self.store.version, "entries": count, "delta": True},
                )
            ]
        )

    def _newer_snapshot(self, payload: bytes) -> dict[str, Any] | None:
        """The snapshot's body, checked; None if it is the version in force."""
        # Checking and storing a large snapshot take seconds each on a Pi: each step
        # gets a whole WatchdogSec, not what was left since the last turn.
        self.watchdog.kick(self.clock(), force=True)
        # The version in force, signed again (sync restarted) and re-delivered as the
        # retained message at each start, is routine: read it to tell it from an
        # older one, which stays a refusal.
        now = self.wall()
        body = read_snapshot(
            payload,
            self.agent_id,
            self.trust.site_keys(now),
            now,
            max(self.store.version - 1, 0),
            site_id=self.site_id,
        )
        if body["version"] == self.store.version:
            log.debug(
                "grant snapshot version %d is the one in force: nothing to do",
                self.store.version,
            )
            return None
        return body

    def _grants_refused(self, exc: Exception) -> None:
        reason, detail = (
            (Refusal.STORAGE_ERROR, str(exc)) if isinstance(exc, StoreError) else as_refusal(exc)
        )
        self.counters[f"grants_refused_{reason}"] += 1
        log.warning("grant snapshot refused (%s): keeping version %d", exc, self.store.version)
        self.execute(
            [
                Emit(
                    EventType.GRANTS_REFUSED,
                    reason,
                    data={"detail": detail[:200], "version_in_force": self.store.version},
                )
            ]
        )

    def _beacon(self, payload: bytes) -> None:
        if self.hours.beacon(payload, self.agent_id, self.trust.site_keys(self.wall())):
            self.sender.site_heard(self.clock())  # sync runs: what waits goes again now

    # -- acks and commands ----------------------------------------------------------------

    def _ack(self, payload: bytes) -> None:
        try:
            ids = decode_ack(payload)
        except ProtocolError as exc:
            self.counters["malformed_acks"] += 1
            log.warning("malformed ack refused: %s", exc)
            return
        self.sender.acked(ids, self.clock())

    def _command(self, payload: bytes) -> None:
        outcome = run_command(
            payload,
            agent_id=self.agent_id,
            issuers=self.trust.issuers(),
            controller=self.controller,
            wall=self.wall(),
            now=self.clock(),
            already_seen=self.outbox.command_seen,
        )
        if not outcome.ok:
            self.counters[f"commands_refused_{outcome.reason}"] += 1
            log.warning(
                "command %s refused: %s %s", outcome.command_id, outcome.reason, outcome.detail
            )
        if outcome.refresh_status:
            self.status.force()
        data = {
            "command": outcome.command,
            "command_id": outcome.command_id,
            "detail": outcome.detail[:200],
            # null: forged or malformed, no author can be trusted (the log says so).
            "author": None if outcome.author is None else outcome.author.encode(),
            "reason": outcome.why,
        }
        self.execute(
            [
                *outcome.actions,
                Emit(
                    EventType.COMMAND_APPLIED if outcome.ok else EventType.COMMAND_REFUSED,
                    outcome.reason,
                    data=data,
                ),
            ]
        )
        if self.link is not None:
            self.link.publish(
                self.link.topic(topics.COMMAND_RESULTS),
                outcome.result(self.agent_id, self.wall()).encode(),
            )
