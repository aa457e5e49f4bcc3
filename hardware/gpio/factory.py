"""gpiozero pin factories by name, always passed in explicitly (no global default)."""

from __future__ import annotations

from typing import Literal

from gpiozero import Factory, GPIOZeroError

from hardware.exc import PinError

FactoryName = Literal["mock", "lgpio", "rpigpio", "native"]


def make_pin_factory(name: FactoryName | str) -> Factory:
    """A pin factory: 'mock' (demo, tests), 'lgpio' (Pi 5 and bookworm), 'rpigpio', 'native'.

    Raises `PinError` saying why if the factory cannot run on this machine.
    """
    try:
        if name == "mock":
            from gpiozero.pins.mock import MockFactory

            return MockFactory()
        if name == "lgpio":
            from gpiozero.pins.lgpio import LGPIOFactory

            return LGPIOFactory()
        if name == "rpigpio":
            from gpiozero.pins.rpigpio import RPiGPIOFactory

            return RPiGPIOFactory()
        if name == "native":
            from gpiozero.pins.native import NativeFactory

            return NativeFactory()
    except (ImportError, OSError, RuntimeError, GPIOZeroError) as exc:
        raise PinError(
            f"pin factory {name!r} cannot run here: {exc}; on a Raspberry Pi "
            "install python3-lgpio, elsewhere use 'mock'"
        ) from exc
    raise PinError(f"unknown pin factory {name!r}; expected 'mock', 'lgpio', 'rpigpio' or 'native'")
