"""One agent, wired from the configuration: GPIO, grant cache, outbox, reader,
MQTT link and the loop. The relay is off before anything else is opened and
again on every way out (normal stop, SIGTERM, an exception in the loop).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Self

from gpiozero import Factory

from door_agent.clock import AgentClock, kernel_clock_synced
from door_agent.controller import Controller
from door_agent.door import Door
from door_agent.inbox import LoopEvent, Stop
from door_agent.loop import AgentLoop
from door_agent.machine import Machine
from door_agent.mqtt import MqttLink
from door_agent.outbox import Outbox
from door_agent.status import StatusPublisher
from door_agent.store import AgentStore
from door_agent.watchdog import Watchdog
from hardware.exc import HardwareError
from hardware.gpio import AgentIO, make_pin_factory
from hardware.readers import Reader, ReaderState, open_reader
from station import __version__
from station.config import AgentConfig, DoorAgentConfig, StationConfig
from station.errors import ConfigError
from station.keystore import SITE_PUBLIC
from station.protocol.keys import KeyFileError, Keyring
from station.protocol.trust import read_anchor

log = logging.getLogger(__name__)


def reader_socket(config: StationConfig, agent_id: str) -> Path | None:
    """Where a simulated reader listens: named after the agent, as `station reader tap
    --reader ID` expects (readers are known by their kiosk or agent id)."""
    if config.agents[agent_id].reader.path.startswith("sim:"):
        return config.sim_socket(agent_id)
    return None


class Agent:
    def __init__(
        self,
        config: StationConfig,
        agent_id: str,
        *,
        pin_factory: Factory | None = None,
        connect: bool = True,
        watchdog: Watchdog | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        kernel_synced: Callable[[], bool | None] = kernel_clock_synced,
    ) -> None:
        if agent_id not in config.agents:
            raise ConfigError(
                [
                    f"{config.source}: agents.{agent_id}: no such agent; expected "
                    f"one of {', '.join(sorted(config.agents)) or 'none'}"
                ]
            )
        self.agent_id = agent_id
        self.config = config
        settings = config.agents[agent_id]
        self.settings = settings
        self.data_dir = config.agent_data_dir(agent_id)
        site_anchor = trust_anchor(config)
        self.events: queue.SimpleQueue[LoopEvent] = queue.SimpleQueue()
        self.pin_factory = pin_factory or make_pin_factory(settings.pin_factory)
        self._own_factory = pin_factory is None  # one passed in belongs to the caller
        self._closed = False
        with contextlib.ExitStack() as undo:
            if self._own_factory:
                undo.callback(self.pin_factory.close)
            # GPIO first: from here on the relay is held off.
            self.io = undo.enter_context(AgentIO(settings.pins, self.pin_factory, self.events.put))
            if self._own_factory and settings.pin_factory == "mock":
                self._simulate_shut_door()
            self.store = undo.enter_context(AgentStore(self.data_dir / "grants.db"))
            self.outbox = undo.enter_context(
                Outbox(self.data_dir / "outbox.db", alarm_at=settings.outbox_alarm)
            )
            controller = make_controller(settings)
            self.status = StatusPublisher(
                None,
                agent_id=agent_id,
                kind=controller.kind,
                resource=settings.resource,
                version=__version__,
                wall=wall,
            )
            self.link = (
                MqttLink(
                    config.mqtt, config.site.id, agent_id, self.events.put, will=self.status.offline
                )
                if connect
                else None
            )
            self.status.link = self.link
            self.loop = AgentLoop(
                site_id=config.site.id,
                agent_id=agent_id,
                resource=settings.resource,
                controller=controller,
                badge_key=config.badge_key,
                site_anchor=site_anchor,
                store=self.store,
                outbox=self.outbox,
                io=self.io,
                link=self.link,
                status=self.status,
                watchdog=watchdog or Watchdog(),
                events=self.events,
                clock=clock,
                wall=wall,
                trusted_clock=AgentClock(
                    settings.clock, wall=wall, monotonic=clock, kernel_synced=kernel_synced
                ),
            )
            self.reader: Reader = open_reader(
                agent_id,
                settings.reader,
                self.events.put,
                sim_socket=reader_socket(config, agent_id),
                keys_dir=config.keys_dir,
            )
            undo.pop_all()

    def _simulate_shut_door(self) -> None:
        """A simulated door starts shut (a mock pull-up input reads 'open'), or the demo
        would raise held-open alarms for a door nobody opened."""
        contact = self.settings.pins.contact
        if contact:
            from gpiozero.pins.mock import MockPin

            pin = self.pin_factory.pin(contact)
            if isinstance(pin, MockPin):
                pin.drive_low()

    @property
    def controller(self) -> Controller:
        return self.loop.controller

    def run(self) -> str:
        """Run until stopped; returns why. Closes everything on the way out."""
        try:
            if self.link is not None:
                self.link.start()
            try:
                self.reader.start()
            except HardwareError as exc:  # keep running: exit button, commands, status
                log.error("reader %s cannot start: %s", self.settings.reader.path, exc)
                self.events.put(
                    ReaderState(self.reader.reader_id, False, str(exc), time.monotonic())
                )
            return self.loop.run()
        finally:
            self.close()

    def stop(self, reason: str = "requested") -> None:
        """Ask the loop to stop (thread-safe, signal-safe)."""
        self.events.put(Stop(reason))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self.io.relay.off()
        with contextlib.suppress(Exception):
            self.reader.close()
        if self.link is not None:
            self.link.close(self.status.offline(relay=False))
        self.io.close()
        if self._own_factory:
            with contextlib.suppress(Exception):
                self.pin_factory.close()
        self.store.close()
        self.outbox.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def trust_anchor(config: StationConfig) -> Keyring:
    """The site's public keys from the agent's bundle, else a `ConfigError` naming the
    file: an agent that trusts no key could accept nothing and would deny everyone."""
    try:
        return read_anchor(config.keys_dir / SITE_PUBLIC)
    except KeyFileError as exc:
        raise ConfigError([str(exc)]) from None


def make_controller(settings: AgentConfig) -> Controller:
    """The one place that picks the kind: everything after talks to a `Controller`."""
    if isinstance(settings, DoorAgentConfig):
        return Door(settings.door, has_contact=bool(settings.pins.contact))
    return Machine(settings.machine, has_busy_input=bool(settings.pins.busy))


@contextlib.contextmanager
def stop_on_signals(agent: Agent) -> Iterator[None]:
    """SIGTERM and SIGINT ask the loop to stop (main thread only); restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        agent.stop(f"signal {signal.Signals(signum).name}")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def relay_off_only(config: StationConfig, agent_id: str) -> None:
    """Drive the relay to its off level and exit (the unit's ExecStopPost)."""
    settings = config.agents[agent_id]
    from hardware.gpio.outputs import Relay

    with Relay(
        settings.pins.relay,
        active_high=settings.pins.relay_active_high,
        pin_factory=make_pin_factory(settings.pin_factory),
    ) as relay:
        relay.off()
