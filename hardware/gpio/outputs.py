"""Outputs: the relay driving a strike or a machine's contactor, LEDs and a buzzer."""

from __future__ import annotations

import contextlib
import enum
import weakref
from types import TracebackType
from typing import Self

from gpiozero import LED, Buzzer, DigitalOutputDevice, Factory, GPIOZeroError

from hardware.exc import PinError, UnknownPattern


def _release(device: DigitalOutputDevice) -> None:
    """Drive the safe (off) level, then free the pin. Also runs at interpreter exit."""
    with contextlib.suppress(GPIOZeroError, OSError):
        device.off()
    with contextlib.suppress(GPIOZeroError, OSError):
        device.close()


def _output(
    cls: type[DigitalOutputDevice], pin: int, active_high: bool, pin_factory: Factory
) -> DigitalOutputDevice:
    try:
        return cls(pin, active_high=active_high, initial_value=False, pin_factory=pin_factory)
    except (GPIOZeroError, OSError) as exc:
        raise PinError(f"GPIO{pin}: cannot drive it as an output: {exc}") from exc


class Relay:
    """A relay, off at start, off again on close and when the process exits.

    ``active_high=False`` for the common relay boards that switch on a low level.
    Wire the load normally open: no power to the coil, no power to the load.
    """

    def __init__(
        self, pin: int, active_high: bool = True, pin_factory: Factory | None = None
    ) -> None:
        if pin_factory is None:  # never gpiozero's global default: say which one
            raise PinError("Relay needs an explicit pin factory (make_pin_factory)")
        self.pin = pin
        self._device = _output(DigitalOutputDevice, pin, active_high, pin_factory)
        # Holds the device, not self: runs on close() or at exit, whichever comes first.
        self._finalizer = weakref.finalize(self, _release, self._device)

    def on(self) -> None:
        self._device.on()

    def off(self) -> None:
        self._device.off()

    @property
    def is_on(self) -> bool:
        return not self._device.closed and bool(self._device.value)

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        self._finalizer()  # off, then free the pin; does nothing the second time

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Pattern(enum.StrEnum):
    """What the LEDs and the buzzer show."""

    GRANTED = "granted"
    DENIED = "denied"
    WARNING = "warning"
    IN_USE = "in_use"  # steady while a machine is powered
    OFF = "off"


# Per output: (on_time, off_time, repetitions; None = until the next pattern), or None
# for steady on. An output not named is switched off.
Blink = tuple[float, float, int | None] | None
PATTERNS: dict[Pattern, dict[str, Blink]] = {
    Pattern.GRANTED: {"green": (2.0, 0.0, 1), "buzzer": (0.08, 0.0, 1)},
    Pattern.DENIED: {"red": (0.15, 0.15, 3), "buzzer": (0.15, 0.15, 3)},
    Pattern.WARNING: {"red": (0.5, 0.5, None), "buzzer": (0.1, 0.9, None)},
    Pattern.IN_USE: {"green": None},
    Pattern.OFF: {},
}


class Indicator:
    """LEDs and buzzer (any of them may be absent) showing named patterns."""

    def __init__(
        self, *, led_green: int = 0, led_red: int = 0, buzzer: int = 0, pin_factory: Factory
    ) -> None:
        self._outputs: dict[str, DigitalOutputDevice] = {}
        try:
            for role, pin, cls in (
                ("green", led_green, LED),
                ("red", led_red, LED),
                ("buzzer", buzzer, Buzzer),
            ):
                if pin:
                    self._outputs[role] = _output(cls, pin, True, pin_factory)
        except PinError:
            self.close()
            raise
        self.pattern = Pattern.OFF

    def show(self, pattern: Pattern) -> None:
        """Start ``pattern``, replacing the current one."""
        try:
            steps = PATTERNS[Pattern(pattern)]  # a plain string from outside is checked too
        except ValueError:
            raise UnknownPattern(
                f"unknown indicator pattern {pattern!r}; expected one of {', '.join(PATTERNS)}"
            ) from None
        self.pattern = Pattern(pattern)
        for role, device in self._outputs.items():
            if role not in steps:
                device.off()
            elif (blink := steps[role]) is None:
                device.on()
            else:
                on_time, off_time, n = blink
                device.blink(on_time=on_time, off_time=off_time, n=n, background=True)

    def close(self) -> None:
        outputs, self._outputs = self._outputs, {}
        for device in outputs.values():
            _release(device)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
