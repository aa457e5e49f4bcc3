"""The agent's GPIO: relay, indicator, and the inputs posting to the loop's queue.

Built from the agent's PinsConfig with an explicit gpiozero pin factory
(`hardware.gpio.factory.make_pin_factory`); unwired inputs (pin 0) are absent.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from gpiozero import Factory

from door_agent.events import BusyChanged, ContactChanged, ExitPressed, LoopEvent
from hardware.gpio.inputs import BusySensor, DoorContact, ExitButton
from hardware.gpio.outputs import Indicator, Relay
from station.config.schema import PinsConfig

log = logging.getLogger(__name__)


class AgentIO:
    def __init__(self, pins: PinsConfig, pin_factory: Factory,
                 post: Callable[[LoopEvent], None]) -> None:
        self.pin_factory = pin_factory
        self.contact: DoorContact | None = None
        self.exit_button: ExitButton | None = None
        self.busy: BusySensor | None = None
        # The relay first: it is off from here on, whatever fails next.
        self.relay = Relay(pins.relay, active_high=pins.relay_active_high,
                           pin_factory=pin_factory)
        try:
            self.indicator = Indicator(led_green=pins.led_green, led_red=pins.led_red,
                                       buzzer=pins.buzzer, pin_factory=pin_factory)
            if pins.contact:
                self.contact = DoorContact(pins.contact, pin_factory=pin_factory,
                                           on_open=lambda: post(ContactChanged(False)),
                                           on_close=lambda: post(ContactChanged(True)))
            if pins.exit_button:
                self.exit_button = ExitButton(pins.exit_button, pin_factory=pin_factory,
                                              on_press=lambda: post(ExitPressed()))
            if pins.busy:
                self.busy = BusySensor(pins.busy, pin_factory=pin_factory,
                                       on_change=lambda busy: post(BusyChanged(busy)))
        except Exception:
            self.close()
            raise

    def set_relay(self, on: bool) -> None:
        if on:
            self.relay.on()
        else:
            self.relay.off()

    def relay_off(self) -> None:
        """Drop the relay; never raises (used on every exit path)."""
        try:
            self.relay.off()
        except Exception:  # a closed device is already off
            log.debug("relay already released", exc_info=True)

    @property
    def relay_on(self) -> bool:
        return self.relay.is_on

    def indicate(self, pattern: str) -> None:
        self.indicator.show(pattern)

    def close(self) -> None:
        self.relay_off()
        for device in (self.busy, self.exit_button, self.contact,
                       getattr(self, "indicator", None), self.relay):
            if device is not None:
                with contextlib.suppress(Exception):
                    device.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
