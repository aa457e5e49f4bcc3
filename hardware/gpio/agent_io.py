"""All the GPIO of one door or machine agent, built from its `PinsConfig`."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from gpiozero import Factory, GPIOZeroError

from hardware.gpio.inputs import BusySensor, DoorContact, ExitButton
from hardware.gpio.outputs import Indicator, Pattern, Relay
from station.config.agents import PinsConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DoorOpened:
    at: float  # time.monotonic()


@dataclass(frozen=True, slots=True)
class DoorClosed:
    at: float


@dataclass(frozen=True, slots=True)
class ExitPressed:
    at: float


@dataclass(frozen=True, slots=True)
class BusyChanged:
    busy: bool
    at: float


IoEvent = DoorOpened | DoorClosed | ExitPressed | BusyChanged
IoSink = Callable[[IoEvent], None]


class AgentIO:
    """The relay, the wired inputs and the indicator of one agent.

    Only pins that are wired (non-zero) are built. Input changes are posted to
    ``on_event`` as `IoEvent`s from gpiozero's threads. `close` switches the
    relay off first, then releases everything; it is safe to call twice.
    """

    def __init__(self, pins: PinsConfig, pin_factory: Factory, on_event: IoSink) -> None:
        self._on_event = on_event
        self.contact: DoorContact | None = None
        self.exit_button: ExitButton | None = None
        self.busy: BusySensor | None = None
        self.indicator: Indicator | None = None
        self.relay = Relay(pins.relay, active_high=pins.relay_active_high, pin_factory=pin_factory)
        try:
            if pins.contact:
                self.contact = DoorContact(
                    pins.contact,
                    pin_factory=pin_factory,
                    on_open=lambda: self._post(DoorOpened(time.monotonic())),
                    on_close=lambda: self._post(DoorClosed(time.monotonic())),
                )
            if pins.exit_button:
                self.exit_button = ExitButton(
                    pins.exit_button,
                    pin_factory=pin_factory,
                    on_press=lambda: self._post(ExitPressed(time.monotonic())),
                )
            if pins.busy:
                self.busy = BusySensor(
                    pins.busy,
                    pin_factory=pin_factory,
                    on_change=lambda busy: self._post(BusyChanged(busy, time.monotonic())),
                )
            self.indicator = Indicator(
                led_green=pins.led_green,
                led_red=pins.led_red,
                buzzer=pins.buzzer,
                pin_factory=pin_factory,
            )
        except Exception:
            self.close()
            raise

    def show(self, pattern: Pattern) -> None:
        """Show an indicator pattern (see `Indicator.show`)."""
        if self.indicator is not None:
            self.indicator.show(pattern)

    def _post(self, event: IoEvent) -> None:
        try:
            self._on_event(event)
        except Exception:  # never kill gpiozero's thread
            log.exception("on_event failed for %r", event)

    def close(self) -> None:
        self.relay.close()  # first: whatever fails after, the load is off
        for device in (self.indicator, self.contact, self.exit_button, self.busy):
            if device is not None:
                with contextlib.suppress(GPIOZeroError, OSError):
                    device.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
