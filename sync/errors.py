"""The exception tree of the `sync` package (each also a built-in, as in station.errors)."""

from __future__ import annotations

from station.errors import StationError


class SyncError(StationError, RuntimeError):
    """A sync round could not complete; nothing is half-applied."""


class CentralUnavailable(SyncError, ConnectionError):
    """The central registry cannot be reached or refused the connection."""


class BrokerUnavailable(SyncError, ConnectionError):
    """The MQTT broker cannot be reached."""
