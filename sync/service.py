"""The sync service: one loop owning all state, fed by one queue.

The MQTT thread (sync.bus) and the LISTEN thread (sync.listen) only post to the
queue. The loop stores agents' events and acknowledges them, keeps agents' statuses
(both through `sync.agent_messages`), runs a round with central (up, then down) when
woken or when the poll interval is up, and publishes grant snapshots whenever the
site database changed, whether from central or from the kiosk. Failures back off
and are logged once per change of state, not once per attempt.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.db import make_engine
from station.keystore import KeyStoreError
from station.protocol import topics
from station.protocol.beacon import make_beacon
from sync import central as central_writes
from sync.agent_messages import AgentMessages, Batch
from sync.background_reading import BackgroundReading, WholeRead, WholeReading
from sync.bus import Connected, Disconnected, Message, SyncBus
from sync.commands import CommandRelay
from sync.compiler import GrantCompiler, Snapshot
from sync.cursors import read_cursor
from sync.down import Progress, sync_down
from sync.errors import CentralNotSetUp, CentralUnavailable, SyncError, central_error
from sync.grant_state import record_published
from sync.listen import CentralChanged, CentralListener, CommandsRequested
from sync.live_up import LiveUpload
from sync.purge_schedule import DailyPurge
from sync.settle import Settling
from sync.up import sync_up

log = logging.getLogger(__name__)

QUIET_S = 0.3  # `run_once`: the broker's backlog is in once nothing came for this long
LOCAL_CHECK_S = 1.0  # how often the site database is checked for changes (kiosk edits)
BEACON_S = 10.0  # how often each agent gets the site's signed time (docs/protocol.md)
MAX_EVENTS_PER_COMMIT = 5000  # messages a turn takes, stored in one transaction
# ... and their bytes: a turn of agents' batches (docs/protocol.md) holds some 12,000
# events, one commit and one ack message per agent for them all.
MAX_BYTES_PER_COMMIT = 4 * 1024 * 1024


WAKE = object()  # an inbox item that only wakes the loop (`SyncService.wake`)


@dataclass
class RoundReport:
    ok: bool
    error: str = ""
    uploaded: int = 0
    accepted: int = 0
    rejected: int = 0
    downloaded: int = 0
    cursor: int = 0
    published: list[str] = field(default_factory=list)


class SyncService:
    """Everything `station sync` does, usable from tests with engines passed in."""

    def __init__(
        self,
        config: StationConfig,
        *,
        site_engine: Engine | None = None,
        central_engine: Engine | None = None,
        mqtt: bool = True,
        listen: bool = True,
        progress: Progress | None = None,
        checkpoint: Callable[[str], None] | None = None,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.config = config
        self.wall = wall  # the site server's clock: NTP-synchronised, it times the beacons
        self.site = config.site.id
        self._own_engines: list[Engine] = []
        self.site_engine = site_engine or self._engine(config.database.url)
        self.central_engine = central_engine or self._engine(config.central.url)
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.bus = SyncBus(config.mqtt, self.site, self.inbox) if mqtt else None
        central_url = self.central_engine.url
        self.listener = (
            CentralListener(central_url.render_as_string(hide_password=False), self.inbox)
            if listen and central_url.get_backend_name() == "postgresql"
            else None
        )
        self.compiler = GrantCompiler(config, wall=wall)
        self.compiler.keys.signer(wall())  # no site key: refused now, naming what to run
        self.progress = progress
        self.checkpoint = checkpoint
        self.counters: Counter[str] = Counter()
        self.states: dict[str, str] = {}
        self._unpublished: set[str] = set()
        self.settling = Settling()
        self.background = BackgroundReading(self.compiler, self.site_engine, self.inbox)
        self.published_log: list[str] = []  # agents published to, in order
        self._inflight: list[Any] = []  # QoS 1 messages not yet confirmed by the broker
        self._stamp = True
        self._closed = False
        self.agent_messages = AgentMessages(
            site_id=self.site,
            site_engine=self.site_engine,
            compiler=self.compiler,
            bus=self.bus,
            counters=self.counters,
            inflight=self._inflight,
        )
        self.daily_purge = DailyPurge(config, self.site_engine, self.central_engine, wall)
        self.live = LiveUpload(config, self.site_engine, self.central_engine, wall)
        self.commands = CommandRelay(config, self.central_engine, self.compiler.keys.signer, wall)
        self._commands_waiting = False  # a NOTIFY named this site: relay before anything

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self.bus is not None:
            self.bus.start()
        if self.listener is not None:
            self.listener.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.listener is not None:
            self.listener.close()
        if self.bus is not None:
            self.bus.close()
        self.background.close()
        for engine in self._own_engines:
            engine.dispose()

    def __enter__(self) -> SyncService:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- one round with central -------------------------------------------------------------

    def round(self, *, settle: bool = False) -> RoundReport:
        """Up then down with central, then grants (`settle`: whole snapshots too, as
        `publish_grants`); never raises for an outage."""
        report = RoundReport(ok=True)
        batch = self.config.central.batch_size
        reached = True
        try:
            self._stamp_central()
            up = sync_up(
                self.site_engine,
                self.central_engine,
                self.site,
                batch_size=batch,
                checkpoint=self.checkpoint,
                zone=ZoneInfo(self.config.site.timezone),
            )
            report.uploaded, report.accepted, report.rejected = (
                up.history,
                up.registry,
                up.rejected,
            )
            with self.site_engine.connect() as site:
                first = read_cursor(site) == 0  # a progress bar on the first sync only
            down = sync_down(
                self.site_engine,
                self.central_engine,
                batch_size=batch,
                site_id=self.site,
                progress=self.progress if first else None,
                checkpoint=self.checkpoint,
            )
            report.downloaded, report.cursor = down.applied, down.cursor
            self._state("central", "in step")
            self.relay_commands()
        except (SyncError, DBAPIError) as exc:
            error = central_error(exc) if isinstance(exc, DBAPIError) else exc
            report.ok, report.error = False, str(error).splitlines()[0]
            state = "not set up" if isinstance(error, CentralNotSetUp) else "unreachable"
            self._state("central", f"{state} ({report.error})", logging.WARNING)
            reached = not isinstance(error, CentralUnavailable | CentralNotSetUp)
        if reached:  # the live page hears from the site even when a round failed midway
            self._live_round(report.uploaded)
        report.published = self.publish_grants(settle=settle)
        return report

    def publish_grants(
        self, *, force: bool = False, settle: bool = False, reading: WholeReading | None = None
    ) -> list[str]:
        """Publish the snapshots that changed; returns the agents published to.
        `settle`: build now the whole snapshots of versions sent as deltas alone;
        `reading`: take in the one made in the background (`sync.background_reading`)."""
        published: list[str] = []

        def send(snapshot: Snapshot) -> None:
            # The change first, small and quick to apply (unless the agent never got its
            # base); the whole snapshot, retained, for agents that start, come back or
            # refuse the delta: built with it, or once changes settle (`sync.settle`).
            if (
                self.bus is not None
                and snapshot.delta is not None
                and snapshot.agent_id not in self._unpublished
            ):
                topic = topics.agent(self.site, snapshot.agent_id, topics.GRANTS_DELTA)
                self.bus.publish(topic, snapshot.delta, qos=1)
                if snapshot.payload is None:
                    self.settling.delta_sent(time.monotonic())
                    published.append(snapshot.agent_id)
                    return
            if snapshot.payload is None:  # no delta could go: the snapshot must, now
                self._unpublished.add(snapshot.agent_id)
                return
            info = (
                self.bus.publish(snapshot.topic, snapshot.payload, qos=1, retain=True)
                if self.bus is not None
                else None
            )
            if info is None:
                self._unpublished.add(snapshot.agent_id)
                return
            self._inflight.append(info)
            self._unpublished.discard(snapshot.agent_id)
            published.append(snapshot.agent_id)

        try:
            if reading is not None:
                self.compiler.adopt(self.site_engine, reading, on_snapshot=send)
            self.compiler.refresh(self.site_engine, force=force, on_snapshot=send)
            unsettled = set(self.compiler.unsettled)
            if unsettled and (
                settle or unsettled & self._unpublished or self.settling.due(time.monotonic())
            ):
                self.compiler.refresh(
                    self.site_engine, settle=True, reconcile=False, on_snapshot=send
                )
                self.settling.settled()
                if self.compiler.reconcile_due:  # the check of the deltas, off the loop
                    self.background.start()
        except DBAPIError as exc:  # locked or gone: the next check tries again
            self._state(
                "site", f"database unavailable ({str(exc).splitlines()[0]})", logging.WARNING
            )
            return published
        except KeyStoreError as exc:  # a key file gone or damaged: agents keep what they hold
            self._keys_unusable(exc)
            return published
        self._state("site", "ok")
        self._state("keys", "ok")
        for agent_id in sorted(self._unpublished):  # left over from an outage
            send(self.compiler.current[agent_id])
        if published:  # for the staff views; a failure here leaves them a version behind
            try:
                with Session(self.site_engine) as session, session.begin():
                    record_published(session, (self.compiler.current[a] for a in published))
                self.live.pending = True  # the live page: agents behind until they apply it
            except DBAPIError as exc:
                log.warning("grants: could not record what was published (%s)", exc)
        self.published_log.extend(published)
        return published

    def publish_beacons(self) -> None:
        """Each agent's signed time (QoS 0, not retained: a stale one is worthless)."""
        if self.bus is None or not self.bus.connected:
            return
        now = self.wall()
        try:
            signer = self.compiler.keys.signer(now)
        except KeyStoreError as exc:
            self._keys_unusable(exc)
            return
        for agent_id in self.config.agents:
            self.bus.publish(
                topics.agent(self.site, agent_id, topics.TIME),
                make_beacon(agent_id, now, signer),
                qos=0,
            )

    def is_published(self, agent_id: str) -> bool:
        """Whether the agent's current snapshot has been handed to the broker."""
        return agent_id in self.compiler.current and agent_id not in self._unpublished

    # -- the continuous loop ----------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Until `stop` is set: rounds on change or poll, events and statuses as they come."""
        poll = self.config.central.poll_interval_s
        next_round = time.monotonic()
        next_local = time.monotonic()
        next_beacon = time.monotonic()
        backoff = 1.0
        while not stop.is_set():
            now = time.monotonic()
            timeout = max(0.0, min(next_round, next_local) - now)
            items = self._drain(min(timeout, 0.5))
            woken = self._handle(items)
            if self.live.due() and self.states.get("central") == "in step":
                self._live_push()  # a status changed: the live page hears of it now
            if self._commands_waiting:
                self.relay_commands()
            now = time.monotonic()
            if now >= next_beacon:
                self.publish_beacons()
                next_beacon = now + BEACON_S
            if woken:
                next_round = min(next_round, now)
            if now >= next_round:
                report = self.round()
                self.purge_if_due()
                next_local = time.monotonic() + LOCAL_CHECK_S
                if report.ok:
                    backoff = 1.0
                    next_round = time.monotonic() + poll
                else:
                    next_round = time.monotonic() + min(backoff, poll)
                    backoff = min(backoff * 2, max(poll, 1.0))
            elif now >= next_local:
                self.publish_grants()
                if self.listener is None or not self.listener.listening.is_set():
                    self.relay_commands()  # no NOTIFY to wait for: central is polled
                if self.states.get("central") == "in step" and self.live.round_wanted(
                    poll_central=self.listener is None or not self.listener.listening.is_set()
                ):
                    next_round = now  # a check-in for the live page, or a check-out asked
                next_local = now + LOCAL_CHECK_S

    def purge_if_due(self) -> None:
        """The daily retention purge (sync.purge_schedule), after a round: what central
        holds is then purged. A failure is logged and tried again at the next round."""
        done = self.daily_purge.run_due()
        for target in done.purged:
            self._state(f"purge {target}", "done today")
        for target, error in done.failed.items():
            self._state(f"purge {target}", f"failed, tried again ({error})", logging.WARNING)

    def relay_commands(self) -> None:
        """The console's requests for this site, sent now (sync.commands); an outage
        is logged once: a request left pending expires at central."""
        self._commands_waiting = False
        try:
            self.commands.relay(self.bus if self.bus is not None and self.bus.connected else None)
        except DBAPIError as exc:
            self._state("commands", f"central unreachable ({str(exc).splitlines()[0]})")
            return
        except KeyStoreError as exc:
            self._keys_unusable(exc)
            return
        self._state("commands", "ok")

    def wake(self) -> None:
        """Have `run` look at its stop event now rather than at its next turn (from
        another thread; not from a signal handler: queue.Queue takes a lock)."""
        self.inbox.put(WAKE)

    def run_once(self, *, broker_wait_s: float = 5.0, drain_s: float = 1.0) -> RoundReport:
        """One round (`station sync --once`); not ok if central or the broker failed."""
        start = len(self.published_log)
        if self.bus is not None:
            deadline = time.monotonic() + broker_wait_s
            while not self.bus.subscribed and time.monotonic() < deadline:
                self._handle(self._drain(0.1))
            # Events queued at the broker while sync was away arrive now, in one burst
            # after the connection: drained until the bus has been quiet for QUIET_S.
            end = time.monotonic() + drain_s
            quiet_until = time.monotonic() + QUIET_S
            while time.monotonic() < min(end, quiet_until):
                items = self._drain(0.05)
                if items:
                    quiet_until = time.monotonic() + QUIET_S
                self._handle(items)
        report = self.round(settle=True)  # a one-off sync leaves the retained snapshots right
        self._handle(self._drain(0.0))
        report.published = sorted(set(self.published_log[start:]))
        deadline = time.monotonic() + broker_wait_s
        for info in self._inflight:  # exit only once the broker has them
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(max(0.0, deadline - time.monotonic()))
            if not info.is_published():
                report.ok, report.error = False, report.error or "broker did not confirm"
        self._inflight.clear()
        if self.bus is not None and (not self.bus.connected or self._unpublished):
            report.ok = False
            report.error = report.error or "MQTT broker unreachable: grants not published"
        return report

    # -- queue handling ---------------------------------------------------------------------

    def _drain(self, timeout: float) -> list[Any]:
        items: list[Any] = []
        size = 0
        try:
            items.append(
                self.inbox.get(timeout=timeout) if timeout > 0 else self.inbox.get_nowait()
            )
            while len(items) < MAX_EVENTS_PER_COMMIT and size < MAX_BYTES_PER_COMMIT:
                item = self.inbox.get_nowait()
                items.append(item)
                size += len(item.payload) if isinstance(item, Message) else 0
        except queue.Empty:
            pass
        return items

    def _handle(self, items: list[Any]) -> bool:
        """Process queued items; True if central signalled a change."""
        woken = False
        batch = Batch()
        for item in items:
            if isinstance(item, CentralChanged):
                woken = True
            elif isinstance(item, CommandsRequested):
                self._commands_waiting |= item.site == self.site
            elif isinstance(item, Connected):
                self._state("broker", "connected")
                self._unpublished |= set(self.compiler.current)  # retained copy may be gone
                self.publish_grants()
                self.publish_beacons()
            elif isinstance(item, WholeRead):
                self.publish_grants(reading=item.reading)
            elif isinstance(item, Disconnected):
                self._state("broker", f"disconnected ({item.reason})", logging.WARNING)
            elif isinstance(item, Message) and not self.commands.take(item.topic, item.payload):
                self.agent_messages.add(item, batch)
        if batch:
            self.agent_messages.store(batch)
            if batch.statuses:
                self.live.pending = True
        return woken

    # -- the live page at central (sync.live_up) ----------------------------------------------

    def _live_round(self, uploaded: int) -> None:
        """After a good round: the office's check-outs carried out (and sent up at once),
        then the agents' statuses and the heartbeat. A failure here fails no round."""
        try:
            settled = self.live.settle_checkouts()
            if settled:
                sync_up(
                    self.site_engine,
                    self.central_engine,
                    self.site,
                    batch_size=self.config.central.batch_size,
                    zone=ZoneInfo(self.config.site.timezone),
                )
            self.live.push(changed=bool(uploaded or settled))
            self._state("live", "in step")
        except (SyncError, DBAPIError) as exc:
            self._state("live", f"not uploaded ({str(exc).splitlines()[0]})", logging.WARNING)

    def _live_push(self) -> None:
        try:
            self.live.push(heartbeat=False)
            self._state("live", "in step")
        except (SyncError, DBAPIError) as exc:
            self._state("live", f"not uploaded ({str(exc).splitlines()[0]})", logging.WARNING)

    def _keys_unusable(self, exc: KeyStoreError) -> None:
        """Nothing can be signed: agents keep the snapshot in force and decide from it;
        the next round tries again (the operator restores the keys directory)."""
        self.counters["keys_unusable"] += 1
        self._state("keys", f"cannot sign: {exc}", logging.ERROR)

    def _state(self, what: str, state: str, level: int = logging.INFO) -> None:
        if self.states.get(what) != state:
            self.states[what] = state
            log.log(level, "%s: %s", what, state)

    def _stamp_central(self) -> None:
        if not self._stamp:
            return
        try:
            count = central_writes.stamp_unrevisioned(self.central_engine)
            if count:
                log.info("central: gave revisions to %d rows written without one", count)
        except DBAPIError as exc:
            if "permission denied" not in str(exc):
                raise
            log.debug("central: not allowed to stamp revisions (a site account)")
        self._stamp = False

    def _engine(self, url: str) -> Engine:
        engine = make_engine(self.config.resolve_url(url))
        self._own_engines.append(engine)
        return engine
