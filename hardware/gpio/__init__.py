"""GPIO outputs and inputs over gpiozero, with the pin factory always passed in."""

from hardware.gpio.agent_io import (
    AgentIO,
    BusyChanged,
    DoorClosed,
    DoorOpened,
    ExitPressed,
    IoEvent,
    IoSink,
)
from hardware.gpio.factory import make_pin_factory
from hardware.gpio.inputs import BusySensor, DoorContact, ExitButton
from hardware.gpio.outputs import PATTERNS, Indicator, Pattern, Relay

__all__ = [
    "PATTERNS",
    "AgentIO",
    "BusyChanged",
    "BusySensor",
    "DoorClosed",
    "DoorContact",
    "DoorOpened",
    "ExitButton",
    "ExitPressed",
    "Indicator",
    "IoEvent",
    "IoSink",
    "Pattern",
    "Relay",
    "make_pin_factory",
]
