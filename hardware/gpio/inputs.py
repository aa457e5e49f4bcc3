"""Inputs: door contact, request-to-exit button, a machine's current/busy sensor.

All three are switches to ground with the Pi's pull-up: a cut wire reads as
"open" / "not pressed" / "idle", never as a closed door. Callbacks run in
gpiozero's threads: they must only post to the owner's event queue.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from gpiozero import DigitalInputDevice, Factory, GPIOZeroError

from hardware.exc import PinError

Callback = Callable[[], None]


def _call(callback: Callback | None) -> Callback | None:
    # gpiozero passes the device to a callable taking one argument (queue.put would
    # receive it): hand it one that takes none.
    return None if callback is None else (lambda: callback())


def _switch(pin: int, bounce_s: float | None, pin_factory: Factory) -> DigitalInputDevice:
    # Not gpiozero's Button: its hold thread, which nothing here uses, keeps a pressed
    # button's close() waiting a whole hold_time (1 s) for the release, so a door
    # agent took a second to stop with its door shut.
    try:
        return DigitalInputDevice(pin, pull_up=True, bounce_time=bounce_s, pin_factory=pin_factory)
    except (GPIOZeroError, OSError) as exc:
        raise PinError(f"GPIO{pin}: cannot read it as an input: {exc}") from exc


class _Input:
    def __init__(self, pin: int, bounce_s: float | None, pin_factory: Factory) -> None:
        self.pin = pin
        self._switch = _switch(pin, bounce_s, pin_factory)

    @property
    def _active(self) -> bool:
        return bool(self._switch.is_active)

    def close(self) -> None:
        self._switch.close()  # gpiozero's close is idempotent

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class DoorContact(_Input):
    """A door contact closed (pin to ground) while the door is shut."""

    def __init__(
        self,
        pin: int,
        *,
        pin_factory: Factory,
        on_open: Callback | None = None,
        on_close: Callback | None = None,
        bounce_s: float | None = None,
    ) -> None:
        super().__init__(pin, bounce_s, pin_factory)
        self._switch.when_deactivated = _call(on_open)
        self._switch.when_activated = _call(on_close)

    @property
    def is_closed(self) -> bool:
        return self._active


class ExitButton(_Input):
    """A request-to-exit button (normally open, to ground)."""

    def __init__(
        self,
        pin: int,
        *,
        pin_factory: Factory,
        on_press: Callback | None = None,
        bounce_s: float | None = 0.05,
    ) -> None:
        super().__init__(pin, bounce_s, pin_factory)
        self._switch.when_activated = _call(on_press)

    @property
    def is_pressed(self) -> bool:
        return self._active


class BusySensor(_Input):
    """A current switch on a machine's supply, closed while the machine draws power."""

    def __init__(
        self,
        pin: int,
        *,
        pin_factory: Factory,
        on_change: Callable[[bool], None] | None = None,
        bounce_s: float | None = None,
    ) -> None:
        super().__init__(pin, bounce_s, pin_factory)
        if on_change is not None:
            callback = on_change
            self._switch.when_activated = lambda: callback(True)
            self._switch.when_deactivated = lambda: callback(False)

    @property
    def is_busy(self) -> bool:
        return self._active
