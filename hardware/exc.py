"""The exception tree of `hardware`, each class also subclassing a built-in."""

from __future__ import annotations

from station.errors import StationError


class HardwareError(StationError):
    """Base of every error raised on purpose by `hardware`."""


class ReaderUnavailable(HardwareError, OSError):
    """A reader (or the service behind it) cannot be opened or has gone away."""


class UnknownReaderPath(HardwareError, ValueError):
    """A reader path names no known backend, or is malformed."""


class PinError(HardwareError, RuntimeError):
    """A GPIO pin factory or device cannot be set up."""


class UnknownPattern(HardwareError, ValueError):
    """An indicator pattern name is not one of the known ones."""


class SimProtocolError(HardwareError, ValueError):
    """A line sent to a simulated reader's socket is not understood."""
