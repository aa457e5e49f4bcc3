"""The exception tree of `kiosk`."""

from __future__ import annotations

from station.errors import StationError


class KioskError(StationError):
    """Base of every error raised on purpose by the kiosk."""


class DatabaseUnavailable(KioskError, RuntimeError):
    """The site database cannot be reached; the kiosk says so and retries."""


class BusUnavailable(KioskError, ConnectionError):
    """The MQTT broker is not connected: a command cannot be sent now."""
