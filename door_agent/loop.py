"""The agent's one loop: it alone owns the state; everything else posts events.

Per event: decide (grant cache), carry out the state machine's actions (relay
and indicator first, the events to the outbox after), publish the outbox in
order, refresh the retained status when it changed, kick the watchdog.
What the site sends (grants, acks, commands, time) is read by `SiteMessages`,
which the loop calls from its thread and which acts through the loop's `_execute`.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import time
from collections import Counter
from collections.abc import Callable

from door_agent.actions import Action, Emit, Indicate, SetRelay
from door_agent.clock import AgentClock
from door_agent.controller import Controller
from door_agent.errors import OutboxError
from door_agent.hours import HoursFollower
from door_agent.inbox import (
    Call,
    LoopEvent,
    MqttConnected,
    MqttDisconnected,
    MqttMessage,
    Stop,
)
from door_agent.journal import SessionJournal
from door_agent.outbox import Outbox
from door_agent.sender import Link, OutboxSender
from door_agent.site_messages import SiteMessages
from door_agent.status import StatusPublisher
from door_agent.store import NO_GRANTS, AgentStore
from door_agent.trust import AgentTrust
from door_agent.watchdog import Watchdog
from hardware.gpio import AgentIO, BusyChanged, DoorClosed, DoorOpened, ExitPressed, IoEvent
from hardware.gpio.outputs import Pattern
from hardware.readers import BadgePresented, BadgeRemoved, BadRead, ReaderState
from station.config.hours import ClockConfig
from station.credential import Credential, CredentialKind
from station.ids import new_event_id
from station.protocol.events import AgentEvent
from station.protocol.keys import Keyring
from station.protocol.vocabulary import AgentStop, EventType, ReaderHealth, StatusField
from station.rules import Presented

log = logging.getLogger(__name__)

MAX_WAIT_S = 1.0
MODE_KEY = "mode"  # the controller's durable mode, in the store


class AgentLoop:
    def __init__(
        self,
        *,
        site_id: str,
        agent_id: str,
        resource: str,
        controller: Controller,
        badge_key: bytes,
        site_anchor: Keyring,
        store: AgentStore,
        outbox: Outbox,
        io: AgentIO,
        link: Link | None,
        status: StatusPublisher,
        watchdog: Watchdog | None = None,
        events: queue.SimpleQueue[LoopEvent] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        trusted_clock: AgentClock | None = None,
    ) -> None:
        self.agent_id = agent_id
        self.resource = resource
        self.controller = controller
        self.badge_key = badge_key  # hashes credentials, as the site does
        self.store = store
        self.outbox = outbox
        self.io = io
        self.link = link
        self.status = status
        self.watchdog = watchdog or Watchdog({})
        self.clock = clock
        # Hour-dependent decisions read the trusted clock; the kernel is asked by the
        # agent's own (`door_agent.agent`), not here, so that tests inject theirs.
        self.trusted = trusted_clock or AgentClock(
            ClockConfig(), wall=wall, monotonic=clock, kernel_synced=lambda: None
        )
        self.wall = lambda: self.trusted.read().at
        self.queue: queue.SimpleQueue[LoopEvent] = events or queue.SimpleQueue()
        self.counters: Counter[str] = Counter()
        self.hours = HoursFollower(self.trusted, store, controller, self.counters)
        self.reader_ok: bool | None = None
        self.sender = OutboxSender(outbox, link, clock)
        self._alarm_raised = False
        self._saved_mode = controller.durable_mode()
        self.journal = SessionJournal(store, wall)  # a machine session a crash would cut
        self.site = SiteMessages(
            site_id=site_id,
            agent_id=agent_id,
            trust=AgentTrust(site_anchor, store),
            controller=controller,
            store=store,
            outbox=outbox,
            sender=self.sender,
            link=link,
            hours=self.hours,
            status=status,
            watchdog=self.watchdog,
            counters=self.counters,
            clock=clock,
            wall=self.wall,
            execute=self._execute,
        )

    def post(self, event: LoopEvent) -> None:
        """Thread-safe (and safe from a signal handler: SimpleQueue is reentrant)."""
        self.queue.put(event)

    # -- running ---------------------------------------------------------------------

    def run(self) -> str:
        """Handle events until `Stop`; returns its reason. The relay is off on return,
        and also when an exception escapes (which it does, for systemd to restart us)."""
        try:
            self._emit(
                Emit(
                    EventType.AGENT_STARTED,
                    data={"version": self.status.version, "kind": self.status.kind},
                )
            )
            self._initial_inputs()
            self._recover_session()
            if self.store.resource is None:  # a new agent, or its cache file was unreadable
                log.warning("%s: every badge is denied until sync publishes one", NO_GRANTS)
            self.outbox.forget_old_commands()  # long expired: no replay possible any more
            self.watchdog.ready(f"agent {self.agent_id} running")
            reason = self._serve()
            self._relay_off()
            self._end_session()
            self._emit(
                Emit(
                    EventType.AGENT_STOPPED,
                    AgentStop.STOPPED,
                    data={"why": reason, "relay": False},
                )
            )
            return reason
        except BaseException as exc:
            self._relay_off()  # first of all
            log.critical("agent loop failed: relay off, stopping", exc_info=True)
            try:
                self._end_session()
                self._emit(
                    Emit(
                        EventType.AGENT_STOPPED,
                        AgentStop.INTERNAL_ERROR,
                        data={"why": f"{type(exc).__name__}: {exc}"[:200], "relay": False},
                    )
                )
            except Exception:  # the outbox itself may be what failed
                log.exception("could not record the stop")
            raise
        finally:
            self._relay_off()
            self.watchdog.stopping()

    def _relay_off(self) -> None:
        """Drop the relay; never raises (used on every way out)."""
        try:
            self.io.relay.off()
        except Exception:  # a closed device is already off
            log.debug("relay already released", exc_info=True)

    def _end_session(self) -> None:
        self._execute(self.controller.shutdown(self.clock()))

    def _recover_session(self) -> None:
        """End the session a crash left open (SIGKILL, power cut) before serving."""
        ended = self.journal.recover()
        if ended is None:
            return
        actions: list[Action] = [ended, *self.controller.session_lost()]
        self._execute(actions)
        self.journal.forget()

    def _serve(self) -> str:
        while True:
            try:
                event: LoopEvent | None = self.queue.get(timeout=self._wait_s())
            except queue.Empty:
                event = None
            if isinstance(event, Stop):
                return event.reason
            if event is not None:
                self.handle(event)
            now = self.clock()
            deadline = self.controller.deadline()
            if deadline is not None and now >= deadline:
                self._execute(self.controller.tick(now))
            self._execute(self.hours.follow(now))
            self.journal.seen(now)
            self.sender.resend_if_stalled(now)
            self.watchdog.kick(now)
            self._publish_status()

    def _wait_s(self) -> float:
        deadline = self.controller.deadline()
        wait = MAX_WAIT_S if deadline is None else deadline - self.clock()
        return max(0.0, min(wait, MAX_WAIT_S, self.watchdog.interval_s))

    def _initial_inputs(self) -> None:
        saved = self.store.recall(MODE_KEY)
        if saved is not None:
            self.controller.restore(saved)
            self._saved_mode = self.controller.durable_mode()
            log.info("restored %s mode %r", self.status.kind, self._saved_mode)
        now = self.clock()
        readings: list[IoEvent] = []
        if self.io.contact is not None:
            closed = self.io.contact.is_closed
            readings.append(DoorClosed(now) if closed else DoorOpened(now))
        if self.io.busy is not None:
            readings.append(BusyChanged(self.io.busy.is_busy, now))
        for reading in readings:
            self._execute(self.controller.input(reading, now))
        self._execute(self.controller.start(now))

    # -- one event -------------------------------------------------------------------

    def handle(self, event: LoopEvent) -> None:
        now = self.clock()
        if isinstance(event, BadgePresented):
            self._badge(event, now)
        elif isinstance(event, BadgeRemoved):
            hashed = event.credential.keyed_hash(self.badge_key)
            self._execute(self.controller.badge_removed(hashed, now))
        elif isinstance(event, ReaderState):
            self._reader_state(event)
        elif isinstance(event, BadRead):
            self._bad_read(event, now)
        elif isinstance(event, DoorOpened | DoorClosed | ExitPressed | BusyChanged):
            self._execute(self.controller.input(event, now))
        elif isinstance(event, MqttMessage):
            self.site.handle(event)
        elif isinstance(event, MqttConnected):
            self.status.force()
            self.sender.connected(event.generation, now)
        elif isinstance(event, MqttDisconnected):
            self.sender.disconnected()
            log.info("mqtt link down (%s): deciding from the cache", event.detail)
        elif isinstance(event, Call):
            event.function()

    def _badge(self, event: BadgePresented, now: float) -> None:
        secure = event.credential.kind is CredentialKind.SECURE
        self._decide(event.credential, Presented.of(secure), now)

    def _bad_read(self, event: BadRead, now: float) -> None:
        """A card that gave no credential. Where a secure badge is not required its UID,
        if read, is decided on (`station.rules.decide` says when that fails); else, or at
        a machine following presence (that card is never reported removed: its session
        could not end), the read's reason denies. The reader's health counts it too."""
        self.counters["bad_reads"] += 1
        presented = Presented.failed(event.reason)
        if event.uid is not None and not self.controller.follows_presence:
            self._decide(event.uid, presented, now)
        else:
            detail = {"detail": event.detail[:200]}
            reason = presented.refusal().reason
            self._execute([Indicate(Pattern.DENIED), Emit(EventType.DENIED, reason, data=detail)])
            log.info("bad read: denied (%s)", reason)
        data = {"detail": event.detail[:200], "reason": event.reason.value}
        self._execute([Emit(EventType.BAD_READ, EventType.BAD_READ, data=data)])

    def _decide(self, credential: Credential, presented: Presented, now: float) -> None:
        hashed = credential.keyed_hash(self.badge_key)
        reading = self.trusted.read()
        lookup = self.store.decide(
            hashed,
            reading.at,
            lockdown=self.controller.lockdown,
            hours_unknown=reading.hours_unknown,
            presented=presented,
        )
        actions = self.controller.badge(
            lookup, hashed, now, closes_in=lambda: self.hours.closes_in_s(reading)
        )
        self._execute(actions)
        log.info("badge %s…: %s", hashed[:8], _outcome(actions))

    def _reader_state(self, event: ReaderState) -> None:
        was, self.reader_ok = self.reader_ok, event.available
        if not event.available:
            self._execute(
                [
                    Emit(
                        EventType.READER_FAULT,
                        EventType.READER_FAULT,
                        data={"detail": event.detail[:200]},
                    )
                ]
            )
        elif was is False:
            self._execute([Emit(EventType.READER_OK, data={"detail": event.detail[:200]})])

    # -- actions and the outbox -----------------------------------------------------------

    def _execute(self, actions: list[Action]) -> None:
        # Hardware first (the person is waiting), then the durable record.
        for action in actions:
            if isinstance(action, SetRelay):
                if action.on:
                    self.io.relay.on()
                else:
                    self.io.relay.off()
        for action in actions:
            if isinstance(action, Indicate):
                self.io.show(action.pattern)
        # A session is written down before its start is committed, forgotten after its
        # end is: whatever a crash cuts, the next start can end it (`_recover_session`).
        session = self.controller.session
        at = self.wall()
        if session is not None:
            self.journal.opened(session, at, self.clock())
        self._emit(*(action for action in actions if isinstance(action, Emit)), at=at)
        if session is None:
            self.journal.closed()
        mode = self.controller.durable_mode()
        if mode != self._saved_mode:
            self.store.remember(MODE_KEY, mode)
            self._saved_mode = mode

    def _emit(self, *emits: Emit, at: dt.datetime | None = None) -> None:
        """Commit events to the outbox (one transaction), then publish what may go."""
        if not emits:
            return
        at = at or self.wall()
        events = [
            AgentEvent(
                id=new_event_id(),
                agent=self.agent_id,
                resource=self.resource,
                type=emit.type,
                at=at,
                reason=emit.reason,
                credential_hash=emit.credential_hash,
                member=emit.member,
                data=emit.data,
            )
            for emit in emits
        ]
        if self._alarm_raised and self.outbox.depth < self.outbox.alarm_at * 0.9:
            self._alarm_raised = False  # acks drained it: the next crossing raises again
        try:
            self.outbox.append_many([(str(event.id), event.encode()) for event in events])
        except OutboxError:
            self.counters["outbox_errors"] += 1
            raise  # a full or broken disk: stop (relay off) rather than lose events
        if self.outbox.over_alarm and not self._alarm_raised:
            self._alarm_raised = True
            log.error(
                "outbox holds %d unacknowledged events (alarm at %d); keeping all",
                self.outbox.depth,
                self.outbox.alarm_at,
            )
            self._emit(
                Emit(
                    EventType.OUTBOX_ALARM,
                    EventType.OUTBOX_ALARM,
                    data={"depth": self.outbox.depth},
                )
            )
        self.sender.pump()

    def _publish_status(self) -> None:
        fields = self.controller.status()
        fields.update(self.hours.status())
        fields.update(
            {
                StatusField.RELAY: self.io.relay.is_on,
                StatusField.READER: _reader_text(self.reader_ok),
                StatusField.GRANTS_VERSION: self.store.version,
                StatusField.GRANTS_DIGEST: self.store.grants_digest,
                StatusField.OUTBOX_DEPTH: self.outbox.depth,
                StatusField.OUTBOX_ALARM: self.outbox.over_alarm,
            }
        )
        self.status.update(fields, self.clock())


def _outcome(actions: list[Action]) -> str:
    """What a tap came to, as its event says: the controller may overrule the cache (a
    machine in use, to check or blocked denies a badge the cache grants)."""
    emits = [action for action in actions if isinstance(action, Emit)]
    emit = next(
        (e for e in emits if e.type in (EventType.GRANTED, EventType.DENIED)), None
    ) or next(iter(emits), None)
    if emit is None:
        return "no effect"
    detail = emit.data.get("detail")
    reason = f"{emit.reason}: {detail}" if detail else emit.reason
    return f"{emit.type} ({reason})" if reason else emit.type


def _reader_text(ok: bool | None) -> ReaderHealth:
    return ReaderHealth.UNKNOWN if ok is None else ReaderHealth.OK if ok else ReaderHealth.FAULT
